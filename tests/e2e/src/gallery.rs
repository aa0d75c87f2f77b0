//! What the studio tests do in the gallery and composer: find the run card a Generate created,
//! wait for its state, open and play a run, and screenshots taken once the composer shows the
//! core's plan of what is on screen.

use std::time::Duration;

use serde_json::Value;

use crate::studio_env::plan_settled;
use crate::window::{self, AppSession, testid_css};

/// A run on the fake server takes a few seconds; a loaded 2-core CI machine needs margin.
pub const RUN_LIMIT: Duration = Duration::from_secs(90);

/// The CSS selector of run cards, narrowed by `extra` (e.g. `[data-job-id="…"]`).
pub fn card_css(extra: &str) -> String {
    format!("[data-testid=\"run-card\"]{extra}")
}

/// The ids of the cards in the gallery, top first.
pub async fn card_ids(app: &AppSession) -> Vec<String> {
    let v = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=\"run-card\"]')]\
             .map(c => c.getAttribute('data-job-id'));",
        )
        .await
        .expect("card ids");
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for a new card at the top of the gallery (not one of `before`) and returns its id.
pub async fn new_card(app: &AppSession, before: &[String]) -> String {
    let deadline = std::time::Instant::now() + window::WAIT;
    loop {
        if let Some(id) = card_ids(app)
            .await
            .into_iter()
            .find(|id| !before.contains(id))
        {
            return id;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new run card appeared after Generate"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the run's card shows `state` (a run on the fake finishes well within [`RUN_LIMIT`]).
pub async fn wait_state(app: &AppSession, job_id: &str, state: &str) {
    app.find_css_within(
        &card_css(&format!(
            "[data-job-id=\"{job_id}\"][data-state=\"{state}\"]"
        )),
        RUN_LIMIT,
    )
    .await
    .unwrap_or_else(|e| panic!("run {job_id} never reached {state}: {e}"));
}

/// Opens the run, waits for its video to load in the player and checks it really plays.
pub async fn open_and_play(app: &AppSession, job_id: &str) {
    app.find_css(&format!(
        "{} {}",
        card_css(&format!("[data-job-id=\"{job_id}\"]")),
        testid_css("run-open")
    ))
    .await
    .expect("open button")
    .click()
    .await
    .expect("open the run");
    app.find_css(&format!(
        "{}[data-job-id=\"{job_id}\"]",
        testid_css("run-view")
    ))
    .await
    .expect("run view");
    app.find_css_within(
        &format!("{}[data-loaded=\"true\"]", testid_css("run-video")),
        Duration::from_secs(30),
    )
    .await
    .expect("the video loads in the player");
    let playing = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const v = document.querySelector('[data-testid=\"run-video\"]');\
             v.muted = true;\
             const t0 = v.currentTime;\
             v.play().then(() => setTimeout(() => done({ok: v.currentTime > t0,\
                 t: v.currentTime, w: v.videoWidth, h: v.videoHeight, err: v.error && v.error.code}), 600),\
               e => done({ok: false, err: String(e)}));",
            vec![],
        )
        .await
        .expect("play the video");
    assert_eq!(
        playing["ok"],
        Value::Bool(true),
        "the video must play: {playing}"
    );
    assert!(
        playing["w"].as_u64().unwrap_or(0) > 0,
        "decoded frames: {playing}"
    );
}

/// Closes the open run view and waits until it is gone.
pub async fn close_run(app: &AppSession) {
    app.click("run-close").await.expect("close the run");
    app.wait_gone_css(&testid_css("run-view"))
        .await
        .expect("run view closed");
}

/// Esc on the focused element (closes Advanced, dialogs).
pub async fn press_escape(app: &AppSession) {
    app.client
        .active_element()
        .await
        .expect("active element")
        .send_keys("\u{e00c}")
        .await
        .expect("Esc");
}

/// A screenshot once the composer shows the plan of what is on screen (no stale hint).
pub async fn shot(app: &AppSession, name: &str) {
    plan_settled(app).await;
    let path = app
        .screenshot(name)
        .await
        .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
    eprintln!("screenshot: {}", path.display());
}

/// Turns the operator view on in Settings and opens it. Settings' sections finish loading at
/// their own pace and can move the toggle under the pointer between WebDriver's scroll and its
/// click: click until the checkbox is on.
pub async fn open_operator_view(app: &AppSession) {
    app.click("nav-settings").await.expect("Settings");
    for _ in 0..5 {
        let toggle = app.find("operator-toggle").await.expect("operator toggle");
        if toggle.prop("checked").await.expect("checked").as_deref() == Some("true") {
            break;
        }
        toggle.click().await.expect("click the operator toggle");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.click("nav-operator").await.expect("Operator");
}
