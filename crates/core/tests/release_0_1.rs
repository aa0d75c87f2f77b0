//! What release 0.1 left on users' machines still works: its data dir (schema 1, job requests
//! with fixed input fields, events whose failure was the whole data object, videos whose length
//! was never stored) opens, migrates and lists; its demo packs (format 1) import.

use std::path::{Path, PathBuf};

use animatrix_core::Studio;
use animatrix_core::jobs::{EventData, JobQuery, JobState};
use rusqlite::params;

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

const DONE: &str = "0192d000-0000-7000-8000-000000000001";
const FAILED: &str = "0192d000-0000-7000-8000-000000000002";

/// A data dir exactly as 0.1 wrote it for one completed Audio run and one failed Animate run.
fn release_0_1_data_dir(root: &Path) {
    let db = rusqlite::Connection::open(animatrix_core::store::db_path(root)).expect("db");
    db.execute_batch(animatrix_core::store::release_0_1_schema())
        .expect("schema 1");
    db.pragma_update(None, "user_version", 1).expect("version");
    let assets = root.join("assets/ab");
    std::fs::create_dir_all(&assets).expect("assets");
    let image = assets.join("ab01.png");
    std::fs::copy(shared("fixtures/character.png"), &image).expect("image");
    let audio = assets.join("ab02.wav");
    std::fs::copy(shared("fixtures/speech.wav"), &audio).expect("audio");
    for (id, kind, role, path) in [
        ("a-img", "image", "ground_truth", &image),
        ("a-aud", "audio", "audio", &audio),
    ] {
        db.execute(
            "INSERT INTO assets (id, kind, role, original_name, mime, size_bytes, sha256,
                stored_path, facts_json, created_at)
             VALUES (?1, ?2, ?3, 'x', 'application/octet-stream', 1, ?1, ?4, '{}', 1)",
            params![id, kind, role, path.display().to_string()],
        )
        .expect("asset");
    }
    let request = serde_json::json!({
        "mode": "audio", "animate_mode": null, "prompt": "a knight sings opera",
        "negative_prompt": null, "profile": "draft", "aspect": "9:16", "framing": "half_body",
        "seed": 4242, "inputs": {"image": {"asset": "a-img"}, "audio": {"asset": "a-aud"},
        "video": null, "references": [], "pose_sheet": null}, "points": [],
        "target_duration_secs": null, "params": {}, "endpoint": "production", "fit": "crop"
    });
    for (id, state, mode, template, t) in [
        (DONE, "completed", "audio", "s2v", 1_000),
        (FAILED, "failed", "animate", "animate_move", 2_000),
    ] {
        db.execute(
            "INSERT INTO jobs (id, comfy_prompt_id, client_id, endpoint_name, mode, template_name,
                template_version, profile, aspect, prompt, settings_json, resolved_seed,
                frame_count, state, created_at, updated_at, error_code, error_message,
                error_suggestion, error_detail)
             VALUES (?1, ?1 || '-p', 'c', 'production', ?2, ?3, '1.0.0', 'draft', '9:16',
                'a knight sings opera', ?4, 4242, 120, ?5, ?6, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                mode,
                template,
                request.to_string(),
                state,
                t,
                (state == "failed").then_some("server_out_of_memory"),
                (state == "failed").then_some("The server ran out of graphics memory."),
                (state == "failed").then_some("Try Draft quality."),
                (state == "failed").then_some("CUDA OOM"),
            ],
        )
        .expect("job");
        for (role, asset) in [("ground_truth", "a-img"), ("audio", "a-aud")] {
            db.execute(
                "INSERT INTO job_inputs (job_id, asset_id, role, position) VALUES (?1, ?2, ?3, 0)",
                params![id, asset, role],
            )
            .expect("input");
        }
        let events: Vec<(&str, Option<&str>, Option<String>)> = vec![
            ("state", Some("validating"), None),
            (
                "state",
                Some("queued"),
                Some(format!(r#"{{"prompt_id":"{id}-p"}}"#)),
            ),
            (
                "prompt_posted",
                None,
                Some(format!(r#"{{"prompt_id":"{id}-p","number":3}}"#)),
            ),
            ("progress", None, Some(r#"{"fraction":0.5}"#.into())),
            if state == "failed" {
                (
                    "state",
                    Some("failed"),
                    Some(
                        r#"{"code":"server_out_of_memory","message":"m","suggestion":"s"}"#.into(),
                    ),
                )
            } else {
                ("state", Some("completed"), None)
            },
        ];
        for (kind, st, data) in events {
            db.execute(
                "INSERT INTO job_events (job_id, at, kind, state, data_json)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, t, kind, st, data],
            )
            .expect("event");
        }
    }
    let out = root.join("jobs").join(DONE).join("outputs");
    std::fs::create_dir_all(&out).expect("outputs");
    let video = out.join("video_00001_.mp4");
    std::fs::copy(shared("comfyui/sample_output.mp4"), &video).expect("video");
    db.execute(
        "INSERT INTO outputs (job_id, kind, path, size_bytes, sha256, created_at)
         VALUES (?1, 'video', ?2, 1, 'x', 3)",
        params![DONE, video.display().to_string()],
    )
    .expect("output");
}

#[tokio::test]
async fn a_release_0_1_data_dir_opens_migrates_and_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    release_0_1_data_dir(dir.path());
    let studio = Studio::open(dir.path().to_path_buf()).expect("opens and migrates");

    let page = studio.gallery(JobQuery::default()).await.expect("gallery");
    let ids: Vec<&str> = page.cards.iter().map(|c| c.job.id.as_str()).collect();
    assert_eq!(ids, [FAILED, DONE], "newest first");
    let done = &page.cards[1].job;
    assert_eq!(done.state, JobState::Completed);
    let clip = done.clip.as_ref().expect("the video is listed");
    assert!(
        clip.seconds.is_some_and(|s| (s - 1.0).abs() < 0.05),
        "the migration measured the collected video once: {clip:?}"
    );
    assert_eq!((clip.width, clip.height), (Some(256), Some(192)));

    // The stored request is the one model now.
    let req = &done.request;
    assert_eq!(req.settings.template, "s2v");
    assert_eq!(req.template_version.as_deref(), Some("1.0.0"));
    assert_eq!(req.settings.seed, 4242);
    assert_eq!(req.target.as_deref(), Some("production"));
    let roles: Vec<&str> = req.inputs.iter().map(|i| i.role.as_str()).collect();
    assert_eq!(roles, ["ground_truth", "audio"]);

    // The old events read as the typed model, the failure included.
    let detail = studio.job_detail(FAILED).await.expect("detail");
    let last = detail.events.last().expect("events");
    assert!(
        matches!(&last.data, EventData::State { state: JobState::Failed, error: Some(e) } if e.code == "server_out_of_memory"),
        "{last:?}"
    );
    assert_eq!(
        detail.job.error.as_ref().map(|e| e.code.as_str()),
        Some("server_out_of_memory")
    );
    assert!(
        detail
            .events
            .iter()
            .all(|e| !matches!(e.data, EventData::Unknown)),
        "{:?}",
        detail.events
    );

    // Any studio and any role now: the schema no longer lists them.
    let db = rusqlite::Connection::open(animatrix_core::store::db_path(dir.path())).expect("db");
    db.execute(
        "UPDATE jobs SET mode = 'start_end_frame' WHERE id = ?1",
        [FAILED],
    )
    .expect("a studio 0.1 did not know");
    db.execute(
        "UPDATE assets SET role = 'end_frame' WHERE id = 'a-img'",
        [],
    )
    .expect("a role 0.1 did not know");
    let fts: i64 = db
        .query_row(
            "SELECT count(*) FROM jobs_fts WHERE jobs_fts MATCH 'opera'",
            [],
            |r| r.get(0),
        )
        .expect("fts");
    assert_eq!(fts, 2, "the search index survived the table rebuild");
}

#[tokio::test]
async fn a_release_0_1_demo_pack_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let studio = Studio::open(dir.path().to_path_buf()).expect("open");
    let pack =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/release-0.1-sample.animatrix-demo");
    let summary = studio.demo_import(&pack).await.expect("format 1 imports");
    assert_eq!(summary.imported, 2);
    for run in &summary.runs {
        let job = studio.job(&run.job_id).await.expect("job");
        assert!(job.is_demo);
        assert!(job.clip.as_ref().is_some_and(|c| c.seconds.is_some()));
        let timeline = studio
            .demo_timeline(&run.job_id)
            .await
            .expect("performable");
        assert!(
            timeline
                .steps
                .iter()
                .any(|s| s.update.state == JobState::Executing)
        );
        assert!(!job.request.inputs.is_empty());
    }
}
