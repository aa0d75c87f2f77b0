//! Sharing in the real window against a real S3 server (Garage) and the fake ComfyUI:
//! Settings > Storage (Test storage names a wrong key, then passes; Save), a completed run
//! published from its page, its share link fetched with curl (206, video/mp4), and the
//! gallery's Team filter importing a run another workstation published.
//!
//! Run under a keychain: `scripts/with-keyring.sh cargo test -p animatrix-e2e --test sharing`
//! (after `bash scripts/build-ui.sh && cargo build -p animatrix-studio`, and
//! `scripts/garage-setup.sh`).

use std::time::Duration;

use animatrix_core::jobs::{JobInput, JobRequest, JobState};
use animatrix_core::storage::{Credentials, StorageTarget};
use animatrix_core::{AuthKind, NewEndpoint, Studio};
use animatrix_e2e::gallery::{RUN_LIMIT, card_css, card_ids, new_card, wait_state};
use animatrix_e2e::studio_env::{StudioEnv, fixture};
use animatrix_e2e::window::{self, AppSession, testid_css};
use animatrix_workflow::JobSettings;
use garage_harness::{Garage, REGION};

async fn fill(app: &AppSession, testid: &str, text: &str) {
    app.find(testid)
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"))
        .clear()
        .await
        .expect("clear");
    app.type_into(testid, text).await.expect("type");
}

/// A run made and published by "another workstation": its own data dir, same bucket.
async fn published_elsewhere(env: &StudioEnv, g: &Garage, dir: &std::path::Path) -> String {
    let other = Studio::open(dir.to_path_buf()).expect("other data dir");
    other
        .add_endpoint(
            NewEndpoint {
                name: "fake".into(),
                base_url: env.fake.base_url(),
                auth: AuthKind::None,
                make_default: true,
            },
            None,
        )
        .await
        .expect("endpoint");
    let template = other.template_for_mode("audio", None).expect("template");
    let mut settings = JobSettings::new(template, "a robot sings from another desk");
    settings.profile = Some("draft".into());
    let mut req = JobRequest::new(settings);
    req.inputs = vec![
        JobInput::file("ground_truth", fixture("character.png")),
        JobInput::file("audio", fixture("speech.wav")),
    ];
    let id = other.submit(req).await.expect("submit");
    let job = tokio::time::timeout(RUN_LIMIT, other.wait(&id))
        .await
        .expect("in time")
        .expect("wait");
    assert_eq!(job.state, JobState::Completed);
    other
        .set_storage(
            StorageTarget {
                endpoint_url: g.endpoint.clone(),
                region: REGION.into(),
                bucket: g.bucket.clone(),
                prefix: String::new(),
                path_style: true,
            },
            Credentials {
                access_key_id: g.access_key_id.clone(),
                secret_access_key: g.secret_access_key.clone().into(),
            },
            false,
        )
        .await
        .expect("storage");
    other.publish(&id).await.expect("publish elsewhere");
    id
}

