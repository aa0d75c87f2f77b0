//! Planning a request without running it: what Generate would produce (size, frames, segments,
//! seconds) and every issue that stops it, in user language, next to the control at fault. The
//! composer calls this as the user edits (debounced); submit runs the same checks.

use animatrix_common::{Explain, UserError};
use animatrix_workflow::Template;
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::assets::{self, AssetRecord};
use crate::jobs::{InputDecl, InputSource, JobRequest, PreparedInput, Role};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub template: String,
    pub version: String,
    pub profile: String,
    pub aspect: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frame_count: u32,
    pub segments: u32,
    pub seconds: f64,
    /// Nothing stops Generate.
    pub ready: bool,
    pub issues: Vec<PlanIssue>,
    /// Worth knowing, does not stop Generate.
    pub warnings: Vec<String>,
}

/// Something that stops Generate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanIssue {
    /// The control at fault: an input role, `prompt`, `profile`, `aspect`, `points`, a parameter
    /// name, or `template`.
    pub field: String,
    pub error: UserError,
}

impl Studio {
    pub async fn plan(&self, request: JobRequest) -> Result<Plan, CoreError> {
        let studio = self.clone();
        crate::store::off_thread(move || Ok(studio.plan_blocking(&request))).await
    }

    fn plan_blocking(&self, req: &JobRequest) -> Plan {
        let mut plan = Plan::default();
        let template = match crate::jobs::template_for(self.engine().catalog(), req) {
            Ok(t) => t,
            Err(e) => {
                plan.issues.push(issue("template", e));
                return plan;
            }
        };
        plan.template = template.manifest().name.clone();
        plan.version = template.manifest().version.to_string();
        if req.settings.prompt.trim().is_empty() {
            plan.issues.push(PlanIssue {
                field: "prompt".into(),
                error: UserError::new(
                    "prompt_missing",
                    "Describe the shot in the prompt.",
                    "Say what the character does, for example \"waves and smiles at the camera\".",
                ),
            });
        }
        let decls = crate::jobs::input_declarations(template);
        let facts = self.input_facts(req, &decls, &mut plan);
        let mut settings = req.settings.clone();
        settings.media = crate::jobs::driving_media_facts(template, &facts);
        if settings.seed < 0 {
            settings.seed = 0;
        }
        let all_inputs_present = decls
            .iter()
            .filter(|d| d.required)
            .all(|d| facts.iter().any(|f| f.role == d.role));
        if all_inputs_present {
            self.dry_bind(template, &settings, &decls, req, &mut plan);
        }
        plan.ready = plan.issues.is_empty();
        plan
    }

    /// The stored facts of each input (assets already imported by the composer; files are
    /// probed, not imported), with an issue for each missing, extra or unreadable one.
    fn input_facts(
        &self,
        req: &JobRequest,
        decls: &[InputDecl],
        plan: &mut Plan,
    ) -> Vec<PreparedInput> {
        let mut out = Vec::new();
        for input in &req.inputs {
            if !decls.iter().any(|d| d.role == input.role) {
                plan.issues.push(issue(
                    input.role.as_str(),
                    CoreError::InputNotAccepted {
                        role: input.role.to_string(),
                        accepted: decls.iter().map(|d| d.label.clone()).collect(),
                    },
                ));
            }
        }
        for d in decls {
            let given: Vec<_> = req.inputs_of(d.role.as_str()).collect();
            if given.is_empty() && d.required {
                plan.issues.push(issue(
                    d.role.as_str(),
                    CoreError::InputMissing {
                        role: d.role.to_string(),
                        label: d.label.clone(),
                    },
                ));
            }
            if given.len() > d.max as usize {
                plan.issues.push(issue(
                    d.role.as_str(),
                    CoreError::TooManyInputs {
                        label: d.label.clone(),
                        max: d.max,
                    },
                ));
            }
            for (position, input) in given.into_iter().enumerate() {
                match self.asset_facts(&input.source, &d.role) {
                    Ok(asset) => out.push(PreparedInput {
                        role: d.role.clone(),
                        position: position as i64,
                        asset,
                    }),
                    Err(e) => plan.issues.push(issue(d.role.as_str(), e)),
                }
            }
        }
        out
    }

    fn asset_facts(&self, source: &InputSource, role: &Role) -> Result<AssetRecord, CoreError> {
        match source {
            InputSource::Asset(id) => self.db().read_blocking(|c| assets::get(c, id)),
            InputSource::File(path) => {
                let facts = animatrix_media::probe(path, &animatrix_media::Limits::default())?;
                Ok(assets::from_probe(path, role.as_str(), &facts))
            }
        }
    }

    fn dry_bind(
        &self,
        template: &Template,
        settings: &animatrix_workflow::JobSettings,
        decls: &[InputDecl],
        req: &JobRequest,
        plan: &mut Plan,
    ) {
        match crate::jobs::dry_bind(template, settings, decls, req) {
            Ok(bound) => {
                plan.profile = bound.profile;
                plan.aspect = bound.aspect;
                plan.width = bound.width;
                plan.height = bound.height;
                plan.fps = bound.fps;
                plan.frame_count = bound.frame_count;
                plan.segments = bound.chunk_count;
                plan.seconds = bound.duration_secs;
                plan.warnings = bound.warnings.into_iter().map(|w| w.message).collect();
            }
            Err(e) => plan.issues.push(issue(field_of(&e), e)),
        }
    }
}

fn issue(field: &str, e: CoreError) -> PlanIssue {
    PlanIssue {
        field: field.to_string(),
        error: e.explain(),
    }
}

/// The composer control a binding error belongs to, from its stable code.
fn field_of(e: &CoreError) -> &'static str {
    let code = e.explain().code;
    match code.as_str() {
        c if c.contains("profile") => "profile",
        c if c.contains("aspect") => "aspect",
        c if c.contains("prompt") => "prompt",
        c if c.contains("point") => "points",
        c if c.contains("param") || c.contains("option") => "params",
        c if c.contains("audio") => "audio",
        c if c.contains("video") || c.contains("frame") => "motion_video",
        c if c.contains("duration") => "target_duration",
        _ => "template",
    }
}
