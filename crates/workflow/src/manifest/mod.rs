//! `manifest.json` (schema 2): everything about a template that is not the graph itself. The
//! manifest is the single source of a studio: its mode and sub-mode with their labels, its
//! inputs by role, timeline, device needs, options, profiles and capability text.
//!
//! The manifest is data, never code: node and input names it points at are checked against the
//! template's own `graph.json` when the template is loaded (see [`crate::template`]). Maps whose
//! order users see (inputs, profiles, aspects, framings) keep the manifest's order.

mod graph_refs;
mod options;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use graph_refs::{Bypass, Effect, Extension, PortConsumer, SetValue, Slots, Target};
pub use options::{ChoiceOption, Parameter, ParameterKind, Prefer, Profile};

/// The manifest format version this crate understands.
pub const MANIFEST_SCHEMA: u32 = 2;

/// Position of a template in the mode and sub-mode switches when the manifest gives none.
pub const DEFAULT_ORDER: u32 = 100;

fn default_order() -> u32 {
    DEFAULT_ORDER
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: u32,
    pub name: String,
    pub version: semver::Version,
    /// Shown to users (gallery, job details).
    pub display_name: String,
    /// The studio this template serves (`animate`, `audio`, `start_end_frame`, ...).
    pub mode: String,
    /// Shown on the mode switch; every template of a mode carries the same label.
    pub mode_label: String,
    /// A variant of the studio (`move`, `mix`), unique within the mode.
    #[serde(default)]
    pub sub_mode: Option<String>,
    /// Shown on the sub-mode switch; present exactly when `sub_mode` is.
    #[serde(default)]
    pub sub_mode_label: Option<String>,
    /// Position in the mode switch (a mode sorts by its lowest) and in the sub-mode switch;
    /// the first sub-mode of a mode is its default.
    #[serde(default = "default_order")]
    pub order: u32,
    /// One short line of what the template does, in user language (the composer shows it).
    pub summary: String,
    pub model_family: String,
    /// A longer sentence for details views.
    pub description: String,
    /// What it does and does not do; shown on demand.
    pub capabilities: Capabilities,
    /// Which app versions may use this template.
    pub app_version: semver::VersionReq,
    /// Where the graph came from (official template file), for operators.
    #[serde(default)]
    pub source: Option<String>,
    /// Files the user attaches, keyed by role (`ground_truth`, `motion_video`, `audio`,
    /// `reference`, `pose_sheet`, or any new snake_case role), in display order.
    pub inputs: IndexMap<String, InputDecl>,
    /// Server devices the graph needs (e.g. a node pinned to `cuda`).
    #[serde(default)]
    pub requires: Vec<DeviceNeed>,
    /// Every node class the graph and its extension fragment use, with the pack providing it.
    pub nodes: Vec<NodeRequirement>,
    pub packs: IndexMap<String, PackInfo>,
    /// Model files the server must have: the file is whatever the loader input holds after the
    /// quality profile (and its preferred variant) is applied.
    pub models: Vec<ModelInput>,
    /// Files that custom nodes download by themselves on first use (not listed by `/models`).
    #[serde(default)]
    pub auto_models: Vec<AutoModel>,
    pub slots: Slots,
    pub timeline: Timeline,
    #[serde(default)]
    pub extension: Option<Extension>,
    pub defaults: Defaults,
    #[serde(default)]
    pub framings: IndexMap<String, FramingPreset>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Quality profiles in display order.
    pub profiles: IndexMap<String, Profile>,
    pub limits: Limits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    pub can: Vec<String>,
    pub cannot: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Image,
    Audio,
    Video,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }
}

/// How an image input is prepared before upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Fitted to the output's width and height (aspect and profile), as the ground truth is.
    Output,
    /// Kept as imported.
    #[default]
    None,
}

/// One input role of the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDecl {
    /// Chip label, e.g. "Ground Truth".
    pub label: String,
    pub kind: InputKind,
    pub required: bool,
    /// How many files the role takes; more than 1 only for inputs with no targets.
    #[serde(default = "one")]
    pub max: u32,
    /// Short user-language line shown on the empty chip.
    pub hint: String,
    #[serde(default)]
    pub fit: Fit,
    /// Images whose shorter side is below this many pixels are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_side: Option<u32>,
    /// The input is kept with the run as soft guidance and bound nowhere; this text says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// Graph inputs that receive the uploaded file's server name. Empty: the file is kept with
    /// the run and never uploaded.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// For an optional bound input: leave its nodes out of the graph when no file is attached.
    /// Without it, an absent input's target keeps the value `graph.json` holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_absent: Option<WhenAbsent>,
}

/// What binding does when an optional, bound input has no file: the nodes holding its targets
/// (the loaders) are removed from the bound graph, and with them every input that linked to
/// them. Each of those inputs is listed in `drop_links`: the list is the template's statement
/// that the consumer does without it on the server (e.g. `WanFunInpaintToVideo.end_image`,
/// optional in its `/object_info`). A link into the loaders that is not listed refuses the
/// template at load ([`crate::SchemaError::AbsentCutsRequiredInput`]), so a required input is
/// never cut by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenAbsent {
    /// Consumer inputs removed with the loaders: `{"node", "input"}` of `graph.json`, or of the
    /// extension fragment with `"extension": true` (then every repetition loses it).
    pub drop_links: Vec<Target>,
}

impl InputDecl {
    /// Whether the file is uploaded and written into the graph.
    pub fn is_bound(&self) -> bool {
        !self.targets.is_empty()
    }
}

/// A device the graph cannot run without, e.g. `{"device": "cuda", "reason": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct DeviceNeed {
    /// Device type as `/system_stats` reports it (`cuda`, `mps`, `xpu`, ...).
    pub device: String,
    /// User language: what needs it and what to run instead.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRequirement {
    pub class: String,
    pub pack: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackInfo {
    pub display_name: String,
    pub url: String,
    /// Part of ComfyUI itself (nothing to install).
    pub builtin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInput {
    pub node: String,
    pub input: String,
    /// ComfyUI models folder, as in `GET /models/{folder}`.
    pub folder: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoModel {
    pub file: String,
    pub folder: String,
    pub note: String,
}

/// What drives the output's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineSource {
    /// The input of this role: an audio input's duration, or a video input's frame count at
    /// its own fps. Written `{"input": "<role>"}`.
    Input(String),
    /// No driving media (e.g. start/end frame templates): `first_chunk_frames`, or the job's
    /// target duration at `fps`, rounded up to Wan's 4n+1 frames and capped by the profile.
    Fixed,
}

/// How output length relates to segments: segment 1 yields `first_chunk_frames`, each extension
/// adds `extension_frames`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeline {
    pub source: TimelineSource,
    /// Output frame rate; `None` means the driving video's own rate.
    #[serde(default)]
    pub fps: Option<f64>,
    pub first_chunk_frames: u32,
    pub extension_frames: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub negative_prompt: String,
    pub profile: String,
    pub aspect: String,
    #[serde(default)]
    pub framing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FramingPreset {
    pub label: String,
    /// Appended to the user's prompt.
    pub prompt_hint: String,
    /// Multiplies the profile's resolution (then rounded to 16 and capped by `max_side`).
    pub resolution_scale: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_prompt_chars: u32,
    /// How many points the user may mark (0 = the template takes none).
    pub max_points: u32,
}
