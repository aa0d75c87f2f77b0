//! The schema's rules, checked when a template is loaded: a manifest that passes can be
//! planned and bound without any "inconsistent template" surprise at run time.

mod absent;
mod graph;
mod profiles;

use std::collections::BTreeSet;

pub(crate) use absent::loader_nodes;
pub(crate) use graph::port_name;

use crate::SchemaError;
use crate::graph::ApiGraph;
use crate::manifest::{Fit, InputKind, MANIFEST_SCHEMA, Manifest, Target, TimelineSource};
use graph::{Nodes, check_extension, check_links};

/// Longest `summary` accepted: one line under the prompt at 1280x800.
pub const MAX_SUMMARY_CHARS: usize = 120;

pub(crate) fn check(m: &Manifest, graph: &ApiGraph) -> Result<(), SchemaError> {
    if m.schema != MANIFEST_SCHEMA {
        return Err(SchemaError::SchemaVersion {
            found: m.schema,
            expected: MANIFEST_SCHEMA,
        });
    }
    check_identity(m)?;
    check_links(graph)?;
    let nodes = Nodes {
        graph,
        fragment: m.extension.as_ref().map(|e| &e.fragment),
    };
    check_classes(m, graph)?;
    check_inputs(m, &nodes)?;
    check_models(m, &nodes)?;
    check_slots(m, &nodes)?;
    check_timeline(m)?;
    if let Some(ext) = &m.extension {
        check_extension(ext, graph)?;
    }
    profiles::check_profiles(m, &nodes)?;
    profiles::check_defaults(m)?;
    profiles::check_parameters(m, &nodes)?;
    // Last: it relies on targets, ids and links the rules above have checked.
    absent::check_absent(m, graph)?;
    Ok(())
}

pub(crate) fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn non_empty(field: &str, text: &str) -> Result<(), SchemaError> {
    if text.trim().is_empty() {
        return Err(SchemaError::EmptyText {
            field: field.to_owned(),
        });
    }
    Ok(())
}

fn check_identity(m: &Manifest) -> Result<(), SchemaError> {
    if !is_snake_case(&m.name) {
        return Err(SchemaError::BadName {
            name: m.name.clone(),
        });
    }
    if !is_snake_case(&m.mode) {
        return Err(SchemaError::BadIdentifier {
            what: "mode".into(),
            value: m.mode.clone(),
        });
    }
    non_empty("display_name", &m.display_name)?;
    non_empty("mode_label", &m.mode_label)?;
    non_empty("summary", &m.summary)?;
    if m.summary.contains('\n') || m.summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(SchemaError::SummaryNotOneLine {
            max: MAX_SUMMARY_CHARS,
        });
    }
    match (&m.sub_mode, &m.sub_mode_label) {
        (Some(sub), Some(label)) => {
            if !is_snake_case(sub) {
                return Err(SchemaError::BadIdentifier {
                    what: "sub_mode".into(),
                    value: sub.clone(),
                });
            }
            non_empty("sub_mode_label", label)?;
        }
        (None, None) => {}
        _ => return Err(SchemaError::SubModeLabel),
    }
    if m.requires.iter().any(|r| r.device.trim().is_empty()) {
        return Err(SchemaError::DeviceEmpty);
    }
    for r in &m.requires {
        non_empty("requires.reason", &r.reason)?;
    }
    Ok(())
}

/// Declared node classes cover the graph exactly, each from a declared pack.
fn check_classes(m: &Manifest, graph: &ApiGraph) -> Result<(), SchemaError> {
    let declared: BTreeSet<&str> = m.nodes.iter().map(|n| n.class.as_str()).collect();
    let mut used: BTreeSet<&str> = graph.values().map(|n| n.class_type.as_str()).collect();
    if let Some(ext) = &m.extension {
        used.extend(ext.fragment.values().map(|n| n.class_type.as_str()));
    }
    if let Some(class) = used.difference(&declared).next() {
        return Err(SchemaError::ClassUndeclared {
            class: (*class).to_owned(),
        });
    }
    if let Some(class) = declared.difference(&used).next() {
        return Err(SchemaError::ClassUnused {
            class: (*class).to_owned(),
        });
    }
    if let Some(n) = m.nodes.iter().find(|n| !m.packs.contains_key(&n.pack)) {
        return Err(SchemaError::UnknownPack {
            class: n.class.clone(),
            pack: n.pack.clone(),
        });
    }
    Ok(())
}

