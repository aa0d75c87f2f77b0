//! Reading what release 0.1 wrote: its job request shape (in databases migrated to schema v2,
//! and in `.animatrix-demo` packs of format version 1). One conversion, used by both, so an old
//! data dir and an old pack give the same model.
//!
//! 0.1 requests had fixed input fields (`inputs.image`, `.audio`, `.video`, `.references`,
//! `.pose_sheet`), `mode`/`animate_mode` instead of a template name, and `endpoint`.

use serde_json::{Map, Value, json};

use super::model::JobRequest;
use crate::CoreError;

/// The role each 0.1 input field filled (the names 0.1 also stored in `job_inputs.role`).
const V1_INPUT_ROLES: [(&str, &str); 5] = [
    ("image", "ground_truth"),
    ("audio", "audio"),
    ("video", "motion_video"),
    ("references", "reference"),
    ("pose_sheet", "pose_sheet"),
];

/// Settings fields that kept their name and meaning.
const V1_SETTINGS_FIELDS: [&str; 8] = [
    "prompt",
    "negative_prompt",
    "profile",
    "aspect",
    "seed",
    "framing",
    "points",
    "target_duration_secs",
];

/// True when `value` is a request in the current shape.
pub fn is_current(value: &Value) -> bool {
    value.get("settings").is_some_and(Value::is_object)
}

/// Converts a stored request of either shape into the model. `template` and `version` are the
/// job's recorded template (0.1 requests did not name it).
pub fn upgrade_request(
    value: Value,
    template: &str,
    version: &str,
) -> Result<JobRequest, CoreError> {
    let current = if is_current(&value) {
        value
    } else {
        from_v1(&value, template, version)
    };
    serde_json::from_value(current)
        .map_err(|e| CoreError::Corrupt(format!("stored job request: {e}")))
}

fn from_v1(old: &Value, template: &str, version: &str) -> Value {
    let mut settings = Map::new();
    settings.insert("template".into(), json!(template));
    for field in V1_SETTINGS_FIELDS {
        if let Some(v) = old.get(field).filter(|v| !v.is_null()) {
            settings.insert(field.into(), v.clone());
        }
    }
    if let Some(params) = old.get("params").filter(|v| v.is_object()) {
        settings.insert("params".into(), params.clone());
    }
    if !settings.contains_key("prompt") {
        settings.insert("prompt".into(), json!(""));
    }
    let mut inputs = Vec::new();
    let old_inputs = old.get("inputs").cloned().unwrap_or(Value::Null);
    for (field, role) in V1_INPUT_ROLES {
        match old_inputs.get(field) {
            Some(Value::Array(items)) => {
                inputs.extend(items.iter().map(|s| json!({ "role": role, "source": s })));
            }
            Some(source) if !source.is_null() => {
                inputs.push(json!({ "role": role, "source": source }));
            }
            _ => {}
        }
    }
    json!({
        "settings": settings,
        "template_version": version,
        "inputs": inputs,
        "target": old.get("endpoint").cloned().unwrap_or(Value::Null),
        "fit": old.get("fit").cloned().unwrap_or(json!("crop")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::InputSource;

    #[test]
    fn a_v1_request_becomes_the_model() {
        let old = json!({
            "mode": "animate", "animate_mode": "mix", "prompt": "dances", "negative_prompt": null,
            "profile": "draft", "aspect": "9:16", "framing": null, "seed": 42,
            "inputs": {"image": {"asset": "a-img"}, "audio": null, "video": {"asset": "a-vid"},
                       "references": [{"asset": "r1"}, {"asset": "r2"}], "pose_sheet": null},
            "points": [{"x": 0.5, "y": 0.25}], "target_duration_secs": 3.0, "params": {"relight": false},
            "endpoint": "lab", "fit": "pad"
        });
        let req = upgrade_request(old, "mix_template", "1.0.0").expect("upgrade");
        assert_eq!(req.settings.template, "mix_template");
        assert_eq!(req.template_version.as_deref(), Some("1.0.0"));
        assert_eq!(req.settings.seed, 42);
        assert_eq!(req.settings.points.len(), 1);
        assert_eq!(req.settings.params["relight"], json!(false));
        assert_eq!(req.target.as_deref(), Some("lab"));
        let roles: Vec<_> = req.inputs.iter().map(|i| i.role.as_str()).collect();
        assert_eq!(
            roles,
            ["ground_truth", "motion_video", "reference", "reference"]
        );
        assert_eq!(req.inputs[0].source, InputSource::Asset("a-img".into()));
        // Idempotent: a current request passes through unchanged.
        let again =
            upgrade_request(serde_json::to_value(&req).expect("json"), "x", "9").expect("same");
        assert_eq!(again, req);
    }
}
