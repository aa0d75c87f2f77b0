//! The studios new in this release, end to end in the real window against the fake ComfyUI:
//! Start/End Frame and Pose Control exist only as template folders (data), so everything the
//! user sees of them (the studio switch, the chips, Advanced, the run view) comes from the
//! catalog the core reads. Each test attaches fixture files, presses Generate, and follows the
//! run to a finished, playable card in the gallery, then checks what reached the server.
//!
//! Run: `bash scripts/build-ui.sh && cargo build -p animatrix-studio && cargo test -p animatrix-e2e --test new_studios`
//! Screenshots land in `test-output/window/`.

use std::time::Duration;

use animatrix_core::Studio;
use animatrix_e2e::gallery::{
    card_css, card_ids, close_run, new_card, open_and_play, press_escape, shot, wait_state,
};
use animatrix_e2e::studio_env::{StudioEnv, plan_settled};
use animatrix_e2e::window::{self, AppSession, testid_css};
use serde_json::Value;

/// What the window must show of a template, as the core hands the catalog to it.
struct Catalogued {
    name: String,
    version: String,
    summary: String,
    /// (role, label) of each input chip, in manifest order.
    inputs: Vec<(String, String)>,
}

/// The latest installed version of template `name`.
fn installed(studio: &Studio, name: &str) -> Catalogued {
    let t = studio
        .studios()
        .into_iter()
        .flat_map(|m| m.templates)
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name} is installed"));
    Catalogued {
        inputs: t.inputs.into_iter().map(|i| (i.role, i.label)).collect(),
        name: t.name,
        version: t.version,
        summary: t.summary,
    }
}

/// The composer shows the template's summary and exactly its manifest's chips, in order, with
/// their labels (`labels`: what the manifest says today, so a catalog that lost them fails too).
async fn chips_are_the_manifests(app: &AppSession, template: &Catalogued, labels: &[&str]) {
    let chips = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=\"input-rail\"] > li')]\
             .map(c => [c.getAttribute('data-testid'), c.querySelector('.chip-label').textContent]);",
        )
        .await
        .expect("chips");
    let expected: Vec<Value> = template
        .inputs
        .iter()
        .map(|(role, label)| serde_json::json!([format!("slot-{role}"), label]))
        .collect();
    assert_eq!(
        chips,
        Value::Array(expected),
        "the manifest's chips, in order"
    );
    let shown: Vec<&str> = template.inputs.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(shown, labels, "{}'s chip labels", template.name);
    assert_eq!(
        app.text("mode-description").await.expect("summary"),
        template.summary
    );
}

/// What each `class` node of a posted API graph reads from its `input` (an uploaded name).
fn loaded_files(body: &Value, class: &str, input: &str) -> Vec<String> {
    body["prompt"]
        .as_object()
        .expect("graph")
        .values()
        .filter(|n| n["class_type"] == class)
        .filter_map(|n| n["inputs"][input].as_str().map(String::from))
        .collect()
}

/// The class of every node of a posted API graph.
fn classes(body: &Value) -> Vec<String> {
    body["prompt"]
        .as_object()
        .expect("graph")
        .values()
        .filter_map(|n| n["class_type"].as_str().map(String::from))
        .collect()
}

/// A template added as data only, end to end in the window: Start/End Frame with a start and an
/// end image against the fake ComfyUI, in the dark theme (its screenshots are the dark
/// composer's). The chips, the length control and the run view all come from the catalog.
#[tokio::test(flavor = "current_thread")]
async fn start_end_frame_runs_end_to_end() {
    let Some(prereqs) = window::prerequisites_or_skip("start_end_frame_runs_end_to_end") else {
        return;
    };
    let env = StudioEnv::start_with(
        &prereqs,
        20,
        vec![("GTK_THEME".into(), "Adwaita:dark".into())],
    )
    .await;
    let (app, fake) = (&env.app, &env.fake);
    let studio = env.studio();
    let template = installed(&studio, "start_end_frame");

    app.click("mode-start_end_frame")
        .await
        .expect("Start/End Frame studio");
    chips_are_the_manifests(app, &template, &["Start Frame", "End Frame"]).await;
    assert!(!app.exists("slot-motion_video").await.expect("query"));
    shot(app, "start-end-untouched-dark").await;

    env.attach("ground_truth", "character.png").await;
    app.find_css_within(&testid_css("warning-prompt"), Duration::from_secs(10))
        .await
        .expect("after the first file the prompt says it is needed");
    shot(app, "start-end-issues-dark").await;
    env.attach("end_frame", "character_end.png").await;
    app.type_into("prompt", "The knight turns around and bows")
        .await
        .expect("prompt");
    app.select("quality", "draft").await.expect("Draft");
    app.click("advanced-toggle").await.expect("Advanced");
    app.type_into("target-duration", "3")
        .await
        .expect("target length");
    plan_settled(app).await;
    let note = app.text("segments-note").await.expect("length note");
    // 3 s at 16 fps, rounded up to Wan's 4n+1 frames: 49 frames, 3.06 s, in one pass.
    assert_eq!(note, "3.1 s, 1 segment.", "the length from the core's plan");
    shot(app, "start-end-ready-dark").await;
    press_escape(app).await;

    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let job_id = new_card(app, &before).await;
    wait_state(app, &job_id, "completed").await;
    let card = card_css(&format!("[data-job-id=\"{job_id}\"]"));
    let label = app
        .find_css(&format!("{card} {}", testid_css("run-studio")))
        .await
        .expect("studio label on the card")
        .text()
        .await
        .expect("label");
    assert_eq!(label, "Start/End Frame");

    let record = studio.job(&job_id).await.expect("job stored");
    assert_eq!(record.template.name, "start_end_frame");
    assert_eq!(record.template.version, template.version);
    assert_eq!(record.profile, "draft");
    let roles: Vec<&str> = record
        .request
        .inputs
        .iter()
        .map(|i| i.role.as_str())
        .collect();
    assert_eq!(roles, ["ground_truth", "end_frame"]);
    assert_eq!(record.request.settings.target_duration_secs, Some(3.0));
    let clip = record
        .clip
        .as_ref()
        .expect("clip facts measured at collect");
    assert!(clip.seconds.is_some_and(|s| s > 0.0), "{clip:?}");

    // Both images went to the server and into the graph's two image loaders.
    let uploads: Vec<String> = fake.uploads().into_iter().map(|u| u.name).collect();
    assert!(
        uploads.len() >= 2,
        "start and end images uploaded: {uploads:?}"
    );
    let posted = fake
        .prompts()
        .into_iter()
        .find(|p| p.prompt_id == record.prompt_id)
        .expect("our prompt reached the fake");
    let loaded = loaded_files(&posted.body, "LoadImage", "image");
    assert_eq!(loaded.len(), 2, "start and end loaders: {loaded:?}");
    assert!(
        loaded
            .iter()
            .all(|l| uploads.iter().any(|u| l.ends_with(u.as_str()))),
        "each loader reads an uploaded image: {loaded:?} vs {uploads:?}"
    );

    open_and_play(app, &job_id).await;
    let template_text = app.text("run-template").await.expect("template");
    assert_eq!(
        template_text.trim(),
        format!("start_end_frame@{}", template.version)
    );
    let inputs = app.text("run-inputs").await.expect("inputs");
    for (_, label) in &template.inputs {
        assert!(inputs.contains(label), "{label} shown: {inputs}");
    }
    shot(app, "start-end-run-dark").await;
    close_run(app).await;
    env.app.close().await;
}

