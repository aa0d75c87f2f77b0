//! The planner: what a job will be (profile, size, length, segments, profile variant) and
//! every issue that stops Generate, in user language. Pure; [`crate::bind`] runs the same
//! planner, so the composer's plan and the bound graph never disagree.

mod checks;
mod params;
mod points;
mod variant;

use serde::{Deserialize, Serialize};

pub use crate::issue::{IssueField, PlanIssue};

use crate::WorkflowError;
use crate::manifest::{Effect, FramingPreset, Profile};
use crate::server::ServerFacts;
use crate::settings::{Attached, JobSettings};
use crate::template::Template;
use crate::timeline::{FramePlan, plan_frames};

/// Length of the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PlanTiming {
    pub fps: f64,
    pub frame_count: u32,
    /// Frames of the driving video the graph reads (video-driven templates).
    pub source_frame_count: Option<u32>,
    /// Segments generated (1 + extensions).
    pub segments: u32,
    pub seconds: f64,
}

/// Whether a profile's preferred variant (e.g. High's bf16 model) applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct VariantPlan {
    /// The variant, in user language ("bf16 model").
    pub label: String,
    pub applied: bool,
    /// Why it does not apply, in user language.
    pub reason: Option<String>,
}

/// What a job will be, and what stops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Plan {
    pub template: String,
    pub version: String,
    /// Requested or default profile name.
    pub profile: String,
    pub aspect: String,
    pub framing: Option<String>,
    /// Output size; `None` when the profile or aspect is unknown.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `None` until the driving input and its facts are known (or when they are refused).
    pub timing: Option<PlanTiming>,
    /// Present when the profile has a preferred variant.
    pub variant: Option<VariantPlan>,
    /// Everything that stops Generate, in the order the user should fix it.
    pub issues: Vec<PlanIssue>,
    /// What the user should know but that does not stop Generate.
    pub warnings: Vec<PlanIssue>,
}

impl Plan {
    /// Nothing stops Generate.
    pub fn ready(&self) -> bool {
        self.issues.is_empty()
    }
}

/// Plans a job: `attached` is what the user attached so far (before upload), `server` the
/// facts of the server it goes to, if known (without them the preferred variant of a profile
/// is assumed and no server checks are made).
pub fn plan(
    template: &Template,
    settings: &JobSettings,
    attached: &Attached,
    server: Option<&ServerFacts>,
) -> Plan {
    plan_inner(template, settings, attached, server).plan
}

/// What binding takes from a plan with no issues.
pub(crate) struct Resolved<'t> {
    pub profile: &'t Profile,
    pub framing: Option<(&'t str, &'t FramingPreset)>,
    pub width: u32,
    pub height: u32,
    pub prompt: String,
    pub negative: String,
    pub params: Effect,
    /// Pixel coordinates and Points Editor store JSON.
    pub points: Option<(String, String)>,
    pub frames: FramePlan,
    pub variant_applied: bool,
}

pub(crate) struct Planning<'t> {
    pub plan: Plan,
    /// The typed errors behind `plan.issues`, in the same order.
    pub errors: Vec<WorkflowError>,
    /// Present exactly when there are no errors.
    pub resolved: Option<Resolved<'t>>,
}

/// Collects typed errors with the field they belong to.
#[derive(Default)]
pub(crate) struct Errors(Vec<(IssueField, WorkflowError)>);

impl Errors {
    pub fn push(&mut self, field: IssueField, e: WorkflowError) {
        self.0.push((field, e));
    }

    /// Keeps the value, or records the error and gives `None`.
    pub fn keep<T>(&mut self, field: IssueField, r: Result<T, WorkflowError>) -> Option<T> {
        r.map_err(|e| self.push(field, e)).ok()
    }
}

