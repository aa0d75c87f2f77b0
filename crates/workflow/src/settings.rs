//! What a job asks for: the inputs of [`crate::bind`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest seed accepted: 2^53 - 1, so that seeds survive a round trip through JavaScript.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// A job's settings, as stored with the job and replayed later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Template name (the template is the studio and its sub-mode).
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
    /// One of the template's `framings`; `None` uses its default.
    #[serde(default)]
    pub framing: Option<String>,
    /// Marked points (templates with `limits.max_points > 0`), normalized to the first frame
    /// of the driving video.
    #[serde(default)]
    pub points: Vec<Point>,
    /// Facts of the input that drives the timeline (see the manifest's `timeline.source`).
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
            points: Vec::new(),
            media: MediaFacts::default(),
            target_duration_secs: None,
            params: BTreeMap::new(),
        }
    }
}

/// A point in normalized image coordinates: (0,0) top-left, (1,1) bottom-right.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Probe results of the timeline's driving input (from the media crate): the audio fields for
/// an audio input, the video fields for a video input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct MediaFacts {
    #[serde(default)]
    pub audio_duration_secs: Option<f64>,
    #[serde(default)]
    pub video_frame_count: Option<u32>,
    #[serde(default)]
    pub video_fps: Option<f64>,
    /// Display size of the driving video (after rotation), to map marked points.
    #[serde(default)]
    pub video_width: Option<u32>,
    #[serde(default)]
    pub video_height: Option<u32>,
}

/// Server file names of the uploaded inputs by role, as `/upload/image` returned them
/// (`subfolder/name` when a subfolder was used). Only inputs with targets are uploaded: the
/// others (references, guidance) are kept with the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UploadedInputs(BTreeMap<String, String>);

impl UploadedInputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the server name of the file uploaded for `role` (replacing any earlier one).
    pub fn insert(&mut self, role: impl Into<String>, server_name: impl Into<String>) {
        self.0.insert(role.into(), server_name.into());
    }

    /// Builder form of [`UploadedInputs::insert`].
    pub fn with(mut self, role: impl Into<String>, server_name: impl Into<String>) -> Self {
        self.insert(role, server_name);
        self
    }

    pub fn remove(&mut self, role: &str) -> Option<String> {
        self.0.remove(role)
    }

    pub fn get(&self, role: &str) -> Option<&str> {
        self.0.get(role).map(String::as_str)
    }

    /// Every uploaded input as `(role, server name)`, by role.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// What the planner needs to know of these uploads: one file per role.
    pub fn attached(&self) -> Attached {
        let mut a = Attached::new();
        for role in self.0.keys() {
            a.add(role.clone(), None);
        }
        a
    }
}

impl<R: Into<String>, N: Into<String>> FromIterator<(R, N)> for UploadedInputs {
    fn from_iter<I: IntoIterator<Item = (R, N)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(r, n)| (r.into(), n.into()))
                .collect(),
        )
    }
}

/// What the user has attached so far, by role, before anything is uploaded: what
/// [`crate::plan`] checks against the template's inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attached(BTreeMap<String, AttachedInput>);

/// The files attached for one role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachedInput {
    /// How many files.
    pub count: u32,
    /// Shorter side in pixels of the smallest attached image, when known.
    #[serde(default)]
    pub min_side_px: Option<u32>,
}

impl Attached {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one file for `role`; `min_side_px` is the shorter side of an image, when known.
    pub fn add(&mut self, role: impl Into<String>, min_side_px: Option<u32>) {
        let entry = self.0.entry(role.into()).or_default();
        entry.count += 1;
        entry.min_side_px = match (entry.min_side_px, min_side_px) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Builder form of [`Attached::add`] for one file of unknown size.
    pub fn with(mut self, role: impl Into<String>) -> Self {
        self.add(role, None);
        self
    }

    pub fn get(&self, role: &str) -> Option<&AttachedInput> {
        self.0.get(role).filter(|a| a.count > 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttachedInput)> {
        self.0
            .iter()
            .filter(|(_, a)| a.count > 0)
            .map(|(k, v)| (k.as_str(), v))
    }
}
