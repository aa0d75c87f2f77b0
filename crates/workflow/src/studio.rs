//! The catalog as the window renders it: modes with their labels, each with its templates
//! (one per sub-mode), their inputs, options, profiles, aspects, framings and capability text.
//! Serializable and complete, so the window hard-codes no chip, profile or aspect.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::manifest::{
    Capabilities, DeviceNeed, Fit, InputKind, Limits, Manifest, ParameterKind, Profile,
};
use crate::template::Template;

/// One mode of the mode switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StudioMode {
    pub mode: String,
    pub label: String,
    /// One per sub-mode, in switch order; the first is the default. A mode without sub-modes
    /// has exactly one.
    pub templates: Vec<StudioTemplate>,
}

/// The latest compatible version of one template, as the composer needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StudioTemplate {
    pub name: String,
    pub version: String,
    pub display_name: String,
    pub sub_mode: Option<String>,
    pub sub_mode_label: Option<String>,
    /// One line under the prompt.
    pub summary: String,
    pub description: String,
    pub model_family: String,
    /// Shown on demand.
    pub capabilities: Capabilities,
    /// The graph reads a prompt (otherwise the composer hides the prompt box).
    pub takes_prompt: bool,
    /// Input chips in display order.
    pub inputs: Vec<StudioInput>,
    /// The role whose file sets the length; `None` for a fixed length.
    pub timeline_input: Option<String>,
    /// Output frame rate; `None` means the driving video's own.
    pub fps: Option<f64>,
    pub parameters: Vec<StudioParameter>,
    pub profiles: Vec<StudioProfile>,
    pub aspects: Vec<Choice>,
    /// Empty when the template has no framings.
    pub framings: Vec<Choice>,
    pub defaults: StudioDefaults,
    pub limits: Limits,
    /// Devices the server must have.
    pub requires: Vec<DeviceNeed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StudioInput {
    pub role: String,
    pub label: String,
    pub kind: InputKind,
    pub required: bool,
    /// How many files the chip takes.
    pub max: u32,
    /// Shown on the empty chip.
    pub hint: String,
    pub fit: Fit,
    pub min_side: Option<u32>,
    /// Kept with the run as soft guidance only; this text says so.
    pub guidance: Option<String>,
    /// Uploaded and written into the graph (otherwise kept with the run only).
    pub bound: bool,
    /// Its file sets the output's length.
    pub drives_timeline: bool,
}

/// A value and its label (aspects, framings, choice options).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StudioParameter {
    pub name: String,
    pub label: String,
    pub description: String,
    #[serde(flatten)]
    pub control: ParameterControl,
}

