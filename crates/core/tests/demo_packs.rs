//! Demo packs end to end: two real runs recorded through the engine against the fake ComfyUI,
//! exported, imported on other data dirs, performed; and every kind of bad pack refused with
//! its code and nothing left behind.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use animatrix_common::Explain;
use animatrix_core::demo::{self, ExportOptions, ImportLimits, Pace};
use animatrix_core::jobs::{
    JobInput, JobQuery, JobRequest, JobState, JobUpdate, NewJob, OutputKind, TemplateRef, metrics,
    repo,
};
use animatrix_core::{AuthKind, CoreError, NewEndpoint, Studio};
use animatrix_workflow::JobSettings;
use serde_json::Value;
use sha2::{Digest, Sha256};

const ENDPOINT_NAME: &str = "studio-gpu-7";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
}

/// A data dir with one completed Audio run and one completed Animate Move run, and a pack of
/// both. Recorded once per test binary.
struct Recorded {
    _dir: tempfile::TempDir,
    data: PathBuf,
    pack: PathBuf,
    ids: Vec<String>,
    base_url: String,
}

fn recorded() -> &'static Recorded {
    static REC: OnceLock<Recorded> = OnceLock::new();
    REC.get_or_init(|| std::thread::spawn(record).join().expect("recording thread"))
}

fn request(studio: &Studio, mode: &str, prompt: &str, inputs: Vec<JobInput>) -> JobRequest {
    let template = studio.template_for_mode(mode, None).expect("template");
    let mut settings = JobSettings::new(template, prompt);
    settings.profile = Some("draft".into());
    settings.aspect = Some("9:16".into());
    settings.seed = 7;
    let mut req = JobRequest::new(settings);
    req.inputs = inputs;
    req
}

/// The database file, opened beside the studio (the API keeps its own handle private).
fn conn(studio: &Studio) -> rusqlite::Connection {
    rusqlite::Connection::open(animatrix_core::store::db_path(studio.data_dir())).expect("db")
}

fn record() -> Recorded {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fake = fake_comfy::FakeComfy::builder()
            .exec_ms(5)
            .start()
            .await
            .expect("fake");
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("source");
        let studio = Studio::open(data.clone()).expect("studio");
        studio
            .add_endpoint(
                NewEndpoint {
                    name: ENDPOINT_NAME.into(),
                    base_url: fake.base_url(),
                    auth: AuthKind::None,
                    make_default: true,
                },
                None,
            )
            .await
            .expect("endpoint");
        let audio = request(
            &studio,
            "audio",
            "a knight singing opera",
            vec![
                JobInput::file("ground_truth", fixture("character.png")),
                JobInput::file("audio", fixture("speech.wav")),
            ],
        );
        let animate = request(
            &studio,
            "animate",
            "a robot dancing",
            vec![
                JobInput::file("ground_truth", fixture("character.png")),
                JobInput::file("motion_video", fixture("motion.mp4")),
            ],
        );
        let mut ids = Vec::new();
        for req in [audio, animate] {
            let id = studio.submit(req).await.expect("submit");
            let job = tokio::time::timeout(Duration::from_secs(60), studio.wait(&id))
                .await
                .expect("in time")
                .expect("wait");
            assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
            ids.push(id);
        }
        let pack = dir.path().join("runs.animatrix-demo");
        demo::export(&studio, &ids, &pack, &ExportOptions::default()).expect("export");
        let base_url = fake.base_url();
        fake.shutdown().await;
        Recorded {
            _dir: dir,
            data,
            pack,
            ids,
            base_url,
        }
    })
}

fn source() -> Studio {
    Studio::open(recorded().data.clone()).expect("source studio")
}

fn fresh() -> (tempfile::TempDir, Studio) {
    let dir = tempfile::tempdir().expect("tempdir");
    let studio = Studio::open(dir.path().join("data")).expect("open");
    (dir, studio)
}

fn sha_file(path: &str) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

fn code(e: &CoreError) -> String {
    e.explain().code.to_string()
}

