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

fn reject(kind: &str, message: String, details: String) -> Verdict {
    Verdict::Rejected {
        error: json!({"type": kind, "message": message, "details": details, "extra_info": {}}),
        node_errors: json!({}),
    }
}

/// Input specs of a schema in declaration order: (name, spec, is_required).
fn input_specs(schema: &Value) -> Vec<(String, Value, bool)> {
    let mut out = Vec::new();
    for (category, required) in [("required", true), ("optional", false)] {
        let Some(group) = schema
            .pointer(&format!("/input/{category}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let order: Vec<String> = schema
            .pointer(&format!("/input_order/{category}"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut names: Vec<String> = order
            .into_iter()
            .filter(|n| group.contains_key(n))
            .collect();
        for k in group.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
        for name in names {
            if let Some(spec) = group.get(&name) {
                out.push((name, spec.clone(), required));
            }
        }
    }
    out
}

/// `(input_type, extra_info)` as ComfyUI's `get_input_info` returns it, shown as `input_config`.
fn split_spec(spec: &Value) -> (Value, Value) {
    match spec {
        Value::Array(a) => (
            a.first().cloned().unwrap_or(Value::Null),
            a.get(1)
                .cloned()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({})),
        ),
        Value::String(_) => (spec.clone(), json!({})), // hidden-style "PROMPT"
        _ => (Value::Null, json!({})),
    }
}

/// ComfyUI `validate_node_input`: equal, wildcard, or overlapping comma-separated unions.
fn types_match(received: &Value, input: &Value) -> bool {
    if pyrepr::py_eq(received, input) {
        return true;
    }
    let (Some(r), Some(i)) = (received.as_str(), input.as_str()) else {
        return false;
    };
    let rs: HashSet<&str> = r.split(',').map(str::trim).collect();
    let is: HashSet<&str> = i.split(',').map(str::trim).collect();
    if rs.contains("*") || is.contains("*") {
        return true;
    }
    !rs.is_disjoint(&is)
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Number(_) | Value::Bool(_))
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn num_str(v: &Value) -> String {
    match v {
        Value::Number(n) => pyrepr::number_str(n),
        other => pyrepr::str_of(other),
    }
}

/// Python `int(x)` on a JSON-born value.
fn py_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0).trunc();
            if f.abs() < 9.0e18 {
                Ok(json!(f as i64))
            } else {
                Ok(json!(f))
            }
        }
        Value::Bool(b) => Ok(json!(i64::from(*b))),
        Value::String(s) => {
            let t = s.trim();
            let cleaned: String = t.chars().filter(|c| *c != '_').collect();
            let underscores_ok = !t.starts_with('_')
                && !t.ends_with('_')
                && !t.contains("__")
                && !t.contains("-_")
                && !t.contains("+_");
            match cleaned.parse::<i128>() {
                Ok(i) if underscores_ok && !cleaned.is_empty() => {
                    if let Ok(x) = i64::try_from(i) {
                        Ok(json!(x))
                    } else if let Ok(x) = u64::try_from(i) {
                        Ok(json!(x))
                    } else {
                        Ok(json!(i as f64))
                    }
                }
                _ => Err(format!(
                    "invalid literal for int() with base 10: {}",
                    pyrepr::repr_str(s)
                )),
            }
        }
        other => Err(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            pyrepr::type_name(other)
        )),
    }
}

/// Python `float(x)` on a JSON-born value.
fn py_float(v: &Value) -> Result<Value, String> {
    let f = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => {
            let t: String = s.trim().chars().filter(|c| *c != '_').collect();
            t.parse::<f64>().map_err(|_| {
                format!("could not convert string to float: {}", pyrepr::repr_str(s))
            })?
        }
        other => {
            return Err(format!(
                "float() argument must be a string or a real number, not '{}'",
                pyrepr::type_name(other)
            ));
        }
    };
    Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
}

