//! Rules about the user's choices: profiles (and their preferred variants), defaults,
//! framings and parameters.

use indexmap::IndexSet;

use super::graph::{Nodes, check_bypass};
use crate::SchemaError;
use crate::manifest::{Effect, Manifest, ParameterKind, SetValue};

fn check_sets(what: &str, sets: &[SetValue], nodes: &Nodes) -> Result<(), SchemaError> {
    sets.iter()
        .try_for_each(|sv| nodes.target(what, &sv.target()))
}

fn check_effect(what: &str, e: &Effect, nodes: &Nodes) -> Result<(), SchemaError> {
    check_sets(what, &e.set, nodes)?;
    e.bypass
        .iter()
        .try_for_each(|b| check_bypass(what, b, nodes.graph))
}

pub(super) fn check_profiles(m: &Manifest, nodes: &Nodes) -> Result<(), SchemaError> {
    if m.profiles.is_empty() {
        return Err(SchemaError::NoProfiles);
    }
    let mut aspects: Option<IndexSet<&String>> = None;
    for (name, p) in &m.profiles {
        let profile = || name.clone();
        let keys: IndexSet<&String> = p.resolution.keys().collect();
        if keys.is_empty() {
            return Err(SchemaError::ProfileNoResolutions { profile: profile() });
        }
        match &aspects {
            None => aspects = Some(keys),
            // Same set of aspects (order may differ: the first profile's order is shown).
            Some(a) if a.len() != keys.len() || !keys.iter().all(|k| a.contains(k)) => {
                return Err(SchemaError::ProfileAspectsDiffer { profile: profile() });
            }
            Some(_) => {}
        }
        for (aspect, [w, h]) in &p.resolution {
            if *w == 0 || *h == 0 || w % 16 != 0 || h % 16 != 0 {
                return Err(SchemaError::ResolutionNot16 {
                    profile: profile(),
                    aspect: aspect.clone(),
                    width: *w,
                    height: *h,
                });
            }
        }
        if p.steps == 0
            || p.max_chunks == 0
            || !(p.max_duration_secs.is_finite() && p.max_duration_secs > 0.0)
        {
            return Err(SchemaError::ProfileNotPositive { profile: profile() });
        }
        if m.extension.is_none() && p.max_chunks != 1 {
            return Err(SchemaError::ProfileChunksWithoutExtension { profile: profile() });
        }
        let what = format!("profile {name}");
        check_sets(&what, &p.set, nodes)?;
        p.bypass
            .iter()
            .try_for_each(|b| check_bypass(&what, b, nodes.graph))?;
        if let Some(prefer) = &p.prefer {
            check_sets(&format!("profile {name} prefer"), &prefer.set, nodes)?;
            super::non_empty(&format!("profile {name} prefer label"), &prefer.label)?;
            super::non_empty(
                &format!("profile {name} prefer fallback_note"),
                &prefer.fallback_note,
            )?;
            if let Some(gb) = prefer.min_vram_gb
                && !(gb.is_finite() && gb > 0.0)
            {
                return Err(SchemaError::PreferVram { profile: profile() });
            }
            let sets_a_model = prefer.set.iter().any(|sv| {
                !sv.extension
                    && m.models
                        .iter()
                        .any(|mi| mi.node == sv.node && mi.input == sv.input)
            });
            if !sets_a_model && prefer.min_vram_gb.is_none() {
                return Err(SchemaError::PreferUnconditional { profile: profile() });
            }
        }
    }
    Ok(())
}

pub(super) fn check_defaults(m: &Manifest) -> Result<(), SchemaError> {
    let Some(default_profile) = m.profiles.get(&m.defaults.profile) else {
        return Err(SchemaError::DefaultProfileUnknown {
            profile: m.defaults.profile.clone(),
        });
    };
    if !default_profile.resolution.contains_key(&m.defaults.aspect) {
        return Err(SchemaError::DefaultAspectUnknown {
            aspect: m.defaults.aspect.clone(),
        });
    }
    match &m.defaults.framing {
        Some(f) if !m.framings.contains_key(f) => {
            return Err(SchemaError::DefaultFramingUnknown { framing: f.clone() });
        }
        None if !m.framings.is_empty() => return Err(SchemaError::FramingWithoutDefault),
        _ => {}
    }
    for (name, f) in &m.framings {
        if !(f.resolution_scale.is_finite() && f.resolution_scale > 0.0) {
            return Err(SchemaError::FramingScale {
                framing: name.clone(),
            });
        }
    }
    Ok(())
}

pub(super) fn check_parameters(m: &Manifest, nodes: &Nodes) -> Result<(), SchemaError> {
    let mut seen = IndexSet::new();
    for p in &m.parameters {
        let name = || p.name.clone();
        if !seen.insert(p.name.as_str()) {
            return Err(SchemaError::ParameterTwice { name: name() });
        }
        let what = format!("parameter {}", p.name);
        match &p.kind {
            ParameterKind::Int {
                min,
                max,
                default,
                targets,
            } => {
                if !(min <= default && default <= max) {
                    return Err(SchemaError::ParameterDefaultOutOfRange { name: name() });
                }
                nodes.targets(&what, targets)?;
            }
            ParameterKind::Float {
                min,
                max,
                default,
                targets,
            } => {
                if !(min <= default && default <= max) {
                    return Err(SchemaError::ParameterDefaultOutOfRange { name: name() });
                }
                nodes.targets(&what, targets)?;
            }
            ParameterKind::Bool { on, off, .. } => {
                check_effect(&what, on, nodes)?;
                check_effect(&what, off, nodes)?;
            }
            ParameterKind::Choice { default, options } => {
                if !options.iter().any(|o| &o.value == default) {
                    return Err(SchemaError::ParameterDefaultNotOption { name: name() });
                }
                for o in options {
                    check_effect(&what, &o.effect, nodes)?;
                }
            }
        }
    }
    Ok(())
}