// ---- pack surgery -----------------------------------------------------------------------

fn read_members(pack: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(pack).expect("open")).expect("zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("member");
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).expect("read");
            (f.name().expect("name").to_string(), bytes)
        })
        .collect()
}

fn write_zip(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(None);
    for (name, bytes) in members {
        w.start_file(name.as_str(), opts).expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish");
}

fn manifest_of(members: &[(String, Vec<u8>)]) -> Value {
    let m = members
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    serde_json::from_slice(&m.1).expect("manifest json")
}

fn set_manifest(members: &mut [(String, Vec<u8>)], manifest: &Value) {
    for (n, b) in members.iter_mut() {
        if n == "manifest.json" {
            *b = serde_json::to_vec_pretty(manifest).expect("json");
        }
    }
}

/// Recomputes the manifest's member list from the members, as a careful forger would.
fn resign(members: &mut [(String, Vec<u8>)]) {
    let mut manifest = manifest_of(members);
    manifest["members"] = members
        .iter()
        .filter(|(n, _)| n != "manifest.json")
        .map(|(n, b)| {
            serde_json::json!({ "path": n, "size": b.len(), "sha256": hex::encode(Sha256::digest(b)) })
        })
        .collect();
    set_manifest(members, &manifest);
}

// ---- snapshots ----------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct Snapshot {
    counts: BTreeMap<&'static str, i64>,
    files: Vec<String>,
}

fn snapshot(studio: &Studio) -> Snapshot {
    let db = conn(studio);
    let mut counts = BTreeMap::new();
    for table in ["jobs", "assets", "outputs", "job_events", "job_inputs"] {
        let n: i64 = db
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count");
        counts.insert(table, n);
    }
    drop(db);
    let mut files = Vec::new();
    list_files(studio.data_dir(), studio.data_dir(), &mut files);
    files.sort();
    Snapshot { counts, files }
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).expect("prefix").display().to_string();
        // The database's own files, the log and the workflows copy are not the import's.
        if rel.starts_with("animatrix.sqlite3")
            || rel.starts_with("logs")
            || rel.starts_with("workflows")
            || rel.starts_with("app-templates")
        {
            continue;
        }
        if p.is_dir() {
            out.push(format!("{rel}/"));
            list_files(root, &p, out);
        } else {
            out.push(rel);
        }
    }
}

/// Imports `pack` into a data dir that already holds the sample runs, expecting `code`, and
/// checks that nothing changed.
fn refused(pack: &Path, expected: &str) {
    refused_with(pack, expected, &ImportLimits::default());
}

fn refused_with(pack: &Path, expected: &str, limits: &ImportLimits) {
    let (_d, target) = fresh();
    demo::import_sample(&target).expect("sample");
    let before = snapshot(&target);
    let err = demo::import_with_limits(&target, pack, limits).expect_err("refused");
    assert_eq!(code(&err), expected, "{err}");
    let ue = err.explain();
    assert!(!ue.message.is_empty() && !ue.suggestion.is_empty());
    assert_eq!(
        snapshot(&target),
        before,
        "nothing imported, no stray files"
    );
}

// ---- tests --------------------------------------------------------------------------------

