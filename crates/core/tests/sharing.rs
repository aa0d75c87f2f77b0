//! Publishing, share links and the team library against a real S3 server (Garage) and the
//! OS keychain (run under scripts/with-keyring.sh): a run recorded through the engine against
//! the fake ComfyUI is published, shared, unpublished, imported on a second data dir.

use std::path::{Path, PathBuf};
use std::time::Duration;

use animatrix_common::{ErrorCode, Explain};
use animatrix_core::jobs::{JobInput, JobRequest, JobState};
use animatrix_core::sharing::PublishState;
use animatrix_core::storage::{Bucket, StorageTarget};
use animatrix_core::{AuthKind, CoreError, NewEndpoint, Studio};
use animatrix_workflow::JobSettings;
use garage_harness::{Garage, curl, grow_run_video};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
}

/// A data dir with one completed Audio Performance run (fake ComfyUI).
async fn recorded_run(data: PathBuf) -> (Studio, String) {
    let fake = fake_comfy::FakeComfy::builder()
        .exec_ms(5)
        .start()
        .await
        .expect("fake");
    let studio = Studio::open(data).expect("studio");
    add_server(&studio, &fake).await;
    let id = run_once(&studio).await;
    fake.shutdown().await;
    (studio, id)
}

async fn add_server(studio: &Studio, fake: &fake_comfy::FakeComfyHandle) {
    studio
        .add_endpoint(
            NewEndpoint {
                name: "gpu".into(),
                base_url: fake.base_url(),
                auth: AuthKind::None,
                make_default: true,
            },
            None,
        )
        .await
        .expect("endpoint");
}

/// Submits one Draft Audio Performance run and waits for it to complete.
async fn run_once(studio: &Studio) -> String {
    let template = studio.template_for_mode("audio", None).expect("template");
    let mut settings = JobSettings::new(template, "a knight singing opera");
    settings.profile = Some("draft".into());
    settings.aspect = Some("9:16".into());
    let mut req = JobRequest::new(settings);
    req.inputs = vec![
        JobInput::file("ground_truth", fixture("character.png")),
        JobInput::file("audio", fixture("speech.wav")),
    ];
    let id = studio.submit(req).await.expect("submit");
    let job = tokio::time::timeout(Duration::from_secs(60), studio.wait(&id))
        .await
        .expect("in time")
        .expect("wait");
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
    id
}

fn target(g: &Garage, prefix: &str) -> StorageTarget {
    g.target(&g.bucket, prefix)
}

fn code(e: &CoreError) -> ErrorCode {
    e.explain().code
}

fn curl_status(url: &str, extra: &[&str]) -> (u16, String) {
    let got = curl(url, extra);
    (got.status, got.headers)
}

fn db(studio: &Studio) -> rusqlite::Connection {
    rusqlite::Connection::open(animatrix_core::store::db_path(studio.data_dir())).expect("db")
}

