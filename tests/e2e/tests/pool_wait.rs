//! Server pools in the real window: with the default target a pool whose server already has a
//! long queue (other prompts held on the fake), the composer's status beside Generate names the
//! pool and its wait, and Generate first shows the wait warning; "Generate anyway" then sends
//! the run, which lands on the pool's member.
//!
//! Run: `bash scripts/build-ui.sh && cargo build -p animatrix-studio && cargo test -p animatrix-e2e --test pool_wait`

use std::time::Duration;

use animatrix_core::jobs::{JobRequest, JobState};
use animatrix_core::pools::PoolSettings;
use animatrix_e2e::gallery::{RUN_LIMIT, card_ids, new_card, open_operator_view, shot};
use animatrix_e2e::studio_env::{StudioEnv, fixture};
use animatrix_e2e::window::{self, testid_css};
use fake_comfy::PromptFault;

/// A request as another client of the same server would send it (straight to the server).
fn queued_request(n: usize) -> JobRequest {
    serde_json::from_value(serde_json::json!({
        "settings": {
            "template": "s2v",
            "prompt": format!("someone else's run {n}"),
            "negative_prompt": null,
            "profile": "draft",
            "aspect": "9:16",
            "seed": n,
            "framing": null,
            "points": [],
            "target_duration_secs": null,
            "params": {}
        },
        "inputs": [
            { "role": "ground_truth", "source": { "file": fixture("character.png") } },
            { "role": "audio", "source": { "file": fixture("speech.wav") } }
        ],
        "target": "fake"
    }))
    .expect("request")
}

#[tokio::test(flavor = "current_thread")]
async fn the_wait_warning_shows_when_the_pools_queue_is_long() {
    let Some(prereqs) =
        window::prerequisites_or_skip("the_wait_warning_shows_when_the_pools_queue_is_long")
    else {
        return;
    };
    let env = StudioEnv::start(&prereqs, 20).await;
    let (app, fake) = (&env.app, &env.fake);

    // The pool (of the one fake) is the default target and warns above a minute of waiting.
    let studio = env.studio();
    studio
        .create_pool(
            "studio",
            &["fake".to_string()],
            Some(PoolSettings {
                failover: true,
                wait_warning_seconds: 60,
            }),
        )
        .await
        .expect("pool");
    studio.set_default_target("studio").await.expect("default");
    // Two prompts ahead, held on the server: with the template default run time (no history)
    // the expected wait is minutes.
    fake.faults()
        .on_every_prompt(PromptFault::default().hang_before_start());
    let mut queued = Vec::new();
    for n in 0..2 {
        queued.push(studio.submit(queued_request(n)).await.expect("queued run"));
    }
    assert!(
        fake.wait_until(window::WAIT, |f| f.prompts().len() >= 2)
            .await,
        "the server has the two prompts"
    );

    app.click("mode-audio").await.expect("Audio mode");
    env.attach("ground_truth", "character.png").await;
    env.attach("audio", "speech.wav").await;
    app.type_into("prompt", "A knight waits his turn")
        .await
        .expect("prompt");
    app.select("quality", "draft").await.expect("Draft");
    let status = app
        .find_css_within(&testid_css("target-status"), Duration::from_secs(30))
        .await
        .expect("the status beside Generate")
        .text()
        .await
        .expect("status text");
    assert!(status.contains("Pool studio"), "{status:?}");
    assert!(status.contains("queue 2"), "{status:?}");
    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let warning = app
        .find_css_within(&testid_css("wait-warning"), Duration::from_secs(10))
        .await
        .expect("the wait warning before Generate")
        .text()
        .await
        .expect("warning text");
    assert!(warning.contains("on fake"), "{warning:?}");
    assert!(warning.contains("more than"), "{warning:?}");
    shot(app, "pool-wait-warning").await;
    assert_eq!(
        card_ids(app).await,
        before,
        "nothing is sent before the user confirms"
    );

    app.click("generate-anyway").await.expect("Generate anyway");
    let job = new_card(app, &before).await;
    fake.faults().clear();
    fake.faults().release_hangs();
    let record = env.studio().job(&job).await.expect("stored");
    assert_eq!(record.request.target.as_deref(), Some("studio"));

    // The operator view: the pool's member with its GPU and its history (the three runs).
    for id in queued.iter().chain([&job]) {
        let done = tokio::time::timeout(RUN_LIMIT, studio.wait(id))
            .await
            .expect("in time")
            .expect("wait");
        assert_eq!(done.state, JobState::Completed, "{:?}", done.error);
    }
    open_operator_view(app).await;
    let member = "[data-testid=\"pool-member\"][data-endpoint=\"fake\"]";
    let gpu = app
        .find_css_within(
            &format!("{member} {}", testid_css("pool-member-gpu")),
            Duration::from_secs(30),
        )
        .await
        .expect("the pool's member in the operator view")
        .text()
        .await
        .expect("gpu");
    assert!(gpu.contains("RTX"), "{gpu:?}");
    let totals = "[data-testid=\"pool-member-metrics\"][data-endpoint=\"fake\"] [data-testid=\"server-metrics-total\"]";
    let total = app
        .find_css_within(totals, Duration::from_secs(30))
        .await
        .expect("the member's metrics")
        .text()
        .await
        .expect("metrics");
    assert!(total.starts_with("3 runs, 0 failed"), "{total:?}");
    shot(app, "operator-pool").await;
}
