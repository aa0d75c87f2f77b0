//! The studio in the real window against the fake ComfyUI (in this process): attach the
//! fixtures, generate an Audio run and an Animate Move run, watch the progress, see the finished
//! cards, play the video, cancel a running run, find a run by search and replay it. Then the
//! first-run sample demo performed with no server configured at all.
//!
//! Native file dialogs cannot be driven through WebDriver, so the app answers them from
//! `ANIMATRIX_DIALOG_SCRIPT` (a file this test writes one line per dialog into).
//!
//! Run: `bash scripts/build-ui.sh && cargo build -p animatrix-studio && cargo test -p animatrix-e2e --test studio`
//! Screenshots land in `test-output/window/`.

use std::time::Duration;

use animatrix_core::Studio;
use animatrix_e2e::gallery::{
    RUN_LIMIT, card_css, card_ids, close_run, new_card, open_and_play, open_operator_view,
    press_escape, shot, wait_state,
};
use animatrix_e2e::studio_env::{Latencies, StudioEnv};
use animatrix_e2e::window::{self, AppSession, LaunchOptions, testid_css};

#[tokio::test(flavor = "current_thread")]
async fn studio_generate_watch_play_cancel_search_replay() {
    let Some(prereqs) =
        window::prerequisites_or_skip("studio_generate_watch_play_cancel_search_replay")
    else {
        return;
    };
    let env = StudioEnv::start(&prereqs, 60).await;
    let (app, fake) = (&env.app, &env.fake);

    // --- Audio: ground truth + speech, a prompt, Draft, Generate.
    app.click("mode-audio").await.expect("Audio mode");
    env.attach("ground_truth", "character.png").await;
    // Touched: what is still missing shows next to its control, from the core's plan.
    app.find_css_within(&testid_css("warning-input-audio"), Duration::from_secs(10))
        .await
        .expect("the audio chip says it is missing once the user started");
    shot(app, "composer-issues").await;
    env.attach("audio", "speech.wav").await;
    let duration = app
        .text("chip-duration-audio")
        .await
        .expect("audio duration");
    assert!(duration.contains('7'), "speech.wav is 7.5 s: {duration:?}");
    app.type_into("prompt", "A knight sings to the camera")
        .await
        .expect("prompt");
    app.select("quality", "draft").await.expect("Draft");
    // Enabled once the core's plan of these inputs and prompt has no issue.
    app.find_css(&format!("{}:not([disabled])", testid_css("generate")))
        .await
        .expect("Generate is enabled once the inputs and prompt are there");
    assert!(
        !app.exists("generate-hint").await.expect("query"),
        "nothing stops Generate"
    );
    shot(app, "composer").await;
    let before = card_ids(app).await;
    app.click("generate").await.expect("Generate");
    let audio_job = new_card(app, &before).await;

    // --- A running card shows a stage in user language, then the finished card.
    let card = card_css(&format!("[data-job-id=\"{audio_job}\"]"));
    let stage = app
        .find_css(&format!("{card} {}", testid_css("run-stage")))
        .await
        .expect("stage label")
        .text()
        .await
        .expect("stage text");
    assert!(
        [
            "Checking",
            "Uploading",
            "Waiting",
            "Generating",
            "Saving",
            "Done"
        ]
        .iter()
        .any(|w| stage.contains(w)),
        "stage in user language: {stage:?}"
    );
    app.find_css_within(
        &card_css(&format!(
            "[data-job-id=\"{audio_job}\"][data-state=\"executing\"]"
        )),
        RUN_LIMIT,
    )
    .await
    .expect("the run executes");
    app.eval(&format!(
        "document.querySelector('[data-job-id=\"{audio_job}\"]').scrollIntoView({{block: 'center'}});"
    ))
    .await
    .expect("scroll to the running card");
    shot(app, "running-card").await;
    // WebDriver scrolls a target to the viewport's top edge, under the sticky top bar.
    app.eval("window.scrollTo(0, 0);")
        .await
        .expect("scroll back up");
    wait_state(app, &audio_job, "completed").await;
    app.find_css(&format!("{card} {}", testid_css("run-poster")))
        .await
        .expect("finished card has a poster");
    open_and_play(app, &audio_job).await;
    let prompt_id = app.text("run-prompt-id").await.expect("prompt id shown");
    let studio = env.studio();
    let record = studio.job(&audio_job).await.expect("job stored");
    assert_eq!(prompt_id.trim(), record.prompt_id, "job <-> prompt id");
    assert_eq!(record.mode, "audio");
    assert_eq!(record.profile, "draft");
    shot(app, "finished-run").await;
    // Export MP4: the save dialog's answer gets a byte-identical copy of the run's video.
    let exported = env.scratch.path().join("knight.mp4");
    env.answer_next_dialog(&[exported.display().to_string()]);
    app.click("run-export-mp4").await.expect("Export MP4");
    let original = std::fs::read(record.video_path().expect("video path")).expect("video");
    let deadline = std::time::Instant::now() + window::WAIT;
    while std::fs::read(&exported)
        .map(|b| b != original)
        .unwrap_or(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the exported MP4 never matched the run's video"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    close_run(app).await;

    // --- Animate Move: the ground truth stays; add the motion video.
    app.click("mode-animate").await.expect("Animate mode");
    app.find_css(&format!(
        "{}[data-filled=\"true\"]",
        testid_css("slot-ground_truth")
    ))
    .await
    .expect("ground truth kept across modes");
    env.attach("motion_video", "motion.mp4").await;
    app.type_into("prompt", "The knight dances in the hall")
        .await
        .expect("prompt");
    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let move_job = new_card(app, &before).await;
    wait_state(app, &move_job, "completed").await;
    let record = studio.job(&move_job).await.expect("job stored");
    assert_eq!(record.template.name, "animate_move");
    open_and_play(app, &move_job).await;
    close_run(app).await;

    // --- Cancel a running run: only our prompt is interrupted.
    fake.set_exec_ms(3_000);
    app.type_into("prompt", "A long take to cancel")
        .await
        .expect("prompt");
    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let cancel_job = new_card(app, &before).await;
    wait_state(app, &cancel_job, "executing").await;
    app.find_css(&format!(
        "{} {}",
        card_css(&format!("[data-job-id=\"{cancel_job}\"]")),
        testid_css("run-cancel")
    ))
    .await
    .expect("cancel button on the running card")
    .click()
    .await
    .expect("cancel");
    wait_state(app, &cancel_job, "cancelled").await;
    let cancelled = studio.job(&cancel_job).await.expect("job");
    assert!(
        fake.interrupts()
            .iter()
            .any(|i| format!("{i:?}").contains(&cancelled.prompt_id)),
        "the interrupt names our prompt: {:?}",
        fake.interrupts()
    );
    fake.set_exec_ms(60);

    // --- Find the Audio run by search, open it, replay it with the same seed.
    app.type_into("runs-search", "knight sings")
        .await
        .expect("search");
    let deadline = std::time::Instant::now() + window::WAIT;
    loop {
        let ids = card_ids(app).await;
        if ids == [audio_job.clone()] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search shows only the matching run: {ids:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.find_css(&format!(
        "{} {}",
        card_css(&format!("[data-job-id=\"{audio_job}\"]")),
        testid_css("run-open")
    ))
    .await
    .expect("open")
    .click()
    .await
    .expect("open the found run");
    app.click("run-replay-same").await.expect("replay");
    app.type_into("runs-search", "")
        .await
        .expect("clear search");
    // Replay imports, checks and posts on a loaded CI machine: the run budget, not an element's.
    let deadline = std::time::Instant::now() + RUN_LIMIT;
    let replay = loop {
        let replays: Vec<_> = studio
            .gallery(animatrix_core::jobs::JobQuery::default())
            .await
            .expect("list")
            .cards
            .into_iter()
            .map(|c| c.job)
            .filter(|j| j.parent_job_id.as_deref() == Some(audio_job.as_str()))
            .collect();
        if let Some(j) = replays.first() {
            break j.clone();
        }
        // A refused replay says why in the run view: fail with that, not a bare timeout.
        let refused = app
            .eval(
                "const e = document.querySelector('[data-testid=\"run-action-error\"]');\
                 return e ? e.textContent : null;",
            )
            .await
            .expect("action error");
        assert!(refused.is_null(), "replay refused: {refused}");
        assert!(
            std::time::Instant::now() < deadline,
            "no replay created within {}s",
            RUN_LIMIT.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        replay.relation,
        Some(animatrix_core::jobs::Relation::Replay)
    );
    assert_eq!(
        replay.resolved_seed,
        studio.job(&audio_job).await.expect("job").resolved_seed,
        "same seed"
    );
    if app.exists("run-view").await.expect("query") {
        close_run(app).await;
    }
    wait_state(app, &replay.id, "completed").await;

    // --- How fast progress reached the screen (recorded, not asserted: a benchmark's job).
    let ms = Latencies::read(app).await;
    let line = format!(
        "progress updates core->screen: n={} p50={:.1} ms p95={:.1} ms max={:.1} ms\n",
        ms.len(),
        ms.pct(0.5),
        ms.pct(0.95),
        ms.pct(1.0)
    );
    eprint!("{line}");
    std::fs::create_dir_all(window::test_output_dir()).expect("output dir");
    std::fs::write(window::test_output_dir().join("progress-latency.txt"), line)
        .expect("write latency");
    env.app.close().await;
}

/// A newcomer with no server: the sample demo pack is in the gallery on first run, marked Demo,
/// and performing it plays its recorded progress and ends on a video that plays.
#[tokio::test(flavor = "current_thread")]
async fn first_run_sample_is_performed_with_no_server() {
    let Some(prereqs) =
        window::prerequisites_or_skip("first_run_sample_is_performed_with_no_server")
    else {
        return;
    };
    let data = tempfile::tempdir().expect("data dir");
    {
        // "No endpoint configured": the seeded production server is removed before first launch.
        let studio = Studio::open(data.path().to_path_buf()).expect("open");
        studio.remove_endpoint("production").await.expect("remove");
        assert!(studio.list_endpoints().await.expect("list").is_empty());
    }
    let app = AppSession::launch(
        &prereqs,
        LaunchOptions {
            data_dir: Some(data.path().to_path_buf()),
            ..LaunchOptions::default()
        },
    )
    .await
    .expect("launch the app");
    let demo_card = app
        .find_css_within(&card_css("[data-demo=\"true\"]"), Duration::from_secs(30))
        .await
        .expect("the sample demo run is in the gallery on first run");
    let sample_id = demo_card
        .attr("data-job-id")
        .await
        .expect("attr")
        .expect("job id");
    app.find_css(&format!(
        "{} {}",
        card_css(&format!("[data-job-id=\"{sample_id}\"]")),
        testid_css("run-demo-badge")
    ))
    .await
    .expect("marked Demo");
    open_and_play(&app, &sample_id).await;
    app.click("run-perform").await.expect("Perform");
    // The composer holds the run's inputs and prompt; Generate performs it.
    app.find_css(&format!(
        "{}[data-filled=\"true\"]",
        testid_css("slot-ground_truth")
    ))
    .await
    .expect("the ground truth chip is filled from the demo run");
    let prompt = app
        .find("prompt")
        .await
        .expect("prompt")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(
        !prompt.trim().is_empty(),
        "the prompt is filled from the demo run"
    );
    app.click("generate")
        .await
        .expect("Generate performs the demo");
    app.find_css_within(
        &format!(
            "{} {}",
            card_css(&format!(
                "[data-job-id=\"{sample_id}\"]:not([data-state=\"completed\"])"
            )),
            testid_css("run-stage")
        ),
        Duration::from_secs(10),
    )
    .await
    .expect("the performing card shows its recorded stages");
    shot(&app, "demo-performing").await;
    app.find("demo-badge")
        .await
        .expect("the discreet Demo badge");
    wait_state(&app, &sample_id, "completed").await;
    let studio = Studio::open(data.path().to_path_buf()).expect("open");
    assert!(
        studio.list_endpoints().await.expect("list").is_empty(),
        "nothing configured a server"
    );
    let metrics = studio.metrics(30).await.expect("metrics");
    assert!(
        metrics.jobs_per_day.is_empty(),
        "demo runs never count in metrics: {metrics:?}"
    );
    shot(&app, "demo-performed").await;
    app.close().await;
}

/// Mix (tap the person on the motion video's first frame, Esc closes the drawer), Settings'
/// connection test, the operator view against the fake, and a demo pack exported from the
/// gallery's multi-select and imported back.
#[tokio::test(flavor = "current_thread")]
async fn mix_settings_operator_and_demo_export() {
    let Some(prereqs) = window::prerequisites_or_skip("mix_settings_operator_and_demo_export")
    else {
        return;
    };
    let env = StudioEnv::start(&prereqs, 20).await;
    let (app, fake) = (&env.app, &env.fake);

    // --- Mix: the first frame of the motion video is shown; a tap marks the person.
    env.attach("ground_truth", "character.png").await;
    env.attach("motion_video", "motion.mp4").await;
    app.type_into("prompt", "Replace the dancer with the knight")
        .await
        .expect("prompt");
    app.click("advanced-toggle").await.expect("open Advanced");
    app.find("advanced-drawer").await.expect("drawer open");
    app.click("submode-mix").await.expect("Mix");
    assert!(
        !app.find("generate")
            .await
            .expect("generate")
            .is_enabled()
            .await
            .expect("enabled"),
        "Mix cannot generate before the person is marked"
    );
    app.find_css_within(&testid_css("warning-points"), Duration::from_secs(10))
        .await
        .expect("the marks control says the person must be marked (the core's plan)");
    app.click("points-frame")
        .await
        .expect("tap the first frame");
    app.find("points-mark").await.expect("the tap is marked");
    shot(app, "advanced-mix").await;
    press_escape(app).await;
    app.wait_gone_css(&testid_css("advanced-drawer"))
        .await
        .expect("Esc closes the drawer");
    let focused = app
        .eval("return document.activeElement.getAttribute('data-testid');")
        .await
        .expect("focus");
    assert_eq!(focused, "advanced-toggle", "focus returns to the toggle");
    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let mix_job = new_card(app, &before).await;
    wait_state(app, &mix_job, "completed").await;
    let studio = env.studio();
    let mix = studio.job(&mix_job).await.expect("job");
    assert_eq!(mix.mode, "animate");
    let points = &mix.request.settings.points;
    assert_eq!(points.len(), 1, "one point stored: {points:?}");

    // --- Settings: Test connection reports the fake's version, GPU and queue.
    app.click("nav-settings").await.expect("Settings");
    app.find_css(&format!(
        "[data-testid=\"endpoint-row\"][data-name=\"fake\"] {}",
        testid_css("endpoint-test")
    ))
    .await
    .expect("Test connection")
    .click()
    .await
    .expect("click test");
    let result = app
        .find("endpoint-test-result")
        .await
        .expect("result")
        .text()
        .await
        .expect("text");
    assert!(result.contains("0.3.64"), "ComfyUI version shown: {result}");
    let storage = app.text("storage-used").await.expect("storage");
    assert!(!storage.trim().is_empty(), "storage used shown");
    shot(app, "settings-tested").await;

    // --- Operator view: health, templates ready on the fake, our job <-> prompt id, events.
    open_operator_view(app).await;
    app.find("operator-health").await.expect("health");
    let mix_template = studio
        .studios()
        .into_iter()
        .flat_map(|m| m.templates)
        .find(|t| t.name == "animate_mix")
        .expect("Mix is installed");
    let mix_row = app
        .find_css(&format!(
            "{}[data-template=\"animate_mix@{}\"]",
            testid_css("operator-template"),
            mix_template.version
        ))
        .await
        .expect("templates listed");
    let verdict = mix_row
        .find(fantoccini::Locator::Css(&testid_css("operator-verdict")))
        .await
        .expect("the fake's readiness verdict")
        .text()
        .await
        .expect("verdict text");
    assert!(
        verdict.starts_with("ready"),
        "Mix is ready on the fake (its GPU is CUDA): {verdict}"
    );
    let jobs = app.text("operator-jobs").await.expect("jobs table");
    assert!(
        jobs.contains(&mix.prompt_id),
        "the job <-> prompt id table lists our prompt: {jobs}"
    );
    app.find("operator-metrics").await.expect("metrics");
    shot(app, "operator").await;

    // --- Export the finished Mix run as a demo pack from the gallery, then import it back.
    app.click("nav-studio").await.expect("Studio");
    app.find_css(&format!(
        "{} {}",
        card_css(&format!("[data-job-id=\"{mix_job}\"]")),
        testid_css("run-select")
    ))
    .await
    .expect("select box")
    .click()
    .await
    .expect("select the run");
    app.click("runs-export").await.expect("Export demo pack");
    let pack = env.scratch.path().join("showroom.animatrix-demo");
    env.answer_next_dialog(&[pack.display().to_string()]);
    app.click("demo-export-confirm").await.expect("export");
    app.find("demo-summary").await.expect("export summary");
    let manifest = animatrix_core::demo::inspect(&pack).expect("a valid pack was written");
    assert_eq!(manifest.runs.len(), 1);
    let bytes = std::fs::read(&pack).expect("pack bytes");
    assert!(
        !bytes
            .windows(fake.base_url().len())
            .any(|w| w == fake.base_url().as_bytes()),
        "no server address unless the user opts in"
    );
    env.answer_next_dialog(&[pack.display().to_string()]);
    app.click("runs-import").await.expect("Import demo pack");
    let summary = app
        .find("demo-summary")
        .await
        .expect("import summary")
        .text()
        .await
        .expect("summary text");
    assert!(!summary.is_empty());
    env.app.close().await;
}
