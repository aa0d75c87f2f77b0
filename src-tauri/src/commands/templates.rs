//! The template catalog as the composer needs it (capability text, profiles, parameters), and
//! whether a server can run each template (preflight).

use std::collections::BTreeMap;

use animatrix_common::UserError;
use animatrix_workflow::manifest::{Parameter, ParameterKind};
use animatrix_workflow::{Catalog, Manifest, PreflightReport, TemplateSummary};
use serde::Serialize;
use serde_json::{Value, json};
use tauri::State;

use super::explain;
use crate::state::AppState;

/// One catalog row with what the composer shows. Node ids and model files stay out: standard
/// users never see them (operators get them from `preflight`).
#[derive(Debug, Clone, Serialize)]
pub struct TemplateInfo {
    /// Name, version, display name, mode, model family, compatible, latest.
    #[serde(flatten)]
    pub summary: TemplateSummary,
    pub description: String,
    pub capabilities: Value,
    pub profiles: BTreeMap<String, ProfileInfo>,
    pub framings: BTreeMap<String, Value>,
    pub parameters: Vec<Value>,
    pub defaults: Value,
    pub limits: Value,
    pub timeline: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileInfo {
    pub label: String,
    pub description: String,
    pub max_duration_secs: f64,
    pub max_chunks: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreflightResult {
    pub endpoint: String,
    pub reports: Vec<PreflightReport>,
    /// Set when the server could not be asked (the reports are then empty).
    pub error: Option<UserError>,
}

pub fn catalog_info(catalog: &Catalog) -> Vec<TemplateInfo> {
    catalog
        .list()
        .into_iter()
        .filter_map(|s| {
            let t = catalog.get(&s.name, &s.version).ok()?;
            Some(info(t.manifest(), s))
        })
        .collect()
}

fn info(m: &Manifest, summary: TemplateSummary) -> TemplateInfo {
    TemplateInfo {
        summary,
        description: m.description.clone(),
        capabilities: json!({ "can": m.capabilities.can, "cannot": m.capabilities.cannot }),
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
        framings: m
            .framings
            .iter()
            .map(|(k, f)| (k.clone(), json!({ "label": f.label })))
            .collect(),
        parameters: m.parameters.iter().map(parameter).collect(),
        defaults: json!({
            "profile": m.defaults.profile,
            "aspect": m.defaults.aspect,
            "framing": m.defaults.framing,
        }),
        limits: json!({
            "max_prompt_chars": m.limits.max_prompt_chars,
            "max_points": m.limits.max_points,
        }),
        timeline: json!({
            "fps": m.timeline.fps,
            "first_chunk_frames": m.timeline.first_chunk_frames,
            "extension_frames": m.timeline.extension_frames,
        }),
    }
}

/// A parameter without its graph targets: what the control needs, nothing about nodes.
fn parameter(p: &Parameter) -> Value {
    let base = |kind: &str| json!({ "name": p.name, "label": p.label, "description": p.description, "type": kind });
    match &p.kind {
        ParameterKind::Int {
            min, max, default, ..
        } => {
            let mut v = base("int");
            v["min"] = json!(min);
            v["max"] = json!(max);
            v["default"] = json!(default);
            v
        }
        ParameterKind::Float {
            min, max, default, ..
        } => {
            let mut v = base("float");
            v["min"] = json!(min);
            v["max"] = json!(max);
            v["default"] = json!(default);
            v
        }
        ParameterKind::Bool { default, .. } => {
            let mut v = base("bool");
            v["default"] = json!(default);
            v
        }
        ParameterKind::Choice { default, options } => {
            let mut v = base("choice");
            v["default"] = json!(default);
            v["options"] = options
                .iter()
                .map(|o| json!({ "value": o.value, "label": o.label }))
                .collect();
            v
        }
    }
}

#[tauri::command]
pub async fn list_templates(state: State<'_, AppState>) -> Result<Vec<TemplateInfo>, UserError> {
    let core = state.core()?;
    Ok(catalog_info(core.engine.catalog()))
}

/// Preflight of every latest template against one server (the default when `None`). An
/// unreachable server is a result with `error`, not a failed call: the composer still works.
#[tauri::command]
pub async fn preflight(
    state: State<'_, AppState>,
    endpoint: Option<String>,
) -> Result<PreflightResult, UserError> {
    let core = state.core()?;
    let name = core
        .studio
        .endpoint_or_default(endpoint.as_deref())
        .map_err(|e| explain("preflight", e))?
        .name;
    let run = async {
        let conn = core.engine.connection(Some(&name)).await?;
        let info = conn.object_info().await?;
        let mut reports = Vec::new();
        for s in core.engine.catalog().list().iter().filter(|s| s.latest) {
            let t = core.engine.catalog().get(&s.name, &s.version)?;
            let models = conn.models_for(t).await?;
            reports.push(animatrix_workflow::preflight(t, &info, &models));
        }
        Ok::<_, animatrix_core::CoreError>(reports)
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
            error: Some(explain("preflight", e)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_speaks_user_language_and_carries_no_node_targets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let studio = animatrix_core::Studio::open(dir.path().to_path_buf()).expect("open");
        let engine = animatrix_core::jobs::Engine::new(studio).expect("engine");
        let infos = catalog_info(engine.catalog());
        let names: Vec<&str> = infos.iter().map(|t| t.summary.name.as_str()).collect();
        for n in ["animate_move", "animate_mix", "s2v"] {
            assert!(names.contains(&n), "{names:?}");
        }
        let mix = infos
            .iter()
            .find(|t| t.summary.name == "animate_mix")
            .expect("mix");
        assert!(!mix.parameters.is_empty());
        let text = serde_json::to_string(&infos).expect("serialize");
        assert!(!text.contains("\"targets\""), "no node targets for the UI");
        assert!(!text.contains("\"set\""), "no graph effects for the UI");
        let audio = infos.iter().find(|t| t.summary.name == "s2v").expect("s2v");
        assert!(audio.profiles["standard"].max_duration_secs > 0.0);
        assert!(audio.framings.contains_key("half_body"));
        let shape = serde_json::to_value(audio).expect("serialize");
        assert_eq!(
            shape["name"], "s2v",
            "summary fields sit at the top level: {shape}"
        );
        assert_eq!(shape["mode"], "audio");
        assert!(shape["latest"].is_boolean() && shape["compatible"].is_boolean());
        assert!(
            audio
                .capabilities
                .to_string()
                .contains("Does not replace a person")
        );
    }
}
