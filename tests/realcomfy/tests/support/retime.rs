//! Inputs made for a case on the kit server itself: no media tool beyond the real ComfyUI the
//! suite already runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use animatrix_comfy::{Outcome, TrackedEvent, UploadTarget};
use animatrix_workflow::validate;
use serde_json::json;

use super::{Session, fixture};

/// Longest the re-timing graph may take (it decodes and encodes a few seconds of tiny video).
const RETIME_DEADLINE: Duration = Duration::from_secs(300);

/// `fixture` with the same frames played at `fps`: LoadVideo -> GetVideoComponents ->
/// CreateVideo(fps) -> SaveVideo on the server, downloaded into `dir`. (No fixture is above
/// 16 fps; a faster source shows limits that count frames rather than seconds.)
pub async fn retimed(s: &Session, fixture_name: &str, fps: f64, dir: &Path) -> PathBuf {
    let started = Instant::now();
    let stem = format!("retimed-{}fps-{fixture_name}", fps.round());
    let up = s
        .client
        .upload(&fixture(fixture_name), &UploadTarget::input(&stem), |_| {})
        .await
        .expect("upload the video to re-time");
    let prefix = format!("animatrix/{}/video", stem.replace('.', "_"));
    let graph = json!({
        "1": {"class_type": "LoadVideo", "inputs": {"file": up.as_input_value()}},
        "2": {"class_type": "GetVideoComponents", "inputs": {"video": ["1", 0]}},
        "3": {"class_type": "CreateVideo", "inputs": {"images": ["2", 0], "fps": fps}},
        "4": {"class_type": "SaveVideo", "inputs": {
            "video": ["3", 0], "filename_prefix": prefix, "format": "mp4", "codec": "h264"
        }}
    });
    validate(&graph, &s.info).unwrap_or_else(|e| panic!("re-timing graph: {e:#?}"));
    let id = uuid::Uuid::new_v4().to_string();
    let (_, mut tracked) = s
        .hub
        .submit(&graph, &id, None)
        .await
        .expect("POST /prompt (re-time)");
    let outcome = tokio::time::timeout(RETIME_DEADLINE, async {
        while let Some(ev) = tracked.next().await {
            if let TrackedEvent::Finished(outcome) = ev {
                return outcome;
            }
        }
        panic!("the event hub stopped before the re-timing finished")
    })
    .await
    .unwrap_or_else(|_| panic!("no re-timed video within {RETIME_DEADLINE:?}"));
    let Outcome::Success(entry) = outcome else {
        panic!("re-timing failed: {outcome:#?}");
    };
    let file = entry
        .files()
        .into_iter()
        .find(|f| f.file.filename.ends_with(".mp4"))
        .expect("the re-timed MP4 is in the outputs");
    let got = s
        .client
        .download_output(&file.file, dir, |_| {})
        .await
        .expect("GET /view (re-timed video)");
    eprintln!(
        "re-timed {fixture_name} to {fps} fps on the server in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    got.path
}
