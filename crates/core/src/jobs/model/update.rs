//! What the UI and CLI see of a running job, streamed as it changes.

use serde::{Deserialize, Serialize};

use animatrix_common::UserError;

use super::state::JobState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct JobUpdate {
    pub job_id: String,
    pub state: JobState,
    /// Generation progress 0..1 (the graph's weighted node progress).
    pub progress: f64,
    /// Upload progress while uploading: bytes done and total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<(u64, u64)>,
    /// Prompts that run before ours (the running one included) while queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_ahead: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<f64>,
    /// Latest live preview frame on disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_path: Option<String>,
    /// The server a pool job was just sent to (the running card names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The user-language stage label, e.g. "Generating 63%, about 3 min left".
    pub stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<UserError>,
    /// When the core emitted it (ms since the Unix epoch), so a subscriber can measure how long
    /// the update took to reach the screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emitted_at_ms: Option<i64>,
}

impl JobUpdate {
    pub fn new(job_id: &str, state: JobState) -> JobUpdate {
        JobUpdate {
            job_id: job_id.to_string(),
            state,
            // Saving starts when generation is done: the bar stays full.
            progress: if matches!(state, JobState::Collecting | JobState::Completed) {
                1.0
            } else {
                0.0
            },
            upload: None,
            queue_ahead: None,
            eta_seconds: None,
            preview_path: None,
            endpoint: None,
            stage: String::new(),
            error: None,
            emitted_at_ms: None,
        }
        .labelled()
    }

    /// Recomputes `stage` from the fields.
    pub fn labelled(mut self) -> JobUpdate {
        self.stage = stage_label(&self);
        self
    }
}

fn stage_label(u: &JobUpdate) -> String {
    match u.state {
        JobState::Draft | JobState::Validating => "Checking inputs and server".into(),
        JobState::Uploading => match u.upload {
            Some((done, total)) if total > 0 => {
                format!(
                    "Uploading {}%",
                    (done as f64 / total as f64 * 100.0).floor()
                )
            }
            _ => "Uploading".into(),
        },
        JobState::Queued => match u.queue_ahead {
            Some(0) | None => "Waiting in queue".into(),
            Some(n) => format!("Waiting in queue: {n} ahead"),
        },
        JobState::Executing => {
            let pct = (u.progress.clamp(0.0, 1.0) * 100.0) as u32;
            match u.eta_seconds {
                Some(s) if s >= 90.0 => {
                    format!("Generating {pct}%, about {} min left", (s / 60.0).round())
                }
                Some(s) if s >= 1.0 => format!("Generating {pct}%, about {} s left", s.round()),
                _ => format!("Generating {pct}%"),
            }
        }
        JobState::Collecting => "Saving".into(),
        JobState::Completed => "Done".into(),
        JobState::Failed => u
            .error
            .as_ref()
            .map(|e| format!("Failed: {}", e.message))
            .unwrap_or_else(|| "Failed".into()),
        JobState::Cancelled => "Cancelled".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_brief() {
        let mut u = JobUpdate::new("j", JobState::Uploading);
        u.upload = Some((42, 100));
        assert_eq!(u.clone().labelled().stage, "Uploading 42%");
        u.state = JobState::Queued;
        u.queue_ahead = Some(2);
        assert_eq!(u.clone().labelled().stage, "Waiting in queue: 2 ahead");
        u.state = JobState::Executing;
        u.progress = 0.634;
        u.eta_seconds = Some(180.0);
        assert_eq!(
            u.clone().labelled().stage,
            "Generating 63%, about 3 min left"
        );
        u.state = JobState::Collecting;
        assert_eq!(u.labelled().stage, "Saving");
    }
}
