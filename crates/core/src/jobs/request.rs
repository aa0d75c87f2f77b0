//! What the UI or CLI asks for when the user presses Generate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use animatrix_media::FitMode;
use animatrix_workflow::{AnimateMode, Mode, Point};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    pub mode: Mode,
    /// Move or Mix (Animate only; Move when absent).
    #[serde(default)]
    pub animate_mode: Option<AnimateMode>,
    pub prompt: String,
    #[serde(default)]
    pub negative_prompt: Option<String>,
    /// draft | standard | high; the template's default when absent.
    #[serde(default)]
    pub profile: Option<String>,
    /// 9:16 | 16:9 | 1:1; the template's default when absent.
    #[serde(default)]
    pub aspect: Option<String>,
    /// portrait | half_body | full_body (Audio).
    #[serde(default)]
    pub framing: Option<String>,
    /// -1 (or absent) = random; the resolved seed is recorded with the job.
    #[serde(default = "random_seed")]
    pub seed: i64,
    pub inputs: JobInputs,
    /// Mix: the person to replace, normalized to the motion video's first frame.
    #[serde(default)]
    pub points: Vec<Point>,
    #[serde(default)]
    pub target_duration_secs: Option<f64>,
    /// Advanced template parameters by name (see the template manifest).
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// Server name; the default server when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// How the ground truth is fitted to the aspect.
    #[serde(default)]
    pub fit: FitMode,
}

fn random_seed() -> i64 {
    -1
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobInputs {
    pub image: Option<InputRef>,
    #[serde(default)]
    pub audio: Option<InputRef>,
    #[serde(default)]
    pub video: Option<InputRef>,
    #[serde(default)]
    pub references: Vec<InputRef>,
    /// Soft guidance only: recorded and shown, not bound into the graph.
    #[serde(default)]
    pub pose_sheet: Option<InputRef>,
}

/// A file to import, or an asset already in the store (retry, replay, demo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRef {
    File(PathBuf),
    Asset(String),
}

impl JobRequest {
    pub fn mode_str(&self) -> &'static str {
        match self.mode {
            Mode::Animate => "animate",
            // Only the two shipped modes reach the database (its CHECK constraint); a future
            // mode's template is refused earlier by `template_for`.
            _ => "audio",
        }
    }
}
