//! The planner's checks of each setting against the manifest, each giving a typed error.

use super::{Errors, IssueField, PlanIssue};
use crate::WorkflowError;
use crate::manifest::{FramingPreset, Manifest, Profile};
use crate::server::ServerFacts;
use crate::settings::{Attached, JobSettings, MAX_SEED};
use crate::template::Template;
use animatrix_common::ErrorCode;

/// Device needs and node classes against the server's facts.
pub(super) fn server(
    t: &Template,
    server: &ServerFacts,
    errors: &mut Errors,
    warnings: &mut Vec<PlanIssue>,
) {
    let m = t.manifest();
    for need in &m.requires {
        match server.has_device(&need.device) {
            Some(true) => {}
            Some(false) => errors.push(
                IssueField::Template,
                WorkflowError::DeviceRequired {
                    device: need.device.clone(),
                    reason: need.reason.clone(),
                },
            ),
            None => warnings.push(PlanIssue::warning(
                ErrorCode::DeviceUnknown,
                IssueField::Template,
                format!("Could not check the server's devices. {}", need.reason),
            )),
        }
    }
    let missing: Vec<&crate::manifest::NodeRequirement> = m
        .nodes
        .iter()
        .filter(|n| !server.node_classes.contains(&n.class))
        .collect();
    if !missing.is_empty() {
        let mut packs: Vec<String> = missing
            .iter()
            .map(|n| {
                m.packs
                    .get(&n.pack)
                    .map_or_else(|| n.pack.clone(), |p| p.display_name.clone())
            })
            .collect();
        packs.dedup();
        errors.push(
            IssueField::Template,
            WorkflowError::NodesMissing {
                classes: missing.iter().map(|n| n.class.clone()).collect(),
                packs,
            },
        );
    }
}

pub(super) fn profile<'m>(m: &'m Manifest, name: &str) -> Result<&'m Profile, WorkflowError> {
    m.profiles
        .get(name)
        .ok_or_else(|| WorkflowError::UnknownProfile {
            profile: name.to_owned(),
            allowed: m.profiles.keys().cloned().collect(),
        })
}

/// The base size for `aspect` in `profile` (`None` when the profile is unknown). Aspects are
/// the same in every profile (checked at load), so an unknown profile still checks the aspect.
pub(super) fn aspect(
    t: &Template,
    profile: Option<&Profile>,
    aspect: &str,
) -> Result<Option<(u32, u32)>, WorkflowError> {
    let known = t
        .default_profile()
        .is_some_and(|p| p.resolution.contains_key(aspect));
    if !known {
        return Err(WorkflowError::UnknownAspect {
            aspect: aspect.to_owned(),
            allowed: t.aspect_names(),
        });
    }
    Ok(profile
        .and_then(|p| p.resolution.get(aspect))
        .map(|[w, h]| (*w, *h)))
}

pub(super) type Framing<'m> = Option<(&'m str, &'m FramingPreset)>;

pub(super) fn framing<'m>(m: &'m Manifest, s: &JobSettings) -> Result<Framing<'m>, WorkflowError> {
    let name = match (&s.framing, &m.defaults.framing) {
        (Some(f), _) => f,
        (None, Some(d)) => d,
        (None, None) => return Ok(None),
    };
    m.framings
        .get_key_value(name)
        .map(|(k, v)| Some((k.as_str(), v)))
        .ok_or_else(|| WorkflowError::UnknownFraming {
            framing: name.clone(),
            allowed: m.framings.keys().cloned().collect(),
        })
}

/// Rounds to the nearest multiple of 16 (at least 16).
fn round16(v: f64) -> u32 {
    (((v / 16.0).round() as u32).max(1)) * 16
}