pub(crate) fn plan_inner<'t>(
    t: &'t Template,
    s: &JobSettings,
    attached: &Attached,
    server: Option<&ServerFacts>,
) -> Planning<'t> {
    let m = t.manifest();
    let mut errors = Errors::default();
    let mut warnings = Vec::new();
    if s.template != m.name {
        errors.push(
            IssueField::Template,
            WorkflowError::TemplateMismatch {
                settings: s.template.clone(),
                template: m.name.clone(),
            },
        );
    }
    if let Some(server) = server {
        checks::server(t, server, &mut errors, &mut warnings);
    }
    let profile_name = s
        .profile
        .clone()
        .unwrap_or_else(|| m.defaults.profile.clone());
    let profile = errors.keep(IssueField::Profile, checks::profile(m, &profile_name));
    let aspect = s
        .aspect
        .clone()
        .unwrap_or_else(|| m.defaults.aspect.clone());
    let base_size = errors
        .keep(IssueField::Aspect, checks::aspect(t, profile, &aspect))
        .flatten();
    let framing = errors.keep(IssueField::Framing, checks::framing(m, s));
    let size = match (profile, base_size, framing) {
        (Some(p), Some((w, h)), Some(f)) => Some(checks::scaled_resolution(
            p,
            w,
            h,
            f.map_or(1.0, |(_, f)| f.resolution_scale),
        )),
        _ => None,
    };
    let hint = framing.flatten().map(|(_, f)| f.prompt_hint.as_str());
    let prompt = errors.keep(IssueField::Prompt, checks::prompt(m, s, hint));
    let negative = errors.keep(IssueField::NegativePrompt, checks::negative(m, s));
    errors.keep(IssueField::Seed, checks::seed(s.seed));
    checks::inputs(m, attached, &mut errors, &mut warnings);
    let params = params::params(m, s, &mut errors);
    let points = match size {
        Some((w, h)) => errors.keep(IssueField::Points, points::points(m, s, &aspect, w, h)),
        None => None,
    };
    warnings.extend(points::points_warning(m, s));

    let variant = profile.and_then(|p| variant::decide(t, p, server));
    let variant_applied = variant.as_ref().is_some_and(|v| v.applied);
    if let (Some(p), Some(v)) = (profile, &variant) {
        warnings.extend(variant::fallback_warning(p, v));
    }
    if let (Some(p), Some(server)) = (profile, server) {
        errors.keep(
            IssueField::Profile,
            variant::available(t, &profile_name, p, variant_applied, server),
        );
    }
    let driving_attached = t.timeline_role().is_none_or(|r| attached.get(r).is_some());
    let frames = match profile {
        Some(p) if driving_attached => match plan_frames(m, &profile_name, p, s) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push(crate::timeline::error_field(m, &e), e);
                None
            }
        },
        _ => None,
    };
    if let Some(f) = &frames {
        warnings.extend(f.warnings.iter().cloned());
    }

    // Checks ran in dependency order; users see them in fixing order (stable within a control).
    errors.0.sort_by_key(|(field, _)| field.rank());
    let timing = frames.as_ref().map(|f| PlanTiming {
        fps: f.fps,
        frame_count: f.frame_count,
        source_frame_count: f.source_frame_count,
        segments: f.chunk_count,
        seconds: f64::from(f.frame_count) / f.fps,
    });
    let plan = Plan {
        template: m.name.clone(),
        version: m.version.to_string(),
        profile: profile_name,
        aspect,
        framing: framing.flatten().map(|(name, _)| name.to_owned()),
        width: size.map(|(w, _)| w),
        height: size.map(|(_, h)| h),
        timing,
        variant,
        issues: errors
            .0
            .iter()
            .map(|(field, e)| PlanIssue::from_error(field.clone(), e))
            .collect(),
        warnings,
    };
    let resolved = match (profile, framing, size, prompt, negative, params, frames) {
        (
            Some(profile),
            Some(framing),
            Some((width, height)),
            Some(prompt),
            Some(negative),
            Some(params),
            Some(frames),
        ) if errors.0.is_empty() => Some(Resolved {
            profile,
            framing,
            width,
            height,
            prompt,
            negative,
            params,
            points: points.flatten(),
            frames,
            variant_applied,
        }),
        _ => None,
    };
    Planning {
        plan,
        errors: errors.0.into_iter().map(|(_, e)| e).collect(),
        resolved,
    }
}

/// The variant decision for `profile` on `server` (preflight reports it per profile).
pub(crate) fn decide_variant(
    t: &Template,
    profile: &Profile,
    server: Option<&ServerFacts>,
) -> Option<VariantPlan> {
    variant::decide(t, profile, server)
}
