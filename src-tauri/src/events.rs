//! The one stream from the app to the UI: job progress, native drag and drop, demo steps.
//!
//! The UI opens it once with the `subscribe` command and a Tauri `Channel` (ordered, meant for
//! high-rate streams, unlike Tauri events). Every window reload subscribes again; channels whose
//! web view went away are dropped on the next send.

use std::sync::Mutex;

use animatrix_core::jobs::JobUpdate;
use serde::Serialize;
use tauri::ipc::Channel;

use animatrix_core::api::ProbedPath;

/// What the Channel carries, tagged by `type` (`AppEvent` in `ui/src/lib/bindings.ts`).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppEvent {
    Job(JobUpdate),
    Drop {
        paths: Vec<ProbedPath>,
    },
    Drag {
        over: bool,
    },
    Demo(JobUpdate),
    /// Runs were added without a job update (the sample pack on first run, an import):
    /// reload the gallery.
    RunsChanged,
}

#[derive(Default)]
pub struct EventSink {
    channels: Mutex<Vec<Channel<AppEvent>>>,
}

impl EventSink {
    pub fn add(&self, channel: Channel<AppEvent>) {
        self.lock().push(channel);
    }

    /// Sends to every subscriber; a channel that fails (its page is gone) is forgotten.
    pub fn send(&self, event: AppEvent) {
        let mut channels = self.lock();
        channels.retain(|c| c.send(event.clone()).is_ok());
    }

    pub fn subscribers(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Channel<AppEvent>>> {
        // A panic while sending cannot leave the list half-changed: keep going.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use animatrix_core::jobs::JobState;

    /// The UI switches on `type` and reads the update's fields beside it.
    #[test]
    fn events_have_the_shape_the_ui_reads() {
        let mut u = JobUpdate::new("j1", JobState::Executing);
        u.progress = 0.5;
        u.emitted_at_ms = Some(42);
        let v = serde_json::to_value(AppEvent::Job(u.labelled())).expect("serialize");
        assert_eq!(v["type"], "job");
        assert_eq!(v["job_id"], "j1");
        assert_eq!(v["state"], "executing");
        assert_eq!(v["stage"], "Generating 50%");
        assert_eq!(v["emitted_at_ms"], 42);
        let v = serde_json::to_value(AppEvent::Drag { over: true }).expect("serialize");
        assert_eq!(v, serde_json::json!({"type": "drag", "over": true}));
        let demo = AppEvent::Demo(JobUpdate::new("d", JobState::Queued));
        assert_eq!(
            serde_json::to_value(demo).expect("serialize")["type"],
            "demo"
        );
    }
}