/// The control an Advanced parameter is shown with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParameterControl {
    Int {
        min: i64,
        max: i64,
        default: i64,
    },
    Float {
        min: f64,
        max: f64,
        default: f64,
    },
    Bool {
        default: bool,
    },
    Choice {
        default: String,
        options: Vec<Choice>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StudioProfile {
    pub name: String,
    pub label: String,
    pub description: String,
    pub max_duration_secs: f64,
    pub max_segments: u32,
    pub steps: u32,
    /// Output size per aspect, in the aspects' order.
    pub sizes: Vec<AspectSize>,
    /// The variant the profile prefers when the server can run it.
    pub prefer: Option<StudioPrefer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AspectSize {
    pub aspect: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StudioPrefer {
    pub label: String,
    pub min_vram_gb: Option<f64>,
    pub fallback_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StudioDefaults {
    pub profile: String,
    pub aspect: String,
    pub framing: Option<String>,
    pub negative_prompt: String,
}

impl Catalog {
    /// Modes in switch order (by their templates' lowest `order`, then name), each with its
    /// latest compatible templates.
    pub fn studios(&self) -> Vec<StudioMode> {
        let mut templates: Vec<&Template> = self.latest_templates().collect();
        templates.sort_by_key(|t| {
            let m = t.manifest();
            (m.order, m.sub_mode.clone(), m.name.clone())
        });
        let mut modes: Vec<(u32, StudioMode)> = Vec::new();
        for t in templates {
            let m = t.manifest();
            let view = studio_template(t);
            match modes.iter_mut().find(|(_, s)| s.mode == m.mode) {
                Some((_, s)) => s.templates.push(view),
                None => modes.push((
                    m.order,
                    StudioMode {
                        mode: m.mode.clone(),
                        label: m.mode_label.clone(),
                        templates: vec![view],
                    },
                )),
            }
        }
        // Already in ascending order of each mode's lowest `order`; ties by mode name.
        modes.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.mode.cmp(&y.mode)));
        modes.into_iter().map(|(_, s)| s).collect()
    }
}

/// "9:16 (vertical)", "16:9 (wide)", "1:1 (square)".
fn aspect_label(aspect: &str, w: u32, h: u32) -> String {
    let shape = match w.cmp(&h) {
        std::cmp::Ordering::Less => "vertical",
        std::cmp::Ordering::Greater => "wide",
        std::cmp::Ordering::Equal => "square",
    };
    format!("{aspect} ({shape})")
}

fn studio_profile(name: &str, p: &Profile) -> StudioProfile {
    StudioProfile {
        name: name.to_owned(),
        label: p.label.clone(),
        description: p.description.clone(),
        max_duration_secs: p.max_duration_secs,
        max_segments: p.max_chunks,
        steps: p.steps,
        sizes: p
            .resolution
            .iter()
            .map(|(aspect, [w, h])| AspectSize {
                aspect: aspect.clone(),
                width: *w,
                height: *h,
            })
            .collect(),
        prefer: p.prefer.as_ref().map(|x| StudioPrefer {
            label: x.label.clone(),
            min_vram_gb: x.min_vram_gb,
            fallback_note: x.fallback_note.clone(),
        }),
    }
}

fn studio_parameter(p: &crate::manifest::Parameter) -> StudioParameter {
    let control = match &p.kind {
        ParameterKind::Int {
            min, max, default, ..
        } => ParameterControl::Int {
            min: *min,
            max: *max,
            default: *default,
        },
        ParameterKind::Float {
            min, max, default, ..
        } => ParameterControl::Float {
            min: *min,
            max: *max,
            default: *default,
        },
        ParameterKind::Bool { default, .. } => ParameterControl::Bool { default: *default },
        ParameterKind::Choice { default, options } => ParameterControl::Choice {
            default: default.clone(),
            options: options
                .iter()
                .map(|o| Choice {
                    value: o.value.clone(),
                    label: o.label.clone(),
                })
                .collect(),
        },
    };
    StudioParameter {
        name: p.name.clone(),
        label: p.label.clone(),
        description: p.description.clone(),
        control,
    }
}

fn studio_inputs(t: &Template, m: &Manifest) -> Vec<StudioInput> {
    m.inputs
        .iter()
        .map(|(role, i)| StudioInput {
            role: role.clone(),
            label: i.label.clone(),
            kind: i.kind,
            required: i.required,
            max: i.max,
            hint: i.hint.clone(),
            fit: i.fit,
            min_side: i.min_side,
            guidance: i.guidance.clone(),
            bound: i.is_bound(),
            drives_timeline: t.timeline_role() == Some(role.as_str()),
        })
        .collect()
}

pub(crate) fn studio_template(t: &Template) -> StudioTemplate {
    let m = t.manifest();
    let aspects = t
        .default_profile()
        .map(|p| {
            p.resolution
                .iter()
                .map(|(a, [w, h])| Choice {
                    value: a.clone(),
                    label: aspect_label(a, *w, *h),
                })
                .collect()
        })
        .unwrap_or_default();
    StudioTemplate {
        name: m.name.clone(),
        version: m.version.to_string(),
        display_name: m.display_name.clone(),
        sub_mode: m.sub_mode.clone(),
        sub_mode_label: m.sub_mode_label.clone(),
        summary: m.summary.clone(),
        description: m.description.clone(),
        model_family: m.model_family.clone(),
        capabilities: m.capabilities.clone(),
        takes_prompt: !m.slots.prompt.is_empty(),
        inputs: studio_inputs(t, m),
        timeline_input: t.timeline_role().map(str::to_owned),
        fps: m.timeline.fps,
        parameters: m.parameters.iter().map(studio_parameter).collect(),
        profiles: m
            .profiles
            .iter()
            .map(|(n, p)| studio_profile(n, p))
            .collect(),
        aspects,
        framings: m
            .framings
            .iter()
            .map(|(n, f)| Choice {
                value: n.clone(),
                label: f.label.clone(),
            })
            .collect(),
        defaults: StudioDefaults {
            profile: m.defaults.profile.clone(),
            aspect: m.defaults.aspect.clone(),
            framing: m.defaults.framing.clone(),
            negative_prompt: m.defaults.negative_prompt.clone(),
        },
        limits: m.limits.clone(),
        requires: m.requires.clone(),
    }
}
