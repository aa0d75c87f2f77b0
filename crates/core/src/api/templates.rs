//! The template catalog as the window and the CLI show it (user language, no node targets), and
//! whether servers can run each template (preflight).

use std::collections::BTreeMap;

use animatrix_common::{Explain, UserError};
use animatrix_workflow::manifest::{Parameter, ParameterKind};
use animatrix_workflow::{Manifest, PreflightReport, Template, TemplateSummary};
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::jobs::conn::ServerConn;

/// One catalog row with what the composer shows. Node ids and model files stay out: standard
/// users never see them (operators get them from preflight).
#[derive(Debug, Clone, Serialize)]
pub struct TemplateInfo {
    /// Name, version, display name, mode, model family, compatible, latest.
    #[serde(flatten)]
    pub summary: TemplateSummary,
    pub description: String,
    pub can: Vec<String>,
    pub cannot: Vec<String>,
    pub inputs: Vec<InputInfo>,
    pub profiles: BTreeMap<String, ProfileInfo>,
    pub aspects: Vec<String>,
    pub framings: BTreeMap<String, String>,
    pub parameters: Vec<ParameterInfo>,
    pub default_profile: String,
    pub default_aspect: String,
    pub default_framing: Option<String>,
    pub max_prompt_chars: u32,
    pub max_points: u32,
}

/// An input the template takes, for the composer's chips.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    pub role: String,
    pub label: String,
    /// image | audio | video
    pub kind: String,
    pub required: bool,
    pub max: u32,
    /// Kept with the run as soft guidance only (not sent to the server).
    pub guidance: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileInfo {
    pub label: String,
    pub description: String,
    pub max_duration_secs: f64,
    pub max_chunks: u32,
}

/// A parameter without its graph targets: what the control needs, nothing about nodes.
#[derive(Debug, Clone, Serialize)]
pub struct ParameterInfo {
    pub name: String,
    pub label: String,
    pub description: String,
    /// int | float | bool | choice
    #[serde(rename = "type")]
    pub kind: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub default: serde_json::Value,
    /// (value, label) for choices.
    pub options: Vec<(String, String)>,
}

/// Preflight of every latest template against one server.
#[derive(Debug, Clone, Serialize)]
pub struct PreflightResult {
    pub endpoint: String,
    pub reports: Vec<PreflightReport>,
    /// Set when the server could not be asked (the reports are then empty).
    pub error: Option<UserError>,
}

impl Studio {
    /// Every installed template version, newest first per name.
    pub fn templates(&self) -> Vec<TemplateInfo> {
        let catalog = self.engine().catalog();
        catalog
            .list()
            .into_iter()
            .filter_map(|s| {
                let t = catalog.get(&s.name, &s.version).ok()?;
                Some(info(t, s))
            })
            .collect()
    }

    /// The latest template of `mode` (and `sub_mode`), for the CLI's friendly forms.
    pub fn template_for_mode(&self, mode: &str, sub_mode: Option<&str>) -> Result<String, CoreError> {
        self.templates()
            .into_iter()
            .find(|t| {
                t.summary.latest
                    && json_str(&t.summary.mode) == mode
                    && sub_mode.is_none_or(|s| t.summary.sub_mode.as_ref().map(json_str).as_deref() == Some(s))
            })
            .map(|t| t.summary.name)
            .ok_or_else(|| CoreError::InvalidSetting {
                key: "mode".into(),
                reason: format!("no template is installed for {mode}"),
            })
    }

    /// Preflight of every latest template on one server (the default when `None`). An
    /// unreachable server is a result with `error`, not a failure: the composer still works.
    pub async fn preflight(&self, endpoint: Option<&str>) -> Result<PreflightResult, CoreError> {
        let name = self.endpoint(endpoint).await?.name;
        let run = async {
            let conn = self.engine().connection(Some(&name)).await?;
            let mut reports = Vec::new();
            for t in self.latest_templates() {
                reports.push(preflight_one(&conn, t).await?);
            }
            Ok::<_, CoreError>(reports)
        };
        Ok(match run.await {
            Ok(reports) => PreflightResult {
                endpoint: name,
                reports,
                error: None,
            },
            Err(e) => PreflightResult {
                endpoint: name,
                reports: Vec::new(),
                error: Some(e.explain()),
            },
        })
    }

    /// Preflight of every server: what the composer and the operator view show.
    pub async fn preflight_all(&self) -> Result<Vec<PreflightResult>, CoreError> {
        let endpoints = self.list_endpoints().await?;
        let mut out = Vec::new();
        for e in endpoints {
            out.push(self.preflight(Some(&e.name)).await?);
        }
        Ok(out)
    }

    fn latest_templates(&self) -> Vec<&Template> {
        let catalog = self.engine().catalog();
        catalog
            .list()
            .iter()
            .filter(|s| s.latest)
            .filter_map(|s| catalog.get(&s.name, &s.version).ok())
            .collect()
    }
}

pub(crate) async fn preflight_one(
    conn: &ServerConn,
    t: &Template,
) -> Result<PreflightReport, CoreError> {
    let info = conn.object_info().await?;
    let models = conn.models_for(t).await?;
    Ok(animatrix_workflow::preflight(t, &info, &models))
}

fn json_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn info(t: &Template, summary: TemplateSummary) -> TemplateInfo {
    let m: &Manifest = t.manifest();
    TemplateInfo {
        summary,
        description: m.description.clone(),
        can: m.capabilities.can.clone(),
        cannot: m.capabilities.cannot.clone(),
        inputs: crate::jobs::input_declarations(t)
            .into_iter()
            .map(|d| InputInfo {
                role: d.role.to_string(),
                label: d.label,
                kind: json_str(&d.kind),
                required: d.required,
                max: d.max,
                guidance: d.guidance,
            })
            .collect(),
        profiles: m
            .profiles
            .iter()
            .map(|(k, p)| {
                (
                    k.clone(),
                    ProfileInfo {
                        label: p.label.clone(),
                        description: p.description.clone(),
                        max_duration_secs: p.max_duration_secs,
                        max_chunks: p.max_chunks,
                    },
                )
            })
            .collect(),
        aspects: t.aspect_names(),
        framings: m
            .framings
            .iter()
            .map(|(k, f)| (k.clone(), f.label.clone()))
            .collect(),
        parameters: m.parameters.iter().map(parameter).collect(),
        default_profile: m.defaults.profile.clone(),
        default_aspect: m.defaults.aspect.clone(),
        default_framing: m.defaults.framing.clone(),
        max_prompt_chars: m.limits.max_prompt_chars,
        max_points: m.limits.max_points,
    }
}

fn parameter(p: &Parameter) -> ParameterInfo {
    let mut out = ParameterInfo {
        name: p.name.clone(),
        label: p.label.clone(),
        description: p.description.clone(),
        kind: String::new(),
        min: None,
        max: None,
        default: serde_json::Value::Null,
        options: Vec::new(),
    };
    match &p.kind {
        ParameterKind::Int {
            min, max, default, ..
        } => {
            out.kind = "int".into();
            out.min = Some(*min as f64);
            out.max = Some(*max as f64);
            out.default = (*default).into();
        }
        ParameterKind::Float {
            min, max, default, ..
        } => {
            out.kind = "float".into();
            out.min = Some(*min);
            out.max = Some(*max);
            out.default = (*default).into();
        }
        ParameterKind::Bool { default, .. } => {
            out.kind = "bool".into();
            out.default = (*default).into();
        }
        ParameterKind::Choice { default, options } => {
            out.kind = "choice".into();
            out.default = default.clone().into();
            out.options = options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone()))
                .collect();
        }
    }
    out
}