pub(super) fn scaled_resolution(p: &Profile, w: u32, h: u32, scale: f64) -> (u32, u32) {
    if (scale - 1.0).abs() < 1e-9 {
        return (w, h);
    }
    let max_side = p.max_side.unwrap_or_else(|| {
        p.resolution
            .values()
            .flat_map(|[a, b]| [*a, *b])
            .max()
            .unwrap_or(w.max(h))
    });
    let (mut sw, mut sh) = (f64::from(w) * scale, f64::from(h) * scale);
    let longest = sw.max(sh);
    if longest > f64::from(max_side) {
        let k = f64::from(max_side) / longest;
        sw *= k;
        sh *= k;
        // Round down so the cap holds.
        let down = |v: f64| (((v / 16.0).floor() as u32).max(1)) * 16;
        return (down(sw), down(sh));
    }
    (round16(sw), round16(sh))
}

fn check_len(text: &str, max: u32) -> Result<(), WorkflowError> {
    let chars = text.chars().count();
    if chars > max as usize {
        return Err(WorkflowError::PromptTooLong { chars, max });
    }
    Ok(())
}

/// The prompt with the framing hint appended.
pub(super) fn prompt(
    m: &Manifest,
    s: &JobSettings,
    hint: Option<&str>,
) -> Result<String, WorkflowError> {
    check_len(&s.prompt, m.limits.max_prompt_chars)?;
    let p = s.prompt.trim();
    // A template whose graph reads no prompt does not ask for one.
    if p.is_empty() && !m.slots.prompt.is_empty() {
        return Err(WorkflowError::EmptyPrompt);
    }
    Ok(match hint {
        None | Some("") => p.to_owned(),
        Some(h) if p.ends_with(['.', '!', '?', ',', ';']) => format!("{p} {h}"),
        Some(h) => format!("{p}, {h}"),
    })
}

pub(super) fn negative(m: &Manifest, s: &JobSettings) -> Result<String, WorkflowError> {
    match &s.negative_prompt {
        Some(n) => {
            check_len(n, m.limits.max_prompt_chars)?;
            Ok(n.clone())
        }
        None => Ok(m.defaults.negative_prompt.clone()),
    }
}

pub(super) fn seed(seed: i64) -> Result<(), WorkflowError> {
    if seed == -1 || (seed >= 0 && seed as u64 <= MAX_SEED) {
        Ok(())
    } else {
        Err(WorkflowError::InvalidSeed {
            seed,
            max: MAX_SEED,
        })
    }
}

/// Attached files against the declared inputs: undeclared roles, missing required ones, too
/// many files, images too small; guidance inputs get their note as a warning.
pub(super) fn inputs(
    m: &Manifest,
    attached: &Attached,
    errors: &mut Errors,
    warnings: &mut Vec<PlanIssue>,
) {
    for (role, _) in attached.iter() {
        if !m.inputs.contains_key(role) {
            errors.push(
                IssueField::input(role),
                WorkflowError::UnexpectedInput {
                    template: m.name.clone(),
                    input: role.to_owned(),
                },
            );
        }
    }
    for (role, decl) in &m.inputs {
        let field = IssueField::input(role);
        let Some(a) = attached.get(role) else {
            if decl.required {
                errors.push(
                    field,
                    WorkflowError::MissingInput {
                        input: role.clone(),
                        label: decl.label.clone(),
                    },
                );
            }
            continue;
        };
        if a.count > decl.max {
            errors.push(
                field.clone(),
                WorkflowError::TooManyFiles {
                    input: role.clone(),
                    label: decl.label.clone(),
                    count: a.count,
                    max: decl.max,
                },
            );
        }
        if let (Some(min), Some(side)) = (decl.min_side, a.min_side_px)
            && side < min
        {
            errors.push(
                field.clone(),
                WorkflowError::ImageTooSmall {
                    input: role.clone(),
                    label: decl.label.clone(),
                    side,
                    min,
                },
            );
        }
        if let Some(g) = &decl.guidance {
            warnings.push(PlanIssue::warning(
                ErrorCode::GuidanceOnly,
                field,
                g.clone(),
            ));
        }
    }
}
