//! Prompt validation, reproducing ComfyUI 0.3.64 `execution.validate_prompt` / `validate_inputs`
//! closely enough that every captured error body (prompt_error_*.json) comes out identical,
//! including its quirks:
//! * an unknown or missing `class_type` anywhere short-circuits everything else;
//! * an exception while validating an upstream node is reported on that upstream node but with
//!   the *consumer's* input name, input config and link (`linked_node`);
//! * v3 `COMBO` values are not checked, legacy list combos are;
//! * nodes with their own validator (LoadImage, LoadAudio, LoadVideo…) skip the combo check for the
//!   validated input and report `custom_validation_failed` instead;
//! * every failing output appends itself to `dependent_outputs` of *every* node with errors seen
//!   so far (ComfyUI walks its whole `validated` map per failing output);
//! * a cycle fails the outputs that reach it with no node errors at all.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::pyrepr;

mod coerce;
mod inputs;

use coerce::*;

/// What POST /prompt answers after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Queue it: outputs to execute, and node errors of the outputs that were dropped.
    Accepted {
        outputs: Vec<String>,
        node_errors: Value,
    },
    /// HTTP 400 with `{"error": error, "node_errors": node_errors}`.
    Rejected { error: Value, node_errors: Value },
    /// ComfyUI would crash in the handler (HTTP 500).
    Crash,
}

/// Python tracebacks to quote, taken from the captures.
#[derive(Debug, Clone, Default)]
pub struct Tracebacks {
    pub key_error: Value,
    pub index_error: Value,
}

/// Nodes whose own validator replaces the option-list check of one input.
fn custom_file_validator(class_type: &str) -> Option<(&'static str, &'static str)> {
    match class_type {
        "LoadImage" | "LoadImageMask" => Some(("image", "Invalid image file")),
        "LoadAudio" => Some(("audio", "Invalid audio file")),
        "LoadVideo" => Some(("file", "Invalid video file")),
        _ => None,
    }
}

/// The input-file question asked by the custom validators (`folder_paths.exists_annotated_filepath`).
pub trait InputFiles {
    fn exists(&self, annotated_name: &str) -> bool;
}

impl<F: Fn(&str) -> bool> InputFiles for F {
    fn exists(&self, annotated_name: &str) -> bool {
        self(annotated_name)
    }
}

#[derive(Debug, Clone)]
struct PyExc {
    type_name: &'static str,
    message: String,
    traceback: Value,
}

#[derive(Debug, Clone)]
struct Outcome {
    valid: bool,
    reasons: Vec<Value>,
}

struct Validator<'a> {
    prompt: &'a mut Map<String, Value>,
    info: &'a Map<String, Value>,
    files: &'a dyn InputFiles,
    tracebacks: &'a Tracebacks,
    validated: IndexMap<String, Outcome>,
    in_progress: HashSet<String>,
}

