//! Per-server metrics and the composer's wait estimate, over a real SQLite store and fake
//! ComfyUI servers: runs, failure rate and median run time per template are counted per
//! server from the run history (demo runs never count); a pool member's health carries its
//! GPU and VRAM from `/system_stats`; the wait estimate adds the upload time of inputs a
//! server does not have yet, as routing does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use animatrix_core::jobs::{InputSource, JobInput, JobRequest, JobState, Role};
use animatrix_core::media::FitMode;
use animatrix_core::{AuthKind, NewEndpoint, Studio};
use animatrix_workflow::JobSettings;
use fake_comfy::{FakeComfy, FakeComfyHandle};

const BOUND: Duration = Duration::from_secs(90);
/// Upload speed the estimate assumes (`ASSUMED_UPLOAD_BYTES_PER_SECOND` in the engine).
const UPLOAD_BPS: f64 = 20.0 * 1024.0 * 1024.0;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
}

async fn studio_with(servers: &[(&str, &FakeComfyHandle)]) -> (tempfile::TempDir, Studio) {
    let dir = tempfile::tempdir().expect("tempdir");
    let studio = Studio::open(dir.path().join("data")).expect("studio");
    for (name, f) in servers {
        studio
            .add_endpoint(
                NewEndpoint {
                    name: (*name).into(),
                    base_url: f.base_url(),
                    auth: AuthKind::None,
                    make_default: false,
                },
                None,
            )
            .await
            .expect("endpoint");
    }
    (dir, studio)
}

fn request(studio: &Studio, target: &str, inputs: Vec<JobInput>) -> JobRequest {
    let template = studio.template_for_mode("audio", None).expect("template");
    let mut settings = JobSettings::new(template, "sings");
    settings.profile = Some("draft".into());
    settings.aspect = Some("9:16".into());
    settings.seed = 7;
    let mut req = JobRequest::new(settings);
    req.inputs = inputs;
    req.target = Some(target.into());
    req
}

fn file_inputs() -> Vec<JobInput> {
    vec![
        JobInput::file("ground_truth", fixture("character.png")),
        JobInput::file("audio", fixture("speech.wav")),
    ]
}

