//! Every shipped template version, profile, aspect, framing and parameter option binds into a
//! graph that the real server accepts: the kit's Level 1 server (pristine ComfyUI 0.3.64 and
//! custom nodes, placeholder model files) answers `/object_info`, `/models` and
//! `/system_stats`, and `POST /prompt` runs ComfyUI's own validation. Preflight against that
//! server is checked too.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (team brief)

mod support;

use std::collections::BTreeSet;

use animatrix_comfy::UploadTarget;
use animatrix_workflow::manifest::ParameterKind;
use animatrix_workflow::{
    Attached, JobSettings, MediaFacts, Point, ServerFacts, Template, UploadedInputs, bind, plan,
    preflight, validate,
};
use realcomfy_harness::{Level, require, shared};
use serde_json::{Value, json};
use support::{Session, fixture, runtime, shipped};

/// Every job variation worth checking: each profile x aspect x framing with default
/// parameters, plus each non-default parameter option on the default profile and aspect.
fn variations(t: &Template) -> Vec<JobSettings> {
    let m = t.manifest();
    let framings: Vec<Option<String>> = if m.framings.is_empty() {
        vec![None]
    } else {
        m.framings.keys().cloned().map(Some).collect()
    };
    let base = |profile: &str, aspect: &str| {
        let mut s = JobSettings::new(t.name(), "The character waves at the camera");
        s.profile = Some(profile.into());
        s.aspect = Some(aspect.into());
        s.seed = 7;
        s.media = MediaFacts {
            audio_duration_secs: Some(7.489),
            video_frame_count: Some(48),
            video_fps: Some(16.0),
            video_width: Some(480),
            video_height: Some(832),
        };
        if m.limits.max_points > 0 {
            s.points = vec![Point { x: 0.5, y: 0.45 }];
        }
        s
    };
    let mut out = Vec::new();
    for profile in t.profile_names() {
        for aspect in t.aspect_names() {
            for framing in &framings {
                let mut s = base(&profile, &aspect);
                s.framing = framing.clone();
                out.push(s);
            }
        }
    }
    for p in &m.parameters {
        let values: Vec<Value> = match &p.kind {
            ParameterKind::Bool { .. } => vec![json!(true), json!(false)],
            ParameterKind::Choice { options, .. } => {
                options.iter().map(|o| json!(o.value)).collect()
            }
            ParameterKind::Int { min, max, .. } => vec![json!(min), json!(max)],
            ParameterKind::Float { min, max, .. } => vec![json!(min), json!(max)],
        };
        for v in values {
            let mut s = base(&m.defaults.profile, &m.defaults.aspect);
            s.params.insert(p.name.clone(), v);
            out.push(s);
        }
    }
    out
}

/// A fixture per input kind, as the validation run uploads them.
fn fixture_for(kind: animatrix_workflow::InputKind) -> &'static str {
    match kind {
        animatrix_workflow::InputKind::Image => "character.png",
        animatrix_workflow::InputKind::Audio => "speech.wav",
        animatrix_workflow::InputKind::Video => "motion.mp4",
    }
}