fn check_inputs(m: &Manifest, nodes: &Nodes) -> Result<(), SchemaError> {
    for (role, input) in &m.inputs {
        if !is_snake_case(role) {
            return Err(SchemaError::BadIdentifier {
                what: "input role".into(),
                value: role.clone(),
            });
        }
        non_empty(&format!("input {role} label"), &input.label)?;
        non_empty(&format!("input {role} hint"), &input.hint)?;
        let kind = || input.kind.as_str().to_owned();
        if input.max == 0 {
            return Err(SchemaError::InputMaxZero { role: role.clone() });
        }
        if input.max > 1 && input.is_bound() {
            return Err(SchemaError::InputMultipleWithTargets {
                role: role.clone(),
                max: input.max,
            });
        }
        if input.required && !input.is_bound() {
            return Err(SchemaError::InputRequiredUnbound { role: role.clone() });
        }
        if let Some(g) = &input.guidance {
            if input.is_bound() {
                return Err(SchemaError::InputGuidanceWithTargets { role: role.clone() });
            }
            non_empty(&format!("input {role} guidance"), g)?;
        }
        if input.fit == Fit::Output && input.kind != InputKind::Image {
            return Err(SchemaError::InputFitNotImage {
                role: role.clone(),
                kind: kind(),
            });
        }
        if input.min_side.is_some() && input.kind != InputKind::Image {
            return Err(SchemaError::InputMinSideNotImage {
                role: role.clone(),
                kind: kind(),
            });
        }
        nodes.targets(&format!("input {role}"), &input.targets)?;
    }
    Ok(())
}

fn check_models(m: &Manifest, nodes: &Nodes) -> Result<(), SchemaError> {
    for mi in &m.models {
        let t = Target {
            node: mi.node.clone(),
            input: mi.input.clone(),
            extension: false,
        };
        nodes.target("models", &t)?;
        let is_file = nodes
            .graph
            .get(&mi.node)
            .and_then(|n| n.inputs.get(&mi.input))
            .is_some_and(|v| v.is_string());
        if !is_file {
            return Err(SchemaError::ModelInputNotFile {
                node: mi.node.clone(),
                input: mi.input.clone(),
            });
        }
    }
    Ok(())
}

fn check_slots(m: &Manifest, nodes: &Nodes) -> Result<(), SchemaError> {
    let s = &m.slots;
    for (slot, targets) in s.named() {
        nodes.targets(&format!("slot {slot}"), targets)?;
    }
    if s.video_prefix.is_empty() || s.poster_prefix.is_empty() {
        return Err(SchemaError::PrefixSlotsMissing);
    }
    if m.limits.max_points > 0 && s.points.is_empty() {
        return Err(SchemaError::PointsSlotMissing);
    }
    Ok(())
}

fn check_timeline(m: &Manifest) -> Result<(), SchemaError> {
    let t = &m.timeline;
    if t.first_chunk_frames == 0 || (m.extension.is_some() && t.extension_frames == 0) {
        return Err(SchemaError::TimelineFrames);
    }
    if let Some(fps) = t.fps
        && !(fps.is_finite() && fps > 0.0)
    {
        return Err(SchemaError::TimelineFps);
    }
    let needs_fps = |source_kind: &str| {
        if t.fps.is_none() {
            Err(SchemaError::TimelineNeedsFps {
                source_kind: source_kind.to_owned(),
            })
        } else {
            Ok(())
        }
    };
    match &t.source {
        TimelineSource::Fixed => needs_fps("a fixed length"),
        TimelineSource::Input(role) => {
            let input = m
                .inputs
                .get(role)
                .ok_or_else(|| SchemaError::TimelineInputUnknown { role: role.clone() })?;
            if !input.required || !input.is_bound() {
                return Err(SchemaError::TimelineInputOptional { role: role.clone() });
            }
            match input.kind {
                InputKind::Audio => needs_fps("audio"),
                InputKind::Video => Ok(()),
                InputKind::Image => Err(SchemaError::TimelineInputKind {
                    role: role.clone(),
                    kind: input.kind.as_str().to_owned(),
                }),
            }
        }
    }
}
