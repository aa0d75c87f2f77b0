//! The parts of a manifest that point into the graph: targets, slots, the extension block and
//! the edits (set a value, bypass a node) that options and profiles make.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// Frames of the driving video that the graph reads.
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

impl Slots {
    /// Every slot by name, for checks that treat them alike.
    pub fn named(&self) -> [(&'static str, &Vec<Target>); 16] {
        [
            ("prompt", &self.prompt),
            ("negative_prompt", &self.negative_prompt),
            ("seed", &self.seed),
            ("steps", &self.steps),
            ("cfg", &self.cfg),
            ("sampler_name", &self.sampler_name),
            ("scheduler", &self.scheduler),
            ("width", &self.width),
            ("height", &self.height),
            ("frame_count", &self.frame_count),
            ("source_frame_count", &self.source_frame_count),
            ("chunk_count", &self.chunk_count),
            ("video_prefix", &self.video_prefix),
            ("poster_prefix", &self.poster_prefix),
            ("points", &self.points),
            ("points_store", &self.points_store),
        ]
    }
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

/// What choosing an option (or a profile variant) does to the graph.
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

impl SetValue {
    pub fn target(&self) -> Target {
        Target {
            node: self.node.clone(),
            input: self.input.clone(),
            extension: self.extension,
        }
    }
}

/// Removes `node` from the graph; whatever consumed it now consumes the link held by its
/// `input` (how a LoRA loader is switched off: its model passes straight through).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bypass {
    pub node: String,
    pub input: String,
}