/// Validate `prompt` (mutated like ComfyUI does: literal INT/FLOAT/STRING/BOOLEAN inputs are
/// converted in place). `node_order` is the order the nodes appeared in the request body.
pub fn validate_prompt(
    prompt: &mut Map<String, Value>,
    node_order: &[String],
    partial_targets: Option<&[String]>,
    info: &Map<String, Value>,
    files: &dyn InputFiles,
    tracebacks: &Tracebacks,
) -> Verdict {
    let mut outputs = Vec::new();
    for id in node_order {
        let Some(node) = prompt.get(id) else { continue };
        let Some(node) = node.as_object() else {
            return Verdict::Crash;
        };
        let Some(class_type) = node.get("class_type") else {
            return reject(
                "invalid_prompt",
                "Cannot execute because a node is missing the class_type property.".into(),
                format!("Node ID '#{id}'"),
            );
        };
        if matches!(class_type, Value::Array(_) | Value::Object(_)) {
            return Verdict::Crash; // unhashable dict key in Python
        }
        let class_name = pyrepr::str_of(class_type);
        let Some(schema) = class_type.as_str().and_then(|c| info.get(c)) else {
            return reject(
                "invalid_prompt",
                format!("Cannot execute because node {class_name} does not exist."),
                format!("Node ID '#{id}'"),
            );
        };
        let is_output = schema.get("output_node").and_then(Value::as_bool) == Some(true);
        if is_output && partial_targets.is_none_or(|t| t.iter().any(|x| x == id)) {
            outputs.push(id.clone());
        }
    }
    if outputs.is_empty() {
        return reject(
            "prompt_no_outputs",
            "Prompt has no outputs".into(),
            String::new(),
        );
    }

    let mut v = Validator {
        prompt,
        info,
        files,
        tracebacks,
        validated: IndexMap::new(),
        in_progress: HashSet::new(),
    };
    let mut good = Vec::new();
    let mut failed: Vec<(String, Vec<Value>)> = Vec::new();
    let mut node_errors: IndexMap<String, Value> = IndexMap::new();
    for o in &outputs {
        let outcome = match v.validate_node(o) {
            Ok(r) => r,
            Err(ex) => {
                let reasons = vec![json!({
                    "type": "exception_during_validation",
                    "message": "Exception when validating node",
                    "details": ex.message,
                    "extra_info": {
                        "exception_type": ex.type_name,
                        "traceback": ex.traceback,
                    },
                })];
                let r = Outcome {
                    valid: false,
                    reasons,
                };
                v.validated.insert(o.clone(), r.clone());
                r
            }
        };
        if outcome.valid {
            good.push(o.clone());
            continue;
        }
        failed.push((o.clone(), outcome.reasons));
        for (node_id, r) in &v.validated {
            if r.valid || r.reasons.is_empty() {
                continue;
            }
            let entry = node_errors.entry(node_id.clone()).or_insert_with(|| {
                let class_type = v
                    .prompt
                    .get(node_id)
                    .and_then(|n| n.get("class_type"))
                    .cloned()
                    .unwrap_or(Value::Null);
                json!({"errors": r.reasons, "dependent_outputs": [], "class_type": class_type})
            });
            if let Some(deps) = entry
                .get_mut("dependent_outputs")
                .and_then(Value::as_array_mut)
            {
                deps.push(Value::String(o.clone()));
            }
        }
    }
    let node_errors = Value::Object(node_errors.into_iter().collect());
    if good.is_empty() {
        let details: Vec<String> = failed
            .iter()
            .flat_map(|(_, reasons)| reasons.iter())
            .map(|r| {
                format!(
                    "{}: {}",
                    r.get("message").and_then(Value::as_str).unwrap_or(""),
                    r.get("details").and_then(Value::as_str).unwrap_or("")
                )
            })
            .collect();
        return Verdict::Rejected {
            error: json!({
                "type": "prompt_outputs_failed_validation",
                "message": "Prompt outputs failed validation",
                "details": details.join("\n"),
                "extra_info": {},
            }),
            node_errors,
        };
    }
    Verdict::Accepted {
        outputs: good,
        node_errors,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn python_int_conversion_matches_cpython_messages() {
        assert_eq!(py_int(&json!("12")).unwrap(), json!(12));
        assert_eq!(py_int(&json!(" 7 ")).unwrap(), json!(7));
        assert_eq!(py_int(&json!(3.9)).unwrap(), json!(3));
        assert_eq!(
            py_int(&json!("abc")).unwrap_err(),
            "invalid literal for int() with base 10: 'abc'"
        );
        assert_eq!(
            py_int(&Value::Null).unwrap_err(),
            "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"
        );
        assert_eq!(
            py_float(&json!("x")).unwrap_err(),
            "could not convert string to float: 'x'"
        );
    }

    #[test]
    fn type_unions_and_wildcards_match() {
        assert!(types_match(&json!("IMAGE"), &json!("IMAGE")));
        assert!(types_match(&json!("*"), &json!("IMAGE")));
        assert!(types_match(&json!("IMAGE,MASK"), &json!("MASK")));
        assert!(!types_match(&json!("AUDIO"), &json!("IMAGE")));
    }
}