#[test]
fn every_template_variation_is_accepted_by_a_real_server() {
    if !require(Level::L1) {
        return;
    }
    let server = shared(Level::L1).unwrap_or_else(|e| panic!("kit server: {e}"));
    let _log = server.log_on_failure();
    runtime().block_on(async {
        let s = Session::connect(server).await;
        let mut names = std::collections::BTreeMap::new();
        for file in ["character.png", "speech.wav", "motion.mp4"] {
            let up = s
                .client
                .upload(&fixture(file), &UploadTarget::input(file), |_| {})
                .await
                .expect("upload");
            names.insert(file, up.as_input_value());
        }
        let mut submitted = BTreeSet::new();
        for t in shipped().templates() {
            let mut uploads = UploadedInputs::new();
            for (role, input) in &t.manifest().inputs {
                if input.is_bound() {
                    uploads.insert(role.clone(), names[fixture_for(input.kind)].clone());
                }
            }
            // Every file attached, and each optional input that declares `when_absent` left
            // out (its loaders and the consumer inputs it fed are removed from the graph).
            let mut upload_sets = vec![uploads.clone()];
            for (role, input) in &t.manifest().inputs {
                if input.when_absent.is_some() {
                    let mut without = uploads.clone();
                    without.remove(role);
                    upload_sets.push(without);
                }
            }
            let real = s.facts(t).await;
            // Devices unknown: the planner only warns about Mix's CUDA need (asserted below),
            // so every graph can be checked on this CPU server.
            let no_devices = ServerFacts {
                devices: None,
                ..real.clone()
            };
            for (settings, uploads) in variations(t)
                .into_iter()
                .flat_map(|s| upload_sets.iter().map(move |u| (s.clone(), u)))
            {
                // With the server's facts (High falls back to fp8: no GPU here) and without
                // (High's preferred bf16 files, which the kit has as placeholders).
                for facts in [Some(&no_devices), None] {
                    let label = format!(
                        "{}/{} {:?} {:?} {:?} {:?} inputs={:?} facts={}",
                        t.name(),
                        t.version(),
                        settings.profile,
                        settings.aspect,
                        settings.framing,
                        settings.params,
                        uploads.iter().map(|(role, _)| role).collect::<Vec<_>>(),
                        facts.is_some()
                    );
                    let b = bind(t, &settings, uploads, facts, "validation", &mut || 0)
                        .unwrap_or_else(|e| panic!("{label}: bind: {e}"));
                    if let Err(issues) = validate(&b.graph, &s.info) {
                        panic!("{label}: our validator refuses: {issues:#?}");
                    }
                    if !submitted.insert(b.graph_json()) {
                        continue;
                    }
                    let id = uuid::Uuid::new_v4().to_string();
                    s.client
                        .submit_prompt(&b.graph, &id, "realcomfy-validation", None)
                        .await
                        .unwrap_or_else(|e| panic!("{label}: the server refuses: {e:#?}"));
                    // Accepted is all we check: do not let Level 1 try to run it.
                    s.client.queue_delete(&[id]).await.expect("queue delete");
                }
            }
        }
        eprintln!(
            "validation: {} distinct graphs accepted by {}",
            submitted.len(),
            server.base_url()
        );
        assert!(submitted.len() > 100, "{}", submitted.len());
    });
}

#[test]
fn preflight_on_a_real_cpu_server() {
    if !require(Level::L1) {
        return;
    }
    let server = shared(Level::L1).unwrap_or_else(|e| panic!("kit server: {e}"));
    let _log = server.log_on_failure();
    runtime().block_on(async {
        let s = Session::connect(server).await;
        assert!(s.devices.iter().all(|d| d.kind == "cpu"), "{:?}", s.devices);
        for name in [
            "animate_move",
            "animate_mix",
            "s2v",
            "start_end_frame",
            "pose_control",
        ] {
            let t = shipped().latest(name).unwrap();
            let facts = s.facts(t).await;
            let r = preflight(t, &facts);
            eprintln!("preflight {name}: {}", r.verdict);
            if name == "animate_mix" {
                // SAM2 is pinned to CUDA: refused on a CPU server, with the reason.
                assert!(!r.ready, "{r:#?}");
                assert!(
                    r.verdict.starts_with("needs an NVIDIA GPU"),
                    "{}",
                    r.verdict
                );
                let mut settings = JobSettings::new(name, "x");
                settings.points = vec![Point { x: 0.5, y: 0.5 }];
                let attached = Attached::new().with("ground_truth").with("motion_video");
                let p = plan(t, &settings, &attached, Some(&facts));
                assert_eq!(p.issues[0].code, "device_required");
                continue;
            }
            // Every file is there (placeholders); High's bf16 needs a GPU this server lacks.
            assert!(r.ready, "{r:#?}");
            assert_eq!(r.ready_profiles, vec!["draft", "standard", "high"]);
            let v = r
                .verdict
                .strip_prefix("ready (High without the bf16 model")
                .unwrap_or_else(|| panic!("{name}: {}", r.verdict));
            assert!(v.ends_with("The server has no GPU.)"), "{}", r.verdict);
            if name == "pose_control" {
                let files: Vec<&str> = r.auto_downloads.iter().map(|a| a.file.as_str()).collect();
                assert!(files.contains(&"depth_anything_v2_vitl.pth"), "{files:?}");
                assert!(r.auto_download_note.is_some());
            }
        }
    });
}
