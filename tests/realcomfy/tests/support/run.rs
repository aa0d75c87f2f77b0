//! One conformance case: plan and bind a template with `animatrix_workflow`, upload the
//! fixtures and submit with `animatrix_comfy`, follow the events to the outcome, download and
//! probe the MP4 and poster with `animatrix_media`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use animatrix_comfy::model::events::BinaryMessage;
use animatrix_comfy::model::history::HistoryEntry;
use animatrix_comfy::{Outcome, SocketEvent, TrackedEvent, UploadTarget};
use animatrix_media::{Limits, MediaFacts as Probed, probe};
use animatrix_workflow::{
    Attached, BoundGraph, Catalog, InputKind, JobSettings, MediaFacts, Point, UploadedInputs, bind,
    plan, validate,
};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::{Session, fixture};

/// Longest a case may take from submit to outcome (a Draft case takes seconds to a minute on
/// two cores; a server that stops answering fails the case instead of hanging the suite).
pub const CASE_DEADLINE: Duration = Duration::from_secs(900);

/// What one case asks for.
pub struct Case {
    /// Unique per test binary: also the job id and the upload name prefix.
    pub name: &'static str,
    pub template: &'static str,
    pub catalog: &'static Catalog,
    pub profile: &'static str,
    pub aspect: &'static str,
    /// Role -> file to upload (a fixture, or a file made for the case).
    pub inputs: Vec<(&'static str, PathBuf)>,
    pub params: Vec<(&'static str, Value)>,
    pub target_duration_secs: Option<f64>,
    pub points: Vec<Point>,
    /// Plan without the server's device list (only for a template whose device need the kit
    /// stands in for: Mix pins SAM2 to CUDA; the planner refuses it on the CPU kit otherwise).
    pub devices_unknown: bool,
}

impl Case {
    pub fn draft(
        name: &'static str,
        template: &'static str,
        catalog: &'static Catalog,
        inputs: &[(&'static str, &'static str)],
    ) -> Case {
        Case {
            name,
            template,
            catalog,
            profile: "draft",
            aspect: "9:16",
            inputs: inputs
                .iter()
                .map(|(role, file)| (*role, fixture(file)))
                .collect(),
            params: Vec::new(),
            target_duration_secs: None,
            points: Vec::new(),
            devices_unknown: false,
        }
    }
}

/// What happened.
pub struct Ran {
    pub bound: BoundGraph,
    /// Probe of each uploaded fixture, by role.
    pub inputs: BTreeMap<String, Probed>,
    pub outcome: Outcome,
    /// Tracked events by kind, in the order first seen.
    pub events: Vec<(&'static str, usize)>,
    /// Raw socket messages by type while the case ran (`?` marks a type the client does not
    /// model), in the order first seen.
    pub socket: Vec<(String, usize)>,
    /// Submit to outcome.
    pub run_time: Duration,
    /// Nodes that reported progress, with the largest `max` each reported (KSamplerAdvanced
    /// reports its own part of a split schedule, not the whole `steps`).
    pub progress_max: Vec<(String, f64)>,
    /// Classes of the nodes whose `executed` message carried UI output.
    pub ui_nodes: Vec<String>,
    /// The slowest nodes (class, seconds from its `executing` to the next), slowest first.
    pub slowest: Vec<(String, f64)>,
    /// Everything: probe, upload, plan, bind, submit, wait, download, probe.
    pub total_time: Duration,
    pub video: Option<Probed>,
    pub poster: Option<Probed>,
}

impl Ran {
    pub fn entry(&self) -> &HistoryEntry {
        match &self.outcome {
            Outcome::Success(entry) => entry,
            other => panic!("expected success, got {other:#?}"),
        }
    }

    /// One line for the suite's timing table.
    pub fn report(&self, case: &Case) -> String {
        let v = self.video.as_ref();
        format!(
            "conformance {:<26} {:>6.1} s run, {:>6.1} s total | {}x{} {} frames @ {} fps, {} segment(s), audio {:?} Hz | events {:?} | socket {:?} | progress max {:?} | ui {:?} | slowest {:?}",
            case.name,
            self.run_time.as_secs_f64(),
            self.total_time.as_secs_f64(),
            v.and_then(|v| v.width).unwrap_or(0),
            v.and_then(|v| v.height).unwrap_or(0),
            v.and_then(|v| v.frame_count).unwrap_or(0),
            v.and_then(|v| v.fps).unwrap_or(0.0),
            self.bound.chunk_count,
            v.and_then(|v| v.sample_rate),
            self.events,
            self.socket,
            self.progress_max,
            self.ui_nodes,
            self.slowest
                .iter()
                .map(|(c, t)| format!("{c} {t:.1} s"))
                .collect::<Vec<_>>(),
        )
    }
}

pub async fn run(s: &Session, case: &Case) -> Ran {
    let started = Instant::now();
    let t = case.catalog.latest(case.template).expect("template");
    let mut settings = JobSettings::new(t.name(), "The character moves naturally, full body");
    settings.profile = Some(case.profile.into());
    settings.aspect = Some(case.aspect.into());
    settings.seed = 20_251_201;
    settings.target_duration_secs = case.target_duration_secs;
    settings.points = case.points.clone();
    for (k, v) in &case.params {
        settings.params.insert((*k).to_owned(), v.clone());
    }

    let mut inputs = BTreeMap::new();
    let mut attached = Attached::new();
    let mut uploads = UploadedInputs::new();
    for (role, path) in &case.inputs {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("input file name");
        let facts = probe(path, &Limits::default()).expect("input probes");
        attached.add(*role, facts.width.zip(facts.height).map(|(w, h)| w.min(h)));
        if t.timeline_role() == Some(*role) {
            settings.media = driving_facts(t.input(role).map(|i| i.kind), &facts);
        }
        let name = format!("{}-{file}", case.name);
        let up = s
            .client
            .upload(path, &UploadTarget::input(name), |_| {})
            .await
            .expect("upload to the kit server");
        uploads.insert(*role, up.as_input_value());
        inputs.insert((*role).to_owned(), facts);
    }

    let mut facts = s.facts(t).await;
    if case.devices_unknown {
        facts.devices = None;
    }
    let p = plan(t, &settings, &attached, Some(&facts));
    assert!(
        p.ready(),
        "{}: the plan refuses: {:#?}",
        case.name,
        p.issues
    );
    let bound = bind(t, &settings, &uploads, Some(&facts), case.name, &mut || {
        panic!("a fixed seed draws no random one")
    })
    .unwrap_or_else(|e| panic!("{}: bind: {e}", case.name));
    // Our validator agrees with the real server's /object_info before we submit.
    if let Err(issues) = validate(&bound.graph, &s.info) {
        panic!("{}: validate: {issues:#?}", case.name);
    }

    let prompt_id = uuid::Uuid::new_v4().to_string();
    // Count every socket message while the case runs (read concurrently: the hub's broadcast
    // buffer is bounded).
    let mut raw = s.hub.subscribe();
    let (stop_counting, mut stop) = tokio::sync::oneshot::channel::<()>();
    let counter = tokio::spawn(async move {
        let mut socket: Vec<(String, usize)> = Vec::new();
        let mut count = |kind: String, n: usize| match socket.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, total)) => *total += n,
            None => socket.push((kind, n)),
        };
        loop {
            let got = tokio::select! {
                biased;
                got = raw.recv() => got,
                _ = &mut stop => break,
            };
            match got {
                Ok(ev) => count(socket_kind(&ev), 1),
                Err(RecvError::Lagged(n)) => count("(lagged)".into(), n as usize),
                Err(RecvError::Closed) => break,
            }
        }
        // What arrived before the stop and is still buffered.
        while let Ok(ev) = raw.try_recv() {
            count(socket_kind(&ev), 1);
        }
        socket
    });
    let submitted = Instant::now();
    let (_accepted, mut tracked) = s
        .hub
        .submit(&bound.graph, &prompt_id, None)
        .await
        .unwrap_or_else(|e| panic!("{}: POST /prompt: {e}", case.name));
    let mut events: Vec<(&'static str, usize)> = Vec::new();
    let mut starts: Vec<(String, Instant)> = Vec::new();
    let mut progress_max: Vec<(String, f64)> = Vec::new();
    let mut ui_nodes: Vec<String> = Vec::new();
    let outcome = tokio::time::timeout(CASE_DEADLINE, async {
        while let Some(ev) = tracked.next().await {
            let kind = event_kind(&ev);
            let class_of = |node: &str| {
                bound.graph[node]["class_type"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            };
            match &ev {
                TrackedEvent::NodeStarted { node, .. } => {
                    starts.push((node.clone(), Instant::now()));
                }
                TrackedEvent::Progress {
                    node: Some(node),
                    max,
                    ..
                } => match progress_max.iter_mut().find(|(n, _)| n == node) {
                    Some((_, m)) => *m = m.max(*max),
                    None => progress_max.push((node.clone(), *max)),
                },
                TrackedEvent::NodeOutput { node, .. } => ui_nodes.push(class_of(node)),
                _ => {}
            }
            match events.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => events.push((kind, 1)),
            }
            if let TrackedEvent::Finished(outcome) = ev {
                return outcome;
            }
        }
        panic!("{}: the event hub stopped before the outcome", case.name)
    })
    .await
    .unwrap_or_else(|_| panic!("{}: no outcome within {CASE_DEADLINE:?}", case.name));
    let run_time = submitted.elapsed();
    let _ = stop_counting.send(());
    let socket = counter.await.expect("socket counter");
    let finished = Instant::now();
    let mut slowest: Vec<(String, f64)> = starts
        .iter()
        .enumerate()
        .map(|(i, (node, at))| {
            let end = starts.get(i + 1).map_or(finished, |(_, next)| *next);
            let class = bound.graph[node.as_str()]["class_type"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            (class, (end - *at).as_secs_f64())
        })
        .collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    slowest.truncate(3);

    let (mut video, mut poster) = (None, None);
    if let Outcome::Success(entry) = &outcome {
        let dir = tempfile::tempdir().expect("temp dir");
        // SaveVideo / SaveImage write `<prefix>_00001_.<ext>`: folder and stem of the prefix.
        let split = |prefix: &str| {
            let (folder, stem) = prefix.rsplit_once('/').expect("prefix has a folder");
            (folder.to_owned(), format!("{stem}_"))
        };
        let (video_dir, video_stem) = split(&bound.video_prefix);
        let (poster_dir, poster_stem) = split(&bound.poster_prefix);
        for f in entry.files() {
            let (dir_name, name) = (&f.file.subfolder, &f.file.filename);
            let is_video =
                *dir_name == video_dir && name.starts_with(&video_stem) && name.ends_with(".mp4");
            let is_poster =
                *dir_name == poster_dir && name.starts_with(&poster_stem) && name.ends_with(".png");
            if !(is_video || is_poster) {
                continue;
            }
            let got = s
                .client
                .download_output(&f.file, dir.path(), |_| {})
                .await
                .expect("GET /view");
            let probed = probe(&got.path, &Limits::default()).expect("output probes");
            if is_video {
                video = Some(probed);
            } else {
                poster = Some(probed);
            }
        }
    }
    let progress_max: Vec<(String, f64)> = progress_max
        .into_iter()
        .map(|(node, max)| {
            let class = bound.graph[node.as_str()]["class_type"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            (format!("{node} {class}"), max)
        })
        .collect();
    Ran {
        bound,
        inputs,
        outcome,
        events,
        socket,
        progress_max,
        ui_nodes,
        run_time,
        slowest,
        total_time: started.elapsed(),
        video,
        poster,
    }
}

/// The planner's media facts from a probe of the driving input.
fn driving_facts(kind: Option<InputKind>, f: &Probed) -> MediaFacts {
    match kind {
        Some(InputKind::Audio) => MediaFacts {
            audio_duration_secs: f.duration_seconds,
            ..MediaFacts::default()
        },
        Some(InputKind::Video) => MediaFacts {
            video_frame_count: f.frame_count.map(|n| n as u32),
            video_fps: f.fps,
            video_width: f.width,
            video_height: f.height,
            ..MediaFacts::default()
        },
        _ => MediaFacts::default(),
    }
}

fn event_kind(ev: &TrackedEvent) -> &'static str {
    match ev {
        TrackedEvent::Queued { .. } => "queued",
        TrackedEvent::Started => "started",
        TrackedEvent::Cached { .. } => "cached",
        TrackedEvent::NodeStarted { .. } => "node_started",
        TrackedEvent::Progress { .. } => "progress",
        TrackedEvent::ProgressState(_) => "progress_state",
        TrackedEvent::Preview(_) => "preview",
        TrackedEvent::NodeOutput { .. } => "node_output",
        TrackedEvent::Finished(_) => "finished",
    }
}

fn socket_kind(ev: &SocketEvent) -> String {
    match ev {
        SocketEvent::Message(m) if m.is_unknown() => format!("{}?", m.kind()),
        SocketEvent::Message(m) => m.kind().to_owned(),
        SocketEvent::Binary(BinaryMessage::PreviewImage { .. }) => "binary preview".into(),
        SocketEvent::Binary(BinaryMessage::PreviewImageWithMetadata { .. }) => {
            "binary preview+metadata".into()
        }
        SocketEvent::Binary(BinaryMessage::Unknown { event_type, .. }) => {
            format!("binary type {event_type}?")
        }
    }
}