#[test]
fn round_trip_on_another_data_dir_is_byte_identical_with_its_timeline() {
    let rec = recorded();
    let src = source();
    let (_d, dst) = fresh();
    let summary = demo::import(&dst, &rec.pack).expect("import");
    assert_eq!(summary.imported, 2);
    assert_eq!(summary.already_present, 0);
    assert_eq!(summary.label, "Demo pack");
    for orig in &rec.ids {
        let run = summary
            .runs
            .iter()
            .find(|r| &r.original_id == orig)
            .expect("run imported");
        assert_eq!(&run.job_id, orig, "ids are kept when free");
        let a = repo::get(&conn(&src), orig).expect("source job");
        let b = repo::get(&conn(&dst), &run.job_id).expect("imported job");
        assert!(b.is_demo && !a.is_demo);
        assert_eq!(b.state, JobState::Completed);
        assert_eq!(
            (&b.prompt, &b.template, b.resolved_seed, b.frame_count),
            (&a.prompt, &a.template, a.resolved_seed, a.frame_count)
        );
        assert_eq!(b.endpoint, None, "endpoint names stay home by default");
        assert_eq!(b.request.target, None);
        assert_eq!(b.request.settings, a.request.settings);

        // Outputs: byte-identical files at new paths inside the target data dir.
        let oa = repo::outputs(&conn(&src), orig).expect("outputs");
        let ob = repo::outputs(&conn(&dst), &run.job_id).expect("outputs");
        assert_eq!(oa.len(), ob.len());
        assert!(
            ob.iter().any(|o| o.kind == OutputKind::Video)
                && ob.iter().any(|o| o.kind == OutputKind::Poster)
        );
        let clip = b.clip.as_ref().expect("the clip is measured on import");
        assert!(clip.seconds.is_some_and(|s| s > 0.0), "{clip:?}");
        for (x, y) in oa.iter().zip(&ob) {
            assert_eq!(x.kind, y.kind);
            assert!(y.path.starts_with(&dst.data_dir().display().to_string()));
            assert_eq!(sha_file(&x.path), sha_file(&y.path));
            assert_eq!(
                std::fs::read(&x.path).expect("a"),
                std::fs::read(&y.path).expect("b")
            );
            assert_eq!(y.sha256, sha_file(&y.path));
        }

        // Inputs: the same normalized bytes, now in the target's asset store.
        let ia = input_shas(&src, orig);
        let ib = input_shas(&dst, &run.job_id);
        assert_eq!(ia, ib);
        assert!(!ia.is_empty());

        // The event timeline, timestamps included.
        let ea = repo::events(&conn(&src), orig).expect("events");
        let eb = repo::events(&conn(&dst), &run.job_id).expect("events");
        assert_eq!(ea.len(), eb.len());
        for (x, y) in ea.iter().zip(&eb) {
            assert_eq!(
                (x.at, x.data.kind(), x.data.state()),
                (y.at, y.data.kind(), y.data.state())
            );
            if matches!(x.data.kind(), "progress" | "preview" | "queue_position") {
                assert_eq!(x.data, y.data);
            }
        }
        let ta = demo::timeline(&src, orig).expect("timeline a");
        let tb = demo::timeline(&dst, &run.job_id).expect("timeline b");
        assert_eq!(ta.duration_ms, tb.duration_ms);
        let view = |t: &demo::DemoTimeline| {
            t.steps
                .iter()
                .map(|s| {
                    (
                        s.offset_ms,
                        s.update.state,
                        s.update.stage.clone(),
                        s.update.preview_path.is_some(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(view(&ta), view(&tb));
        assert!(
            tb.steps
                .iter()
                .any(|s| s.update.state == JobState::Executing)
        );
        assert!(tb.job.is_demo);
        assert_eq!(tb.job.prompt, a.prompt);
        assert!(tb.inputs.iter().all(|i| i.asset.path().is_file()));
        assert!(Path::new(&tb.video_path).is_file());
        let manifest = Path::new(&tb.video_path)
            .parent()
            .and_then(Path::parent)
            .expect("job dir")
            .join("job_manifest.json");
        let m: Value =
            serde_json::from_str(&std::fs::read_to_string(manifest).expect("job manifest"))
                .expect("json");
        assert!(m["job"]["endpoint"].is_null());
        assert!(m["job"]["request"]["target"].is_null());
        assert_eq!(m["job"]["template"]["name"], a.template.name.as_str());
        assert!(
            !m.to_string()
                .contains(&src.data_dir().display().to_string()),
            "no path of the exporting machine travels"
        );
    }
}

fn input_shas(studio: &Studio, job: &str) -> Vec<(String, String)> {
    let db = conn(studio);
    let mut stmt = db
        .prepare("SELECT i.role, a.stored_path FROM job_inputs i JOIN assets a ON a.id = i.asset_id WHERE i.job_id = ?1 ORDER BY i.role")
        .expect("prepare");
    let rows: Vec<(String, String)> = stmt
        .query_map([job], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.into_iter()
        .map(|(role, p)| (role, sha_file(&p)))
        .collect()
}

#[test]
fn no_endpoint_leaves_the_machine_unless_opted_in() {
    let rec = recorded();
    let host_port = rec.base_url.trim_start_matches("http://").to_string();
    for (_, bytes) in read_members(&rec.pack) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&host_port), "URL leaked");
        assert!(!text.contains(ENDPOINT_NAME), "endpoint name leaked");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("with-endpoint.animatrix-demo");
    let s = demo::export(
        &source(),
        &rec.ids[..1],
        &pack,
        &ExportOptions {
            label: Some("Lab runs".into()),
            include_endpoint: true,
            created_at: None,
        },
    )
    .expect("export");
    assert!(s.includes_endpoint);
    let members = read_members(&pack);
    let manifest = manifest_of(&members);
    assert_eq!(manifest["label"], "Lab runs");
    assert_eq!(manifest["includes_endpoint"], true);
    let run = members
        .iter()
        .find(|(n, _)| n.ends_with("/run.json"))
        .expect("run.json");
    let run: Value = serde_json::from_slice(&run.1).expect("json");
    assert_eq!(run["job"]["endpoint"], ENDPOINT_NAME);
    assert_eq!(run["endpoint_url"], rec.base_url.as_str());
    // Never a secret field, opt-in or not.
    for (_, bytes) in &members {
        let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        assert!(!text.contains("secret") && !text.contains("password") && !text.contains("token"));
    }
}

#[test]
fn reimport_never_duplicates_even_on_the_machine_that_made_the_pack() {
    let rec = recorded();
    let (_d, dst) = fresh();
    demo::import(&dst, &rec.pack).expect("first");
    let once = snapshot(&dst);
    let again = demo::import(&dst, &rec.pack).expect("again");
    assert_eq!((again.imported, again.already_present), (0, 2));
    assert_eq!(snapshot(&dst), once);

    // On the source machine the ids (and prompt ids) are taken by the real runs: the demo
    // copies get stable ids of their own, and a second import still adds nothing.
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("source");
    copy_dir(&rec.data, &copy);
    let src = Studio::open(copy).expect("copy");
    let first = demo::import(&src, &rec.pack).expect("import on source");
    assert_eq!(first.imported, 2);
    for r in &first.runs {
        assert_ne!(r.job_id, r.original_id);
        assert!(repo::get(&conn(&src), &r.job_id).expect("demo job").is_demo);
        assert!(
            !repo::get(&conn(&src), &r.original_id)
                .expect("real job")
                .is_demo
        );
    }
    let second = demo::import(&src, &rec.pack).expect("again on source");
    assert_eq!(second.imported, 0);
    let ids: Vec<_> = second.runs.iter().map(|r| r.job_id.clone()).collect();
    assert_eq!(
        ids,
        first
            .runs
            .iter()
            .map(|r| r.job_id.clone())
            .collect::<Vec<_>>()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

#[test]
fn demo_runs_stay_out_of_metrics_and_real_history() {
    let (_d, dst) = fresh();
    demo::import(&dst, &recorded().pack).expect("import");
    let m = metrics::compute(&conn(&dst), 36_500).expect("metrics");
    assert!(m.jobs_per_day.is_empty(), "{m:?}");
    assert!(m.per_template.is_empty(), "{m:?}");
    assert_eq!(m.storage_bytes.outputs, 0);
    let db = conn(&dst);
    let real = repo::list(
        &db,
        &JobQuery {
            demo: Some(false),
            ..Default::default()
        },
    )
    .expect("list");
    let demo_runs = repo::list(
        &db,
        &JobQuery {
            demo: Some(true),
            ..Default::default()
        },
    )
    .expect("list");
    assert!(real.jobs.is_empty());
    assert_eq!(demo_runs.jobs.len(), 2);
    assert!(repo::non_terminal(&db).expect("non terminal").is_empty());
    let med = metrics::median_run_seconds(&db, "", "s2v", "draft", 77).expect("median");
    assert!(med.is_none(), "demo runs never feed ETAs");
}

#[tokio::test]
async fn perform_compressed_plays_the_states_in_order_and_ends_on_the_video() {
    let (_d, dst) = fresh();
    let summary = demo::import(&dst, &recorded().pack).expect("import");
    for run in &summary.runs {
        let timeline = demo::timeline(&dst, &run.job_id).expect("timeline");
        let seen: Mutex<Vec<JobUpdate>> = Mutex::new(Vec::new());
        let started = std::time::Instant::now();
        let outcome = demo::perform(
            &dst,
            &run.job_id,
            Pace::CompressedTo(Duration::from_millis(250)),
            |u| seen.lock().expect("lock").push(u),
        )
        .await
        .expect("perform");
        let elapsed = started.elapsed();
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen.len(), timeline.steps.len());
        assert!(outcome.planned_ms <= 250);
        assert!(
            elapsed >= Duration::from_millis(outcome.planned_ms),
            "never early"
        );
        assert!(elapsed < Duration::from_secs(5));
        let rank = |s: JobState| {
            [
                JobState::Validating,
                JobState::Uploading,
                JobState::Queued,
                JobState::Executing,
                JobState::Collecting,
                JobState::Completed,
            ]
            .iter()
            .position(|x| *x == s)
            .expect("happy path state")
        };
        let ranks: Vec<usize> = seen.iter().map(|u| rank(u.state)).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
        let states: Vec<JobState> = {
            let mut s: Vec<JobState> = seen.iter().map(|u| u.state).collect();
            s.dedup();
            s
        };
        assert_eq!(
            states,
            [
                JobState::Validating,
                JobState::Uploading,
                JobState::Queued,
                JobState::Executing,
                JobState::Collecting,
                JobState::Completed
            ]
        );
        let progress: Vec<f64> = seen
            .iter()
            .filter(|u| u.state == JobState::Executing)
            .map(|u| u.progress)
            .collect();
        assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
        assert!(seen.iter().any(|u| u.stage.starts_with("Generating")));
        let last = seen.last().expect("updates");
        assert_eq!(last.state, JobState::Completed);
        assert_eq!(last.stage, "Done");
        assert!(seen.iter().all(|u| u.job_id == run.job_id));
        let previews: Vec<&String> = seen
            .iter()
            .filter_map(|u| u.preview_path.as_ref())
            .collect();
        assert!(!previews.is_empty(), "preview frames are played");
        assert!(previews.iter().all(|p| Path::new(p).is_file()));
        assert_eq!(outcome.video_path, timeline.video_path);
        let video = std::fs::read(&outcome.video_path).expect("video");
        assert_eq!(&video[4..8], b"ftyp");
        assert!(
            outcome
                .poster_path
                .as_deref()
                .is_some_and(|p| Path::new(p).is_file())
        );
    }
}

#[tokio::test]
async fn real_time_pace_keeps_the_recorded_gaps() {
    let (_d, dst) = fresh();
    let summary = demo::import(&dst, &recorded().pack).expect("import");
    let id = &summary.runs[0].job_id;
    let timeline = demo::timeline(&dst, id).expect("timeline");
    let offsets = Mutex::new(Vec::new());
    let started = tokio::time::Instant::now();
    demo::perform(&dst, id, Pace::RealTime, |_| {
        offsets.lock().expect("lock").push(started.elapsed())
    })
    .await
    .expect("perform");
    let offsets = offsets.into_inner().expect("lock");
    for (step, at) in timeline.steps.iter().zip(&offsets) {
        assert!(
            *at >= Duration::from_millis(step.offset_ms),
            "{at:?} < {}",
            step.offset_ms
        );
    }
}

#[test]
fn sample_pack_imports_on_first_run_only_and_is_labelled() {
    let (_d, s) = fresh();
    let first = demo::import_sample_on_first_run(&s)
        .expect("first run")
        .expect("imported");
    assert_eq!(first.label, "Sample (recorded against a fake test server)");
    assert_eq!(first.imported, 2);
    let modes: Vec<&str> = first.runs.iter().map(|r| r.mode.as_str()).collect();
    assert!(
        modes.contains(&"audio") && modes.contains(&"animate"),
        "{modes:?}"
    );
    assert!(
        demo::import_sample_on_first_run(&s)
            .expect("second")
            .is_none()
    );
    let page = repo::list(&conn(&s), &JobQuery::default()).expect("list");
    assert_eq!(page.jobs.len(), 2);
    for j in &page.jobs {
        assert!(j.is_demo);
        let t = demo::timeline(&s, &j.id).expect("timeline");
        assert!(Path::new(&t.video_path).is_file());
        assert!(
            t.steps
                .iter()
                .any(|st| st.update.state == JobState::Executing)
        );
    }
    assert!(
        demo::SAMPLE_PACK.len() < 1_000_000,
        "the committed sample stays small"
    );
    // No scratch files left in the data dir.
    assert!(!s.data_dir().join("tmp").exists());
}

#[test]
fn unfinished_runs_are_neither_exported_nor_performed() {
    let (_d, s) = fresh();
    {
        let mut db = conn(&s);
        repo::insert(
            &mut db,
            &NewJob {
                id: "job-unfinished".into(),
                prompt_id: "p-1".into(),
                client_id: "c".into(),
                endpoint: None,
                mode: "audio".into(),
                template: TemplateRef {
                    name: "talking".into(),
                    version: "1.0.0".into(),
                },
                profile: "draft".into(),
                aspect: "9:16".into(),
                request: JobRequest::new(JobSettings::new("talking", "x")),
                resolved_seed: 1,
                frame_count: None,
                parent: None,
                inputs: Vec::new(),
            },
            &[],
        )
        .expect("insert");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.animatrix-demo");
    let err = demo::export(
        &s,
        &["job-unfinished".into()],
        &out,
        &ExportOptions::default(),
    )
    .expect_err("refused");
    assert_eq!(code(&err), "demo_run_not_exportable");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "no partial file"
    );
    let err = demo::timeline(&s, "job-unfinished").expect_err("refused");
    assert_eq!(code(&err), "demo_run_not_playable");
    let err = demo::export(&s, &["nope-nope".into()], &out, &ExportOptions::default())
        .expect_err("unknown");
    assert_eq!(code(&err), "job_not_found");
}

// ---- bad packs ----------------------------------------------------------------------------

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn garbage_and_truncated_packs_are_corrupt() {
    let dir = scratch();
    let garbage = dir.path().join("garbage.animatrix-demo");
    std::fs::write(&garbage, b"this is not a zip at all").expect("write");
    refused(&garbage, "demo_pack_corrupt");

    let bytes = std::fs::read(&recorded().pack).expect("pack");
    for keep in [bytes.len() / 2, bytes.len() - 10, 100] {
        let cut = dir.path().join(format!("cut-{keep}.animatrix-demo"));
        std::fs::write(&cut, &bytes[..keep]).expect("write");
        refused(&cut, "demo_pack_corrupt");
    }

    // A zip without our manifest is not a pack.
    let other = dir.path().join("other.animatrix-demo");
    write_zip(&other, &[("readme.txt".into(), b"hello".to_vec())]);
    refused(&other, "demo_pack_corrupt");

    // A flipped byte inside a member's data: the zip's own CRC catches it.
    let mut members = read_members(&recorded().pack);
    members.retain(|(n, _)| n == "manifest.json" || n.ends_with(".json"));
    resign(&mut members);
    let stored = dir.path().join("flip.animatrix-demo");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&stored).expect("create"));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (n, b) in &members {
        w.start_file(n.as_str(), opts).expect("start");
        w.write_all(b).expect("write");
    }
    w.finish().expect("finish");
    let mut raw = std::fs::read(&stored).expect("read");
    let needle = b"\"events\"";
    let at = raw
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("timeline text");
    raw[at + 1] ^= 0x20;
    std::fs::write(&stored, &raw).expect("write");
    refused(&stored, "demo_pack_corrupt");
}

#[test]
fn tampered_members_are_refused() {
    let dir = scratch();
    let original = read_members(&recorded().pack);

    // Content changed, manifest not updated.
    let mut members = original.clone();
    let video = members
        .iter_mut()
        .find(|(n, _)| n.ends_with(".mp4") && n.contains("/outputs/"))
        .expect("video member");
    let last = video.1.len() - 1;
    video.1[last] ^= 0xff;
    let p = dir.path().join("changed.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_tampered");

    // The manifest's checksum edited.
    let mut members = original.clone();
    let mut manifest = manifest_of(&members);
    manifest["members"][0]["sha256"] = Value::String("0".repeat(64));
    set_manifest(&mut members, &manifest);
    let p = dir.path().join("checksum.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_tampered");

    // A member smuggled in without being listed.
    let mut members = original.clone();
    members.push(("runs/extra.txt".into(), b"surprise".to_vec()));
    let p = dir.path().join("extra.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_tampered");

    // A listed member removed.
    let mut members = original.clone();
    members.retain(|(n, _)| !n.ends_with(".png"));
    let p = dir.path().join("missing.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_tampered");

    // A re-signed manifest whose run record points its video at other bytes than its own.
    let mut members = original.clone();
    for (n, b) in members.iter_mut() {
        if n.ends_with("/run.json") {
            let mut run: Value = serde_json::from_slice(b).expect("run");
            for o in run["outputs"].as_array_mut().expect("outputs") {
                o["sha256"] = Value::String("a".repeat(64));
            }
            *b = serde_json::to_vec(&run).expect("json");
        }
    }
    resign(&mut members);
    let p = dir.path().join("record.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_tampered");
}

#[test]
fn unsafe_member_names_are_refused() {
    let dir = scratch();
    for (i, evil) in [
        "../x",
        "runs/../../x",
        "/etc/animatrix-x",
        "C:/x",
        "C:\\x",
        "runs\\..\\x",
    ]
    .iter()
    .enumerate()
    {
        let mut members = read_members(&recorded().pack);
        members.push(((*evil).to_string(), b"owned".to_vec()));
        resign(&mut members);
        let p = dir.path().join(format!("evil-{i}.animatrix-demo"));
        write_zip(&p, &members);
        refused(&p, "demo_pack_unsafe_path");
        let inspected = demo::inspect(&p).expect_err("inspect refuses it too");
        assert_eq!(code(&inspected), "demo_pack_unsafe_path");
        assert!(!dir.path().join("x").exists());
    }
    // A run folder in the manifest that climbs out.
    let mut members = read_members(&recorded().pack);
    let mut manifest = manifest_of(&members);
    manifest["runs"][0]["dir"] = Value::String("../runs".into());
    set_manifest(&mut members, &manifest);
    let p = dir.path().join("evil-dir.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_unsafe_path");
}

#[test]
fn unknown_format_or_version_is_refused() {
    let dir = scratch();
    for (i, (key, value)) in [
        ("version", serde_json::json!(3)),
        ("version", serde_json::json!("2")),
        ("format", serde_json::json!("someone-elses-pack")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut members = read_members(&recorded().pack);
        let mut manifest = manifest_of(&members);
        manifest[key] = value;
        set_manifest(&mut members, &manifest);
        let p = dir.path().join(format!("v-{i}.animatrix-demo"));
        write_zip(&p, &members);
        refused(&p, "demo_pack_unsupported_version");
    }
}

#[test]
fn zip_bombs_are_refused() {
    let dir = scratch();
    // Highly compressible: 64 MiB of zeros deflate to ~64 KiB (1000:1).
    let mut members = read_members(&recorded().pack);
    members.push(("runs/bomb.bin".into(), vec![0u8; 64 << 20]));
    resign(&mut members);
    let p = dir.path().join("ratio.animatrix-demo");
    write_zip(&p, &members);
    refused(&p, "demo_pack_too_large");

    // Within the ratio but over the total cap.
    let mut members = read_members(&recorded().pack);
    resign(&mut members);
    let p = dir.path().join("total.animatrix-demo");
    write_zip(&p, &members);
    let small = ImportLimits {
        max_total_bytes: 64 << 10,
        ..ImportLimits::default()
    };
    refused_with(&p, "demo_pack_too_large", &small);
    let tiny_member = ImportLimits {
        max_member_bytes: 1 << 10,
        ..ImportLimits::default()
    };
    refused_with(&p, "demo_pack_too_large", &tiny_member);

    // A member whose headers lie about its size: counted while extracting.
    let mut members = read_members(&recorded().pack);
    members.push(("runs/liar.bin".into(), vec![7u8; 200_000]));
    resign(&mut members);
    // The manifest must agree with the lie for the lie to reach extraction.
    let mut manifest = manifest_of(&members);
    for m in manifest["members"].as_array_mut().expect("members") {
        if m["path"] == "runs/liar.bin" {
            m["size"] = serde_json::json!(1000);
        }
    }
    set_manifest(&mut members, &manifest);
    let p = dir.path().join("liar.animatrix-demo");
    write_zip(&p, &members);
    patch_declared_size(&p, "runs/liar.bin", 1000);
    refused(&p, "demo_pack_too_large");
}

/// Rewrites the uncompressed size of `name` in its local header and central directory entry.
fn patch_declared_size(pack: &Path, name: &str, size: u32) {
    let mut raw = std::fs::read(pack).expect("read");
    let name_bytes = name.as_bytes();
    let mut patched = 0;
    let mut i = 0;
    while i + 46 <= raw.len() {
        let sig = &raw[i..i + 4];
        let (size_at, name_len_at, name_at) = match sig {
            [0x50, 0x4b, 0x03, 0x04] => (i + 22, i + 26, i + 30),
            [0x50, 0x4b, 0x01, 0x02] => (i + 24, i + 28, i + 46),
            _ => {
                i += 1;
                continue;
            }
        };
        let len = u16::from_le_bytes([raw[name_len_at], raw[name_len_at + 1]]) as usize;
        if raw.get(name_at..name_at + len) == Some(name_bytes) {
            raw[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        i += 4;
    }
    assert_eq!(patched, 2, "local and central headers patched");
    std::fs::write(pack, raw).expect("write");
}

#[test]
fn a_failure_while_placing_files_rolls_everything_back() {
    // The second run's motion video cannot be placed (its asset folder is blocked by a file):
    // the first run, already placed and inserted, must vanish again.
    let rec = recorded();
    let members = read_members(&rec.pack);
    let manifest = manifest_of(&members);
    let second = manifest["runs"][1]["dir"]
        .as_str()
        .expect("dir")
        .to_string();
    let run: Value = serde_json::from_slice(
        &members
            .iter()
            .find(|(n, _)| *n == format!("{second}/run.json"))
            .expect("run")
            .1,
    )
    .expect("json");
    let video_sha = run["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .find(|i| i["role"] == "motion_video")
        .and_then(|i| i["asset"]["sha256"].as_str())
        .expect("motion video input")
        .to_string();
    let (_d, target) = fresh();
    let assets = target.data_dir().join("assets");
    std::fs::create_dir_all(&assets).expect("assets");
    std::fs::write(assets.join(&video_sha[..2]), b"in the way").expect("blocker");
    let before = snapshot(&target);
    let err = demo::import(&target, &rec.pack).expect_err("blocked");
    assert_eq!(code(&err), "io_error", "{err}");
    assert_eq!(snapshot(&target), before);
}
