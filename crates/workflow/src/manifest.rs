//! `manifest.json`: everything about a template that is not the graph itself.
//!
//! The manifest is data, never code: node and input names it points at are checked against the
//! template's own `graph.json` when the template is loaded (see [`crate::template`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The manifest format version this crate understands.
pub const MANIFEST_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: u32,
    pub name: String,
    pub version: semver::Version,
    /// Shown to users.
    pub display_name: String,
    pub mode: Mode,
    #[serde(default)]
    pub sub_mode: Option<AnimateMode>,
    pub model_family: String,
    /// One sentence for the UI.
    pub description: String,
    pub capabilities: Capabilities,
    /// Which app versions may use this template.
    pub app_version: semver::VersionReq,
    /// Where the graph came from (official template file), for operators.
    #[serde(default)]
    pub source: Option<String>,
    /// Uploaded files the graph reads, by name (`image`, `audio`, `video`, or any other name a
    /// future template needs; see [`crate::UploadedInputs::extra`]).
    pub inputs: BTreeMap<String, InputDecl>,
    /// Every node class the graph and its extension fragment use, with the pack providing it.
    pub nodes: Vec<NodeRequirement>,
    pub packs: BTreeMap<String, PackInfo>,
    /// Model files the server must have: the file is whatever the loader input holds after the
    /// quality profile is applied.
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
    pub framings: BTreeMap<String, FramingPreset>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    pub profiles: BTreeMap<String, Profile>,
    pub limits: Limits,
}

/// The composer mode a template serves. A mode this app version does not know (a template
/// added for a later app) loads as `Other` and is listed, so the catalog never breaks on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Animate,
    Audio,
    #[serde(untagged)]
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnimateMode {
    Move,
    Mix,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    pub can: Vec<String>,
    pub cannot: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Image,
    Audio,
    Video,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDecl {
    pub label: String,
    pub kind: InputKind,
    pub required: bool,
    pub targets: Vec<Target>,
}

/// Where a value goes: an input of a node of `graph.json`, or of the extension fragment when
/// `extension` is true (then it is written into every repetition).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub node: String,
    pub input: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extension: bool,
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

/// Values the binder computes, and the node inputs that receive them. Every slot is optional:
/// a template binds only what its graph needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slots {
    /// The user's prompt plus the framing hint.
    #[serde(default)]
    pub prompt: Vec<Target>,
    #[serde(default)]
    pub negative_prompt: Vec<Target>,
    /// The resolved seed; repetition `k` of the extension gets `seed + k`.
    #[serde(default)]
    pub seed: Vec<Target>,
    #[serde(default)]
    pub steps: Vec<Target>,
    #[serde(default)]
    pub cfg: Vec<Target>,
    #[serde(default)]
    pub sampler_name: Vec<Target>,
    #[serde(default)]
    pub scheduler: Vec<Target>,
    #[serde(default)]
    pub width: Vec<Target>,
    #[serde(default)]
    pub height: Vec<Target>,
    /// Frames of the output video.
    #[serde(default)]
    pub frame_count: Vec<Target>,
    /// Frames of the source (motion) video that the graph reads.
    #[serde(default)]
    pub source_frame_count: Vec<Target>,
    /// Number of generated segments (1 + extensions).
    #[serde(default)]
    pub chunk_count: Vec<Target>,
    /// `animatrix/<job_id>/video`.
    #[serde(default)]
    pub video_prefix: Vec<Target>,
    /// `animatrix/<job_id>/poster`.
    #[serde(default)]
    pub poster_prefix: Vec<Target>,
    /// Marked points as pixel coordinates of the working frame, JSON `[{"x":..,"y":..}]`.
    #[serde(default)]
    pub points: Vec<Target>,
    /// The same points in the KJNodes Points Editor store format.
    #[serde(default)]
    pub points_store: Vec<Target>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineSource {
    /// Length follows the uploaded audio's duration.
    Audio,
    /// Length follows the uploaded video's frame count (at its own fps).
    Video,
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
    /// Output frame rate; `None` means the source video's own rate.
    #[serde(default)]
    pub fps: Option<f64>,
    pub first_chunk_frames: u32,
    pub extension_frames: u32,
}

/// A sub-graph repeated once per extra segment, with its node ids remapped to
/// `"<id_base + k>:<local id>"` (the id scheme ComfyUI's frontend uses for expanded subgraphs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    pub id_base: u32,
    /// Values carried from one segment to the next, with their initial link in `graph.json`.
    pub ports: BTreeMap<String, Value>,
    /// Nodes of one repetition. Inputs may be `{"port": "<name>"}` (the current value of a
    /// port), a link to a fragment node (by local id) or a link to a `graph.json` node.
    pub fragment: BTreeMap<String, crate::graph::ApiNode>,
    /// New value of each port after a repetition, as a link to a fragment node.
    pub outputs: BTreeMap<String, Value>,
    /// `graph.json` inputs that receive the final value of a port.
    pub consumers: Vec<PortConsumer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortConsumer {
    pub node: String,
    pub input: String,
    pub port: String,
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

/// A user-facing parameter beyond the fixed settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub label: String,
    pub description: String,
    #[serde(flatten)]
    pub kind: ParameterKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParameterKind {
    Int {
        min: i64,
        max: i64,
        default: i64,
        targets: Vec<Target>,
    },
    Float {
        min: f64,
        max: f64,
        default: f64,
        targets: Vec<Target>,
    },
    Bool {
        default: bool,
        #[serde(default)]
        on: Effect,
        #[serde(default)]
        off: Effect,
    },
    Choice {
        default: String,
        options: Vec<ChoiceOption>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
    #[serde(flatten)]
    pub effect: Effect,
}

/// What choosing an option (or a profile) does to the graph.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    #[serde(default)]
    pub set: Vec<SetValue>,
    #[serde(default)]
    pub bypass: Vec<Bypass>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetValue {
    pub node: String,
    pub input: String,
    pub value: Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extension: bool,
}

/// Removes `node` from the graph; whatever consumed it now consumes the link held by its
/// `input` (how a LoRA loader is switched off: its model passes straight through).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bypass {
    pub node: String,
    pub input: String,
}

/// A quality profile (draft / standard / high).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub label: String,
    pub description: String,
    pub steps: u32,
    pub cfg: f64,
    pub sampler_name: String,
    pub scheduler: String,
    /// Longest output this profile produces, in seconds.
    pub max_duration_secs: f64,
    /// Hard cap on segments (1 + extensions).
    pub max_chunks: u32,
    /// Longest side after framing scale; defaults to the largest side in `resolution`.
    #[serde(default)]
    pub max_side: Option<u32>,
    /// Width and height per aspect (`"9:16"`, `"16:9"`, `"1:1"`), multiples of 16.
    pub resolution: BTreeMap<String, [u32; 2]>,
    #[serde(default)]
    pub set: Vec<SetValue>,
    #[serde(default)]
    pub bypass: Vec<Bypass>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_prompt_chars: u32,
    /// How many points the user may mark (0 = the template takes none).
    pub max_points: u32,
}
