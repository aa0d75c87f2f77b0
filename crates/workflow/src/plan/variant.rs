//! Whether a profile's preferred variant applies on a server, and whether the profile can run
//! there at all.

use animatrix_common::ErrorCode;
use std::collections::BTreeSet;

use super::{IssueField, PlanIssue, VariantPlan};
use crate::WorkflowError;
use crate::manifest::Profile;
use crate::models::{files_for, preferred_extra};
use crate::server::ServerFacts;
use crate::template::Template;

/// Slack so that a card sold as N GB that reports a hair under passes a `min_vram_gb` of N.
const VRAM_SLACK_GB: f64 = 0.05;

/// `None` when the profile has no preferred variant. Without server facts the variant applies
/// (nothing says the server cannot run it).
pub(super) fn decide(
    t: &Template,
    profile: &Profile,
    server: Option<&ServerFacts>,
) -> Option<VariantPlan> {
    let prefer = profile.prefer.as_ref()?;
    let reason = server.and_then(|server| {
        let missing: Vec<String> = preferred_extra(t, profile)
            .into_iter()
            .filter(|(folder, file)| !server.models.contains(folder, file))
            .map(|(_, file)| file)
            .collect();
        if !missing.is_empty() {
            return Some(format!("The server does not have {}.", missing.join(", ")));
        }
        let need = prefer.min_vram_gb?;
        match (server.devices.as_ref(), server.largest_gpu()) {
            (None, _) => Some("The server's GPU memory could not be read.".to_owned()),
            (Some(_), None) => Some("The server has no GPU.".to_owned()),
            (Some(_), Some(gpu)) if gpu.vram_gb() + VRAM_SLACK_GB < need => Some(format!(
                "The server's GPU has {:.0} GB of memory; the {} needs {need:.0} GB.",
                gpu.vram_gb(),
                prefer.label
            )),
            _ => None,
        }
    });
    Some(VariantPlan {
        label: prefer.label.clone(),
        applied: reason.is_none(),
        reason,
    })
}

pub(super) fn fallback_warning(profile: &Profile, v: &VariantPlan) -> Option<PlanIssue> {
    let prefer = profile.prefer.as_ref()?;
    (!v.applied).then(|| PlanIssue {
        code: ErrorCode::ProfileFallback,
        field: IssueField::Profile,
        message: prefer.fallback_note.clone(),
        suggestion: v.reason.clone().unwrap_or_default(),
    })
}

/// The profile (with the variant as decided) has every model file it needs on the server.
pub(super) fn available(
    t: &Template,
    name: &str,
    profile: &Profile,
    variant_applied: bool,
    server: &ServerFacts,
) -> Result<(), WorkflowError> {
    let missing: BTreeSet<String> = files_for(t, profile, variant_applied)
        .into_iter()
        .filter(|(folder, file)| !server.models.contains(folder, file))
        .map(|(_, file)| file)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(WorkflowError::ProfileUnavailable {
        profile: name.to_owned(),
        label: profile.label.clone(),
        missing: missing.into_iter().collect(),
    })
}