/// Pose Control, in the light theme: a character and a control video, the template's own
/// "Follow the video as" choice set to Edges in Advanced; the length follows the video.
#[tokio::test(flavor = "current_thread")]
async fn pose_control_runs_end_to_end() {
    let Some(prereqs) = window::prerequisites_or_skip("pose_control_runs_end_to_end") else {
        return;
    };
    let env = StudioEnv::start(&prereqs, 20).await;
    let (app, fake) = (&env.app, &env.fake);
    let studio = env.studio();
    let template = installed(&studio, "pose_control");

    app.click("mode-pose_control")
        .await
        .expect("Pose Control studio");
    chips_are_the_manifests(app, &template, &["Character", "Control Video"]).await;
    shot(app, "pose-control-untouched").await;

    env.attach("ground_truth", "character.png").await;
    env.attach("control_video", "motion.mp4").await;
    app.type_into("prompt", "The knight dances in the courtyard")
        .await
        .expect("prompt");
    app.select("quality", "draft").await.expect("Draft");
    app.click("advanced-toggle").await.expect("Advanced");
    app.select("param-control", "edges")
        .await
        .expect("the template's control choice in Advanced");
    shot(app, "pose-control-ready").await;
    press_escape(app).await;

    let before = card_ids(app).await;
    env.generate_when_ready().await;
    let job_id = new_card(app, &before).await;
    wait_state(app, &job_id, "completed").await;
    let label = app
        .find_css(&format!(
            "{} {}",
            card_css(&format!("[data-job-id=\"{job_id}\"]")),
            testid_css("run-studio")
        ))
        .await
        .expect("studio label on the card")
        .text()
        .await
        .expect("label");
    assert_eq!(label, "Pose Control");

    let record = studio.job(&job_id).await.expect("job stored");
    assert_eq!(record.template.name, "pose_control");
    assert_eq!(record.template.version, template.version);
    // The core stores the driving video first (it imports it first); the order is not shown.
    let mut roles: Vec<&str> = record
        .request
        .inputs
        .iter()
        .map(|i| i.role.as_str())
        .collect();
    roles.sort_unstable();
    assert_eq!(roles, ["control_video", "ground_truth"]);
    assert_eq!(
        record.request.settings.params.get("control"),
        Some(&Value::from("edges")),
        "the Advanced choice is kept with the run"
    );
    // motion.mp4 is 48 frames at 16 fps: the output is as long as the control video.
    assert_eq!(record.frame_count, Some(48));

    // The server got the video in the graph's video loader, and only the edges extractor.
    let uploads: Vec<String> = fake.uploads().into_iter().map(|u| u.name).collect();
    let posted = fake
        .prompts()
        .into_iter()
        .find(|p| p.prompt_id == record.prompt_id)
        .expect("our prompt reached the fake");
    let videos = loaded_files(&posted.body, "LoadVideo", "file");
    assert_eq!(videos.len(), 1, "one control video loader: {videos:?}");
    assert!(
        uploads.iter().any(|u| videos[0].ends_with(u.as_str())),
        "the loader reads the uploaded video: {videos:?} vs {uploads:?}"
    );
    let classes = classes(&posted.body);
    assert!(classes.iter().any(|c| c == "Canny"), "{classes:?}");
    for gone in ["DWPreprocessor", "DepthAnythingV2Preprocessor"] {
        assert!(
            !classes.iter().any(|c| c == gone),
            "{gone} bypassed: {classes:?}"
        );
    }

    open_and_play(app, &job_id).await;
    let inputs = app.text("run-inputs").await.expect("inputs");
    for (_, label) in &template.inputs {
        assert!(inputs.contains(label), "{label} shown: {inputs}");
    }
    let options = app.text("run-options").await.expect("options");
    assert_eq!(
        options, "Follow the video as: Edges",
        "the choice in the template's words"
    );
    shot(app, "pose-control-run").await;
    close_run(app).await;
    env.app.close().await;
}