#[tokio::test(flavor = "current_thread")]
async fn storage_settings_publish_share_and_team_import() {
    let Some(prereqs) =
        window::prerequisites_or_skip("storage_settings_publish_share_and_team_import")
    else {
        return;
    };
    let g = Garage::start("team");
    let env = StudioEnv::start(&prereqs, 5).await;
    let app = &env.app;

    // A completed run in this window.
    app.click("mode-audio").await.expect("Audio mode");
    env.attach("ground_truth", "character.png").await;
    env.attach("audio", "speech.wav").await;
    app.type_into("prompt", "A knight sings to the camera")
        .await
        .expect("prompt");
    app.select("quality", "draft").await.expect("Draft");
    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let job = new_card(app, &before).await;
    wait_state(app, &job, "completed").await;

    // Settings > Storage: a wrong secret is named plainly, the right one passes, then Save.
    app.click("nav-settings").await.expect("settings");
    fill(app, "storage-url", &g.endpoint).await;
    fill(app, "storage-region", REGION).await;
    fill(app, "storage-bucket", &g.bucket).await;
    fill(app, "storage-key", &g.access_key_id).await;
    fill(app, "storage-secret", &"0".repeat(64)).await;
    app.click("storage-test").await.expect("test");
    app.find_css_within(
        "[data-testid=\"storage-error\"][data-code=\"storage_bad_key\"]",
        Duration::from_secs(30),
    )
    .await
    .expect("a wrong key is named");
    app.screenshot("storage-bad-key").await.expect("shot");
    fill(app, "storage-secret", &g.secret_access_key).await;
    app.click("storage-test").await.expect("test");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !app
        .text("storage-status")
        .await
        .unwrap_or_default()
        .contains("Storage works")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "Test storage never passed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.click("storage-save").await.expect("save");
    app.find_css_within(&testid_css("storage-clear"), Duration::from_secs(10))
        .await
        .expect("saved");
    app.screenshot("storage-saved").await.expect("shot");

    // Publish from the run's page, then copy a share link and fetch it like a browser would.
    app.click("nav-studio").await.expect("studio");
    app.find_css(&format!(
        "{} {}",
        card_css(&format!("[data-job-id=\"{job}\"]")),
        testid_css("run-open")
    ))
    .await
    .expect("open button")
    .click()
    .await
    .expect("open");
    app.click("run-publish").await.expect("Publish");
    app.find_css_within(
        "[data-testid=\"run-sharing\"][data-state=\"published\"]",
        Duration::from_secs(60),
    )
    .await
    .expect("the run shows Published");
    app.select("share-expiry", "1h").await.expect("expiry");
    app.click("run-share").await.expect("Copy share link");
    let link = app
        .find_css_within(&testid_css("run-share-link"), Duration::from_secs(30))
        .await
        .expect("link shown")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-r",
            "0-99",
            "-w",
            "\n%{http_code}",
        ])
        .arg(&link)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.trim_end().ends_with("206"), "{text}");
    assert!(text.contains("content-type: video/mp4"), "{text}");
    app.screenshot("run-published").await.expect("shot");
    app.click("run-close").await.expect("close");

    // The Team filter: another workstation's run, imported once.
    let elsewhere = tempfile::tempdir().expect("dir");
    let theirs = published_elsewhere(&env, &g, elsewhere.path()).await;
    app.click("runs-team").await.expect("Team");
    let import = app
        .find_css_within(
            &format!(
                "[data-job-id=\"{theirs}\"] {}",
                testid_css("team-run-import")
            ),
            Duration::from_secs(30),
        )
        .await
        .expect("their run is listed with Import");
    app.find_css(&format!(
        "[data-job-id=\"{job}\"] {}",
        testid_css("team-run-here")
    ))
    .await
    .expect("ours is listed as made here");
    // Team shows the bucket instead of this machine's gallery, not beside it.
    let our_card = app
        .find_css(&card_css(&format!("[data-job-id=\"{job}\"]")))
        .await
        .expect("our card exists");
    assert!(
        !our_card.is_displayed().await.expect("displayed?"),
        "the local gallery is hidden under the Team filter"
    );
    import.click().await.expect("Import");
    app.find_css_within(
        &format!("[data-job-id=\"{theirs}\"] {}", testid_css("team-run-here")),
        Duration::from_secs(60),
    )
    .await
    .expect("imported");
    app.screenshot("team-library").await.expect("shot");
    app.find_css(&format!(
        "[data-job-id=\"{theirs}\"] {}",
        testid_css("team-run-open")
    ))
    .await
    .expect("Open on the imported run")
    .click()
    .await
    .expect("open");
    let origin = app
        .find_css_within(&testid_css("run-origin"), Duration::from_secs(30))
        .await
        .expect("the run says where it came from")
        .text()
        .await
        .expect("text");
    assert!(origin.contains(&g.bucket), "{origin}");
    let studio = env.studio();
    let imported = studio.library_list().await.expect("list");
    let local = imported
        .iter()
        .find(|e| e.run.job_id == theirs)
        .and_then(|e| e.local_job_id.clone())
        .expect("local copy");
    assert!(studio.job(&local).await.expect("job").is_demo);
}