async fn run_to_end(studio: &Studio, req: JobRequest) -> String {
    let id = studio.submit(req).await.expect("submit");
    let job = tokio::time::timeout(BOUND, studio.wait(&id))
        .await
        .expect("ended in time")
        .expect("wait");
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_runs_failures_and_the_median_per_server_and_template() {
    let a = FakeComfy::builder().exec_ms(3).start().await.expect("fake");
    let b = FakeComfy::builder().exec_ms(3).start().await.expect("fake");
    a.set_devices(vec![FakeComfyHandle::cuda_device("RTX 4090", 24 << 30)]);
    let (dir, studio) = studio_with(&[("gpu-a", &a), ("gpu-b", &b)]).await;
    let mut on_a = Vec::new();
    for _ in 0..5 {
        on_a.push(run_to_end(&studio, request(&studio, "gpu-a", file_inputs())).await);
    }
    let on_b = run_to_end(&studio, request(&studio, "gpu-b", file_inputs())).await;
    let template = studio.job(&on_b).await.expect("job").template.name;

    // Exact numbers: run times 10 s, 30 s, 20 s; one failed, one a demo run (never counts).
    let db = rusqlite::Connection::open(dir.path().join("data/animatrix.sqlite3")).expect("db");
    db.busy_timeout(Duration::from_secs(10)).expect("busy");
    for (id, secs) in on_a.iter().zip([10_000, 30_000, 20_000]) {
        db.execute(
            "UPDATE jobs SET started_at = 1000000, finished_at = 1000000 + ?2 WHERE id = ?1",
            rusqlite::params![id, secs],
        )
        .expect("times");
    }
    db.execute("UPDATE jobs SET state = 'failed' WHERE id = ?1", [&on_a[3]])
        .expect("failed");
    db.execute("UPDATE jobs SET is_demo = 1 WHERE id = ?1", [&on_a[4]])
        .expect("demo");

    let all = studio.server_metrics().await.expect("metrics");
    // Every configured server, the seeded production one (never used here) included.
    assert_eq!(
        all.iter().map(|m| m.endpoint.as_str()).collect::<Vec<_>>(),
        ["production", "gpu-a", "gpu-b"]
    );
    assert_eq!((all[0].runs, all[0].per_template.len()), (0, 0));
    let (ma, mb) = (&all[1], &all[2]);
    assert_eq!((ma.runs, ma.completed, ma.failed), (4, 3, 1));
    assert!((ma.failure_rate - 0.25).abs() < 1e-9, "{}", ma.failure_rate);
    assert_eq!(ma.per_template.len(), 1);
    let t = &ma.per_template[0];
    assert_eq!(t.template_name, template);
    assert_eq!((t.runs, t.completed, t.failed), (4, 3, 1));
    assert_eq!(t.median_run_s, Some(20.0));
    assert_eq!((mb.runs, mb.failed, mb.failure_rate), (1, 0, 0.0));
    assert!(mb.per_template[0].median_run_s.is_some());

    // A pool's members carry the same numbers and the GPU from `/system_stats`.
    let members: Vec<String> = ["gpu-a", "gpu-b"].map(String::from).to_vec();
    studio
        .create_pool("studio", &members, None)
        .await
        .expect("pool");
    let detail = studio.pool_detail("studio").await.expect("detail");
    let (da, dbm) = (&detail.members[0], &detail.members[1]);
    assert_eq!(&da.metrics, ma);
    assert_eq!(&dbm.metrics, mb);
    assert!(
        da.gpu_name
            .as_deref()
            .is_some_and(|g| g.contains("RTX 4090")),
        "{:?}",
        da.gpu_name
    );
    assert_eq!(
        (da.vram_total, da.vram_free),
        (Some(24 << 30), Some(24 << 30))
    );
    assert_eq!(dbm.gpu_name, None, "the capture is a CPU-only server");
    assert!(dbm.reachable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_estimate_adds_the_upload_of_inputs_the_server_lacks() {
    let a = FakeComfy::builder().exec_ms(3).start().await.expect("fake");
    let (_dir, studio) = studio_with(&[("gpu-a", &a)]).await;
    let name = studio.template_for_mode("audio", None).expect("template");
    let mut inputs = Vec::new();
    let mut bytes = 0i64;
    for (role, file) in [("ground_truth", "character.png"), ("audio", "speech.wav")] {
        let imported = studio
            .import_input(&fixture(file), Some(&name), role, None, FitMode::default())
            .await
            .expect("import");
        bytes += imported.asset.size_bytes;
        inputs.push(JobInput {
            role: Role::new(role),
            source: InputSource::Asset(imported.asset.id.clone()),
        });
    }

    let upload_of = |est: &animatrix_core::api::WaitEstimate| match &est.members[0].status {
        animatrix_core::pools::route::MemberStatus::Ready {
            upload_seconds,
            wait_seconds,
            ahead,
            run_seconds,
            ..
        } => {
            assert!(
                (wait_seconds - (f64::from(*ahead) * run_seconds + upload_seconds)).abs() < 1e-9
            );
            *upload_seconds
        }
        other => panic!("not ready: {other:?}"),
    };
    let none = studio
        .wait_estimate(Some("gpu-a"), &name, "draft", &[])
        .await
        .expect("estimate");
    assert_eq!(upload_of(&none), 0.0, "no inputs, nothing to upload");
    let fresh = studio
        .wait_estimate(Some("gpu-a"), &name, "draft", &inputs)
        .await
        .expect("estimate");
    let expected = bytes as f64 / UPLOAD_BPS;
    assert!(
        (upload_of(&fresh) - expected).abs() < 1e-6,
        "{} vs {expected}",
        upload_of(&fresh)
    );
    assert!(fresh.wait_seconds.expect("wait") >= expected);

    // Once a run has sent them to gpu-a, they are on the server: no upload time there.
    run_to_end(&studio, request(&studio, "gpu-a", inputs.clone())).await;
    let again = studio
        .wait_estimate(Some("gpu-a"), &name, "draft", &inputs)
        .await
        .expect("estimate");
    assert!(upload_of(&again) < upload_of(&fresh), "{again:?}");
}
