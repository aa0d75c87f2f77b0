//! What happened to a job, as one tagged enum: written by the engine, read by the run view, the
//! manifests, demo performances and the operator's event log.

use animatrix_common::UserError;
use serde::{Deserialize, Serialize};

use super::state::JobState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    /// The job entered `state` (with the failure for `failed`).
    State {
        state: JobState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<UserError>,
    },
    /// Something the user should know that did not stop the job.
    Warning { message: String },
    /// The server accepted our prompt.
    PromptPosted {
        prompt_id: String,
        #[serde(default)]
        number: Option<i64>,
    },
    /// Prompts ahead of ours on the server (the running one included).
    QueuePosition { ahead: usize },
    /// Generation progress, 0..1.
    Progress { fraction: f64 },
    /// A live preview frame, relative to the job folder (`previews/00001.png`).
    Preview { file: String },
    /// A lost answer or a crash was reconciled with the server (`how` says what was found).
    Reconciled { how: String },
    /// Which server the job was sent to and why (pools).
    Routed {
        endpoint: String,
        summary: String,
        #[serde(default)]
        alternatives: Vec<String>,
    },
    /// An event kind written by a newer version: kept, shown by its kind only.
    #[serde(other)]
    Unknown,
}

impl EventData {
    /// The stored `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::State { .. } => "state",
            EventData::Warning { .. } => "warning",
            EventData::PromptPosted { .. } => "prompt_posted",
            EventData::QueuePosition { .. } => "queue_position",
            EventData::Progress { .. } => "progress",
            EventData::Preview { .. } => "preview",
            EventData::Reconciled { .. } => "reconciled",
            EventData::Routed { .. } => "routed",
            EventData::Unknown => "unknown",
        }
    }

    pub fn state(&self) -> Option<JobState> {
        match self {
            EventData::State { state, .. } => Some(*state),
            _ => None,
        }
    }

    /// The stored form: the `kind` column and the rest as JSON (no `kind` key inside, `null`
    /// when there is nothing else).
    pub fn to_columns(&self) -> (&'static str, Option<String>) {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.remove("kind");
            if map.is_empty() {
                return (self.kind(), None);
            }
        }
        (self.kind(), Some(value.to_string()))
    }

    /// Reads the stored form back; anything unreadable becomes `Unknown` rather than failing
    /// the whole job view. `state` is the row's own column: release 0.1 kept the state only
    /// there, and stored a failure's error as the whole data object (databases and demo packs
    /// of that release are read through here too).
    pub fn from_columns(kind: &str, state: Option<&str>, data: Option<&str>) -> EventData {
        let mut value = data
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        if let Some(map) = value.as_object_mut() {
            if kind == "state" {
                if map.contains_key("code") && !map.contains_key("error") {
                    let error = serde_json::Value::Object(std::mem::take(map));
                    map.insert("error".into(), error);
                }
                if let Some(s) = state {
                    map.entry("state")
                        .or_insert_with(|| serde_json::Value::String(s.into()));
                }
                // 0.1 recorded the prompt id on `queued`; `prompt_posted` carries it now.
                map.remove("prompt_id");
            }
            map.insert("kind".into(), serde_json::Value::String(kind.into()));
        }
        serde_json::from_value(value).unwrap_or(EventData::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct JobEvent {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub data: EventData,
}

#[cfg(test)]
mod tests {
    use super::*;
    use animatrix_common::ErrorCode;

    #[test]
    fn events_round_trip_through_their_columns() {
        let cases = [
            EventData::State {
                state: JobState::Queued,
                error: None,
            },
            EventData::State {
                state: JobState::Failed,
                error: Some(UserError::new(ErrorCode::ServerNoOutput, "m", "s").with_detail("d")),
            },
            EventData::Warning {
                message: "w".into(),
            },
            EventData::PromptPosted {
                prompt_id: "p".into(),
                number: Some(3),
            },
            EventData::QueuePosition { ahead: 2 },
            EventData::Progress { fraction: 0.5 },
            EventData::Preview {
                file: "previews/00001.png".into(),
            },
        ];
        for e in cases {
            let (kind, data) = e.to_columns();
            assert_eq!(
                EventData::from_columns(kind, e.state().map(|s| s.as_str()), data.as_deref()),
                e
            );
        }
        let (kind, data) = EventData::State {
            state: JobState::Executing,
            error: None,
        }
        .to_columns();
        assert_eq!(kind, "state");
        assert_eq!(data.as_deref(), Some(r#"{"state":"executing"}"#));
    }

    #[test]
    fn release_0_1_state_events_read_as_the_model() {
        assert_eq!(
            EventData::from_columns("state", Some("queued"), Some(r#"{"prompt_id":"p"}"#)),
            EventData::State {
                state: JobState::Queued,
                error: None
            }
        );
        let failed = EventData::from_columns(
            "state",
            Some("failed"),
            Some(r#"{"code":"server_out_of_memory","message":"m","suggestion":"s","detail":"d"}"#),
        );
        assert_eq!(
            failed,
            EventData::State {
                state: JobState::Failed,
                error: Some(
                    UserError::new(ErrorCode::ServerOutOfMemory, "m", "s").with_detail("d")
                )
            }
        );
    }

    #[test]
    fn unreadable_or_future_events_are_unknown_not_errors() {
        assert_eq!(
            EventData::from_columns("teleported", None, Some("{}")),
            EventData::Unknown
        );
        assert_eq!(
            EventData::from_columns("progress", None, Some("not json")),
            EventData::Unknown
        );
    }
}
