//! What a job asks for: the inputs of [`crate::bind`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::manifest::AnimateMode;

/// Largest seed accepted: 2^53 - 1, so that seeds survive a round trip through JavaScript.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// A job's settings, as stored with the job and replayed later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Template name, e.g. `s2v`, `animate_move`, `animate_mix`.
    pub template: String,
    pub prompt: String,
    /// `None` uses the template's default negative prompt.
    #[serde(default)]
    pub negative_prompt: Option<String>,
    /// `None` uses the template's default (`standard`).
    #[serde(default)]
    pub profile: Option<String>,
    /// `"9:16"`, `"16:9"` or `"1:1"`; `None` uses the template's default.
    #[serde(default)]
    pub aspect: Option<String>,
    /// `-1` = pick a random seed.
    #[serde(default = "random_seed")]
    pub seed: i64,
    /// `portrait`, `half_body` or `full_body` (audio templates).
    #[serde(default)]
    pub framing: Option<String>,
    /// Move or Mix; when given it must match the template's sub-mode.
    #[serde(default)]
    pub animate_mode: Option<AnimateMode>,
    /// The person to replace (Mix), normalized to the first frame of the motion video.
    #[serde(default)]
    pub points: Vec<Point>,
    /// Facts from probing the uploaded media.
    #[serde(default)]
    pub media: MediaFacts,
    /// Shorter output than the source allows, in seconds.
    #[serde(default)]
    pub target_duration_secs: Option<f64>,
    /// Template parameters from the manifest's `parameters` list, by name.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

fn random_seed() -> i64 {
    -1
}

impl JobSettings {
    /// Settings with every optional field at its default.
    pub fn new(template: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            template: template.into(),
            prompt: prompt.into(),
            negative_prompt: None,
            profile: None,
            aspect: None,
            seed: -1,
            framing: None,
            animate_mode: None,
            points: Vec::new(),
            media: MediaFacts::default(),
            target_duration_secs: None,
            params: BTreeMap::new(),
        }
    }
}

/// A point in normalized image coordinates: (0,0) top-left, (1,1) bottom-right.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Probe results the binder needs (from the media crate).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaFacts {
    #[serde(default)]
    pub audio_duration_secs: Option<f64>,
    #[serde(default)]
    pub video_frame_count: Option<u32>,
    #[serde(default)]
    pub video_fps: Option<f64>,
    /// Display size of the motion video (after rotation), to map marked points.
    #[serde(default)]
    pub video_width: Option<u32>,
    #[serde(default)]
    pub video_height: Option<u32>,
}

/// Names of the uploaded files on the server, as `/upload/image` returned them
/// (`subfolder/name` when a subfolder was used).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadedInputs {
    pub image: String,
    #[serde(default)]
    pub audio: Option<String>,
    #[serde(default)]
    pub video: Option<String>,
    /// Inputs of future templates (e.g. `end_image`), by the name in the manifest.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

impl UploadedInputs {
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "image" => Some(self.image.as_str()).filter(|s| !s.is_empty()),
            "audio" => self.audio.as_deref(),
            "video" => self.video.as_deref(),
            other => self.extra.get(other).map(String::as_str),
        }
    }

    /// Every provided input by name.
    pub fn provided(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        if !self.image.is_empty() {
            out.push(("image", self.image.as_str()));
        }
        if let Some(a) = &self.audio {
            out.push(("audio", a.as_str()));
        }
        if let Some(v) = &self.video {
            out.push(("video", v.as_str()));
        }
        for (k, v) in &self.extra {
            out.push((k.as_str(), v.as_str()));
        }
        out
    }
}