fn py_bool(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

impl Validator<'_> {
    fn validate_node(&mut self, id: &str) -> Result<Outcome, PyExc> {
        if let Some(done) = self.validated.get(id) {
            return Ok(done.clone());
        }
        if self.in_progress.contains(id) || self.in_progress.len() > 2000 {
            // A cycle: ComfyUI ends up failing the outputs with no node errors at all.
            return Ok(Outcome {
                valid: false,
                reasons: vec![],
            });
        }
        self.in_progress.insert(id.to_string());
        let r = self.validate_node_inner(id);
        self.in_progress.remove(id);
        let r = r?;
        self.validated.insert(id.to_string(), r.clone());
        Ok(r)
    }

    fn key_error(&self, key: String) -> PyExc {
        PyExc {
            type_name: "KeyError",
            message: key,
            traceback: self.tracebacks.key_error.clone(),
        }
    }

    fn validate_node_inner(&mut self, id: &str) -> Result<Outcome, PyExc> {
        let node = self
            .prompt
            .get(id)
            .cloned()
            .ok_or_else(|| self.key_error(pyrepr::repr_str(id)))?;
        let Some(mut inputs) = node.get("inputs").and_then(Value::as_object).cloned() else {
            return Err(self.key_error("'inputs'".into()));
        };
        let class_type = node
            .get("class_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let schema = self.info.get(&class_type).cloned().unwrap_or(Value::Null);
        let custom = custom_file_validator(&class_type);
        let mut errors: Vec<Value> = Vec::new();
        let mut valid = true;

        for (x, spec, required) in input_specs(&schema) {
            let (input_type, extra) = split_spec(&spec);
            let info = json!([input_type.clone(), extra.clone()]);
            let Some(val) = inputs.get(&x).cloned() else {
                if required {
                    errors.push(json!({
                        "type": "required_input_missing",
                        "message": "Required input is missing",
                        "details": x,
                        "extra_info": {"input_name": x},
                    }));
                }
                continue;
            };
            if let Value::Array(link) = &val {
                if link.len() != 2 {
                    errors.push(json!({
                        "type": "bad_linked_input",
                        "message": "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                        "details": x,
                        "extra_info": {"input_name": x, "input_config": info, "received_value": val},
                    }));
                    continue;
                }
                let o_id = match &link[0] {
                    Value::String(s) if self.prompt.contains_key(s) => s.clone(),
                    other => return Err(self.key_error(pyrepr::repr(other))),
                };
                let o_class = self
                    .prompt
                    .get(&o_id)
                    .and_then(|n| n.get("class_type"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let returns = self
                    .info
                    .get(&o_class)
                    .and_then(|s| s.get("output"))
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let index = match &link[1] {
                    Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or(0),
                    Value::Number(n) if n.is_u64() => i64::MAX,
                    Value::Bool(b) => i64::from(*b),
                    other => {
                        return Err(PyExc {
                            type_name: "TypeError",
                            message: format!(
                                "tuple indices must be integers or slices, not {}",
                                pyrepr::type_name(other)
                            ),
                            traceback: self.tracebacks.index_error.clone(),
                        });
                    }
                };
                let len = returns.len() as i64;
                let resolved = if index < 0 { index + len } else { index };
                let Some(received) = usize::try_from(resolved)
                    .ok()
                    .and_then(|i| returns.get(i))
                    .cloned()
                else {
                    return Err(PyExc {
                        type_name: "IndexError",
                        message: "tuple index out of range".into(),
                        traceback: self.tracebacks.index_error.clone(),
                    });
                };
                if !types_match(&received, &input_type) {
                    let rt = pyrepr::str_of(&received);
                    let it = pyrepr::str_of(&input_type);
                    errors.push(json!({
                        "type": "return_type_mismatch",
                        "message": "Return type mismatch between linked nodes",
                        "details": format!("{x}, received_type({rt}) mismatch input_type({it})"),
                        "extra_info": {
                            "input_name": x,
                            "input_config": info,
                            "received_type": received,
                            "linked_node": val,
                        },
                    }));
                    continue;
                }
                match self.validate_node(&o_id) {
                    Ok(r) if !r.valid => valid = false,
                    Ok(_) => {}
                    Err(ex) => {
                        valid = false;
                        let reasons = vec![json!({
                            "type": "exception_during_inner_validation",
                            "message": "Exception when validating inner node",
                            "details": ex.message,
                            "extra_info": {
                                "input_name": x,
                                "input_config": info,
                                "exception_message": ex.message,
                                "exception_type": ex.type_name,
                                "traceback": ex.traceback,
                                "linked_node": val,
                            },
                        })];
                        self.validated.insert(
                            o_id,
                            Outcome {
                                valid: false,
                                reasons,
                            },
                        );
                    }
                }
                continue;
            }

            let mut val = val;
            if let Some(inner) = val.as_object().and_then(|m| m.get("__value__")) {
                val = inner.clone();
                inputs.insert(x.clone(), val.clone());
            }
            let converted = match input_type.as_str() {
                Some("INT") => py_int(&val).map(Some),
                Some("FLOAT") => py_float(&val).map(Some),
                Some("STRING") => Ok(Some(Value::String(pyrepr::str_of(&val)))),
                Some("BOOLEAN") => Ok(Some(Value::Bool(py_bool(&val)))),
                _ => Ok(None),
            };
            match converted {
                Err(msg) => {
                    let it = pyrepr::str_of(&input_type);
                    let shown = pyrepr::str_of(&val);
                    errors.push(json!({
                        "type": "invalid_input_type",
                        "message": format!("Failed to convert an input value to a {it} value"),
                        "details": format!("{x}, {shown}, {msg}"),
                        "extra_info": {
                            "input_name": x,
                            "input_config": info,
                            "received_value": val,
                            "exception_message": msg,
                        },
                    }));
                    continue;
                }
                Ok(Some(c)) => {
                    val = c;
                    inputs.insert(x.clone(), val.clone());
                }
                Ok(None) => {}
            }

            if custom.is_some_and(|(name, _)| name == x) {
                continue;
            }
            if let Some(min) = extra.get("min").filter(|m| is_number(m))
                && is_number(&val)
                && num(&val) < num(min)
            {
                errors.push(json!({
                    "type": "value_smaller_than_min",
                    "message": format!("Value {} smaller than min of {}", num_str(&val), num_str(min)),
                    "details": x,
                    "extra_info": {"input_name": x, "input_config": info, "received_value": val},
                }));
                continue;
            }
            if let Some(max) = extra.get("max").filter(|m| is_number(m))
                && is_number(&val)
                && num(&val) > num(max)
            {
                errors.push(json!({
                    "type": "value_bigger_than_max",
                    "message": format!("Value {} bigger than max of {}", num_str(&val), num_str(max)),
                    "details": x,
                    "extra_info": {"input_name": x, "input_config": info, "received_value": val},
                }));
                continue;
            }
            if let Value::Array(options) = &input_type
                && !options.iter().any(|o| pyrepr::py_eq(o, &val))
            {
                let (list_info, input_config) = if options.len() > 20 {
                    (format!("(list of length {})", options.len()), Value::Null)
                } else {
                    (pyrepr::repr(&input_type), info.clone())
                };
                errors.push(json!({
                    "type": "value_not_in_list",
                    "message": "Value not in list",
                    "details": format!("{x}: '{}' not in {list_info}", pyrepr::str_of(&val)),
                    "extra_info": {"input_name": x, "input_config": input_config, "received_value": val},
                }));
                continue;
            }
        }

        if let Some((name, what)) = custom
            && let Some(Value::String(file)) = inputs.get(name)
            && !self.files.exists(file)
        {
            errors.push(json!({
                "type": "custom_validation_failed",
                "message": "Custom validation failed for node",
                "details": format!("{name} - {what}: {file}"),
                "extra_info": {"input_name": name},
            }));
        }

        if let Some(node) = self.prompt.get_mut(id).and_then(Value::as_object_mut) {
            node.insert("inputs".into(), Value::Object(inputs));
        }
        Ok(Outcome {
            valid: valid && errors.is_empty(),
            reasons: errors,
        })
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
