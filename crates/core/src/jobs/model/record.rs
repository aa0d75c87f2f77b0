//! A job as stored: the row, its inputs and its outputs. Every reader (window, CLI, demo packs,
//! manifests, metrics) gets these same types from the repository.

use animatrix_common::UserError;
use serde::{Deserialize, Serialize};

use super::request::{JobRequest, Role};
use super::state::JobState;
use crate::assets::AssetRecord;

/// Why a job was made from another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The same inputs and settings after a failure or cancel.
    Retry,
    /// Any past run again (same or new seed).
    Replay,
    /// Sent again to another server after the first lost it (pools).
    Failover,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Retry => "retry",
            Relation::Replay => "replay",
            Relation::Failover => "failover",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        [Relation::Retry, Relation::Replay, Relation::Failover]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TemplateRef {
    pub name: String,
    pub version: String,
}

/// Milliseconds since the Unix epoch at each step of the job's life.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct JobTimes {
    pub created_at: i64,
    pub updated_at: i64,
    pub queued_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// The finished clip, measured once when it was collected (the gallery never re-reads MP4s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ClipFacts {
    pub path: String,
    pub seconds: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bytes: i64,
    pub poster_path: Option<String>,
}

/// One job as the window, the CLI and demo packs read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct JobRecord {
    pub id: String,
    /// The ComfyUI prompt id (ours, chosen before posting), for operators.
    pub prompt_id: String,
    pub client_id: String,
    /// The server the job went to.
    pub endpoint: Option<String>,
    /// The studio (manifest `mode`): `animate`, `audio`, ...
    pub mode: String,
    pub template: TemplateRef,
    pub profile: String,
    pub aspect: String,
    pub prompt: String,
    pub negative_prompt: String,
    /// The request as submitted, inputs as asset ids (what retry and replay send again).
    pub request: JobRequest,
    pub resolved_seed: Option<i64>,
    pub frame_count: Option<i64>,
    pub state: JobState,
    pub progress: f64,
    pub error: Option<UserError>,
    pub parent_job_id: Option<String>,
    pub relation: Option<Relation>,
    pub is_demo: bool,
    pub cancel_requested: bool,
    pub times: JobTimes,
    pub clip: Option<ClipFacts>,
    /// Insertion order (SQLite rowid): search pages follow it.
    pub seq: i64,
}

/// What is known about a job when it is first written (state `validating`).
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub prompt_id: String,
    pub client_id: String,
    pub endpoint: Option<String>,
    pub mode: String,
    pub template: TemplateRef,
    pub profile: String,
    pub aspect: String,
    pub request: JobRequest,
    pub resolved_seed: i64,
    pub frame_count: Option<i64>,
    pub parent: Option<(String, Relation)>,
    pub inputs: Vec<NewJobInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJobInput {
    pub role: Role,
    pub position: i64,
    pub asset_id: String,
}

/// An input of a stored job with its asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct JobInputRecord {
    pub role: Role,
    pub position: i64,
    /// The name the server gave the upload (`subfolder/name`), once uploaded.
    pub uploaded_name: Option<String>,
    pub asset: AssetRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    Video,
    Poster,
    Image,
    Audio,
    Other,
}

impl OutputKind {
    pub const ALL: [OutputKind; 5] = [
        OutputKind::Video,
        OutputKind::Poster,
        OutputKind::Image,
        OutputKind::Audio,
        OutputKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Video => "video",
            OutputKind::Poster => "poster",
            OutputKind::Image => "image",
            OutputKind::Audio => "audio",
            OutputKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<OutputKind> {
        OutputKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A collected output file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OutputRecord {
    pub kind: OutputKind,
    /// Absolute path on this machine.
    pub path: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub server_filename: Option<String>,
    pub server_subfolder: Option<String>,
    pub node_id: Option<String>,
    /// Videos: measured when collected.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
}

impl JobRecord {
    pub fn video_path(&self) -> Option<&str> {
        self.clip.as_ref().map(|c| c.path.as_str())
    }

    pub fn poster_path(&self) -> Option<&str> {
        self.clip.as_ref().and_then(|c| c.poster_path.as_deref())
    }
}