fn job_count(studio: &Studio) -> i64 {
    db(studio)
        .query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_share_and_unpublish_a_run() {
    let g = Garage::start("runs");
    let dir = tempfile::tempdir().expect("dir");
    let (studio, id) = recorded_run(dir.path().join("a")).await;

    let e = studio.publish(&id).await.expect_err("no storage yet");
    assert_eq!(code(&e), ErrorCode::StorageNotConfigured);
    studio
        .set_storage(target(&g, "team"), g.credentials(), false)
        .await
        .expect("set");
    studio.test_storage().await.expect("probe");
    let shown = studio.storage_settings().await.expect("show");
    assert_eq!(
        shown.access_key_id.as_deref(),
        Some(g.access_key_id.as_str())
    );
    assert!(
        !serde_json::to_string(&shown)
            .expect("json")
            .contains(&g.secret_access_key)
    );

    let first = studio.publish(&id).await.expect("publish");
    assert_eq!(first.publication.state, PublishState::Published);
    // poster, video, job_manifest, debug_metadata, the demo-pack record, published.json
    assert_eq!(first.uploaded, 6, "{first:?}");
    assert_eq!(first.skipped, 0);
    assert_eq!(first.publication.files_uploaded, 6);
    let again = studio.publish(&id).await.expect("publish again");
    assert_eq!(
        (again.uploaded, again.skipped),
        (0, 6),
        "nothing is sent twice"
    );

    let link = studio
        .share_link(&id, Duration::from_secs(600))
        .await
        .expect("link");
    let (status, headers) = curl_status(&link, &["-r", "0-99"]);
    assert_eq!(status, 206, "{headers}");
    assert!(headers.contains("content-type: video/mp4"), "{headers}");
    assert!(headers.contains("content-range: bytes 0-99/"), "{headers}");

    let short = studio
        .share_link(&id, Duration::from_secs(1))
        .await
        .expect("short link");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = curl_status(&short, &[]).0;
    assert!(
        matches!(expired, 400 | 403),
        "expired link refused: {expired}"
    );

    assert!(studio.unpublish(&id).await.expect("unpublish") >= 6);
    assert_eq!(curl_status(&link, &[]).0, 404, "the object is gone");
    assert!(studio.publication(&id).await.expect("state").is_none());
    let e = studio
        .share_link(&id, Duration::from_secs(60))
        .await
        .expect_err("not published");
    assert_eq!(code(&e), ErrorCode::RunNotPublished);
    assert!(studio.library_list().await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_publish_is_recorded_and_retried() {
    let g = Garage::start("runs");
    let dir = tempfile::tempdir().expect("dir");
    let (studio, id) = recorded_run(dir.path().join("a")).await;
    studio
        .set_storage(target(&g, ""), g.credentials_with(&"0".repeat(64)), false)
        .await
        .expect("set");
    let e = studio.test_storage().await.expect_err("wrong secret");
    assert_eq!(code(&e), ErrorCode::StorageBadKey);
    let e = studio.publish(&id).await.expect_err("wrong secret");
    assert_eq!(code(&e), ErrorCode::StorageBadKey);
    let p = studio.publication(&id).await.expect("state").expect("row");
    assert_eq!(p.state, PublishState::Failed);
    assert_eq!(p.error.map(|e| e.code), Some(ErrorCode::StorageBadKey));

    studio
        .set_storage(target(&g, ""), g.credentials(), true)
        .await
        .expect("fix the key");
    let ok = studio.publish(&id).await.expect("retry");
    assert_eq!(ok.publication.state, PublishState::Published);
    assert!(ok.publication.error.is_none());

    let mut missing = target(&g, "");
    missing.bucket = "no-such-bucket".into();
    studio
        .set_storage(missing, g.credentials(), false)
        .await
        .expect("set");
    let e = studio.test_storage().await.expect_err("missing bucket");
    assert_eq!(code(&e), ErrorCode::StorageNoSuchBucket);
    studio.clear_storage().await.expect("clear");
    assert!(
        studio
            .storage_settings()
            .await
            .expect("show")
            .target
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_run_imports_once_on_another_workstation() {
    let g = Garage::start("runs");
    let dir = tempfile::tempdir().expect("dir");
    let (a, id) = recorded_run(dir.path().join("a")).await;
    a.set_storage(target(&g, "team"), g.credentials(), false)
        .await
        .expect("set a");
    // Above the multipart threshold, so the video goes up in parts.
    let size = 20 * 1024 * 1024;
    let video = std::fs::read(grow_run_video(
        &animatrix_core::store::db_path(a.data_dir()),
        &id,
        size,
    ))
    .expect("video");
    a.publish(&id).await.expect("publish");

    // The video is in the bucket once: the pack beside it leaves it out.
    let bucket = Bucket::open(target(&g, "team"), &g.credentials()).expect("bucket");
    let objects = bucket.list(&format!("runs/{id}")).await.expect("list");
    let total: u64 = objects.iter().map(|o| o.size).sum();
    assert!(
        total < size as u64 * 12 / 10,
        "{total} bytes published for a {size}-byte video: {objects:?}"
    );
    let open: i64 = db(&a)
        .query_row("SELECT count(*) FROM open_uploads", [], |r| r.get(0))
        .expect("count");
    assert_eq!(open, 0, "a completed upload leaves no open upload recorded");
    assert!(g.multipart_uploads(&g.bucket).is_empty());
    let video_name = std::path::Path::new(&a.job(&id).await.expect("job").video_path().expect("v"))
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    let video_key = format!("runs/{id}/{video_name}");

    let b = Studio::open(dir.path().join("b")).expect("b");
    b.set_storage(target(&g, "team"), g.credentials(), false)
        .await
        .expect("set b");
    let listed = b.library_list().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].run.job_id, id);
    assert_eq!(listed[0].run.prompt, "a knight singing opera");
    assert!(!listed[0].made_here && listed[0].local_job_id.is_none());

    let before = job_count(&b);
    // A video object changed in the bucket (same size) is refused by the pack's checksums,
    // and nothing is imported.
    let local = dir.path().join("tampered.mp4");
    let mut tampered = video.clone();
    tampered[size / 2] ^= 0xff;
    std::fs::write(&local, &tampered).expect("write");
    bucket
        .upload_file(&local, &video_key, "video/mp4")
        .await
        .expect("tamper");
    let e = b.library_import(&id).await.expect_err("tampered");
    assert_eq!(code(&e), ErrorCode::DemoPackTampered, "{e:?}");
    assert_eq!(job_count(&b), before, "all or nothing");
    std::fs::write(&local, &video).expect("write");
    bucket
        .upload_file(&local, &video_key, "video/mp4")
        .await
        .expect("restore");

    let imported = b.library_import(&id).await.expect("import");
    assert!(imported.imported);
    let job = b.job(&imported.job_id).await.expect("job");
    assert!(
        job.is_demo,
        "a library run is a demo run: never in metrics, never sent"
    );
    assert_eq!(job.state, JobState::Completed);
    let video = job.video_path().expect("video");
    let theirs = a.job(&id).await.expect("a job");
    assert_eq!(
        std::fs::read(video).expect("b video"),
        std::fs::read(theirs.video_path().expect("a video")).expect("a video"),
    );
    assert_eq!(
        b.run_origin(&imported.job_id).await.expect("origin"),
        Some(format!("{}/{}/team", g.endpoint, g.bucket))
    );
    let again = b.library_import(&id).await.expect("again");
    assert!(!again.imported);
    assert_eq!(again.job_id, imported.job_id);
    assert_eq!(job_count(&b), before + 1, "never counted twice");
    let listed = b.library_list().await.expect("list");
    assert_eq!(
        listed[0].local_job_id.as_deref(),
        Some(imported.job_id.as_str())
    );

    // On the workstation that made it, the run is already there.
    let here = a.library_list().await.expect("list a");
    assert!(here[0].made_here);
    let same = a.library_import(&id).await.expect("import on a");
    assert!(!same.imported && same.job_id == id);
    let e = b.publish(&imported.job_id).await.expect_err("re-publish");
    assert_eq!(code(&e), ErrorCode::RunNotPublishable);
}

/// Settings > Storage may be saved with the secret left blank: the keychain's is kept, but only
/// for the same bucket and access key id (a new id with an old secret would fail every request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_secret_keeps_the_stored_one_only_for_the_same_key() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().expect("dir");
    let studio = Studio::open(dir.path().to_path_buf()).expect("studio");
    let target = StorageTarget {
        endpoint_url: "https://s3.example.com/".into(),
        region: "eu-west-1".into(),
        bucket: format!("keep-{}", std::process::id()),
        prefix: String::new(),
        path_style: true,
    };
    let typed = |secret: Option<&str>, id: &str| {
        studio.storage_form_credentials(
            target.clone(),
            id.to_string(),
            secret.map(|s| s.to_string().into()),
        )
    };
    let none = typed(None, "GK1").await.expect_err("nothing stored yet");
    assert_eq!(code(&none), ErrorCode::InvalidSetting);
    let creds = typed(Some("s3cret"), "GK1").await.expect("typed");
    studio
        .set_storage(target.clone(), creds, false)
        .await
        .expect("saved");
    // Blank, same key id (the URL typed with its trailing slash is the same target).
    let kept = typed(Some("  "), "GK1").await.expect("kept");
    assert_eq!(kept.secret_access_key.expose_secret(), "s3cret");
    let other = typed(None, "GK2").await.expect_err("another key id");
    assert_eq!(code(&other), ErrorCode::InvalidSetting);
    let retyped = typed(Some("new"), "GK2").await.expect("typed wins");
    assert_eq!(retyped.secret_access_key.expose_secret(), "new");
    studio.clear_storage().await.expect("clear");
    let gone = typed(None, "GK1").await.expect_err("cleared");
    assert_eq!(code(&gone), ErrorCode::InvalidSetting);
}

/// "Publish each run automatically": a run that completes in a process running the auto-publish
/// task is published with no action, and one that completes after it is turned off is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_publish_publishes_each_completed_run_while_on() {
    let g = Garage::start("auto");
    let fake = fake_comfy::FakeComfy::builder()
        .exec_ms(5)
        .start()
        .await
        .expect("fake");
    let dir = tempfile::tempdir().expect("dir");
    let studio = Studio::open(dir.path().to_path_buf()).expect("studio");
    add_server(&studio, &fake).await;
    studio
        .set_storage(target(&g, "auto"), g.credentials(), true)
        .await
        .expect("storage");
    let task = studio.spawn_auto_publish();

    let id = run_once(&studio).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let p = studio.publication(&id).await.expect("publication");
        if let Some(p) = p.filter(|p| p.state != PublishState::Publishing) {
            assert_eq!(p.state, PublishState::Published, "{:?}", p.error);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never auto-published");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = curl_status(
        &studio
            .share_link(&id, Duration::from_secs(60))
            .await
            .expect("link"),
        &["-r", "0-9"],
    );
    assert_eq!(status, 206);

    studio.set_auto_publish(false).await.expect("off");
    let later = run_once(&studio).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(studio.publication(&later).await.expect("read"), None);
    task.abort();
    fake.shutdown().await;
}
