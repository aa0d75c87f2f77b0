//! What the user chooses beyond prompt and files: template parameters and quality profiles.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::graph_refs::{Bypass, Effect, SetValue, Target};

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
    /// Width and height per aspect (`"9:16"`, `"16:9"`, `"1:1"`), multiples of 16, in display
    /// order.
    pub resolution: IndexMap<String, [u32; 2]>,
    /// Applied always (the fallback variant when `prefer` is given).
    #[serde(default)]
    pub set: Vec<SetValue>,
    #[serde(default)]
    pub bypass: Vec<Bypass>,
    /// A variant applied on top when the server can run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer: Option<Prefer>,
}

/// The preferred variant of a profile (e.g. High's bf16 model): used when the server has every
/// model file it sets and enough GPU memory, otherwise the profile runs without it and the
/// plan carries `fallback_note`. The model files it needs are not listed here: they are the
/// values it writes into the manifest's `models` loaders, so they cannot disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefer {
    /// What the variant is, in user language ("bf16 model").
    pub label: String,
    pub set: Vec<SetValue>,
    /// Least total memory of the server's largest GPU, in GB (10^9 bytes, as cards are sold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_vram_gb: Option<f64>,
    /// User language: what the fallback means for the result.
    pub fallback_note: String,
}
