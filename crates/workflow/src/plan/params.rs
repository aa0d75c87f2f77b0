//! Template parameters: the user's values (or the defaults) checked against the manifest and
//! turned into the edits they make to the graph.

use serde_json::{Value, json};

use super::{Errors, IssueField};
use crate::WorkflowError;
use crate::manifest::{Effect, Manifest, ParameterKind, SetValue};
use crate::settings::JobSettings;

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
    .to_owned()
}

/// What the parameters (given or default) do to the graph; `None` when one is refused.
pub(super) fn params(m: &Manifest, s: &JobSettings, errors: &mut Errors) -> Option<Effect> {
    let mut ok = true;
    for name in s.params.keys() {
        if !m.parameters.iter().any(|p| &p.name == name) {
            ok = false;
            errors.push(
                IssueField::param(name),
                WorkflowError::UnknownParameter {
                    template: m.name.clone(),
                    name: name.clone(),
                },
            );
        }
    }
    let mut effect = Effect::default();
    for p in &m.parameters {
        match param(p, s.params.get(&p.name)) {
            Ok(e) => {
                effect.set.extend(e.set);
                effect.bypass.extend(e.bypass);
            }
            Err(e) => {
                ok = false;
                errors.push(IssueField::param(&p.name), e);
            }
        }
    }
    ok.then_some(effect)
}

fn out_of_range(name: &str, value: String, min: String, max: String) -> WorkflowError {
    WorkflowError::ParameterOutOfRange {
        name: name.to_owned(),
        value,
        min,
        max,
    }
}

fn param(p: &crate::manifest::Parameter, given: Option<&Value>) -> Result<Effect, WorkflowError> {
    let wrong = |expected: &str, v: &Value| WorkflowError::ParameterWrongType {
        name: p.name.clone(),
        expected: expected.to_owned(),
        got: type_name(v),
    };
    let set_all = |targets: &[crate::manifest::Target], v: Value| Effect {
        set: targets
            .iter()
            .map(|t| SetValue {
                node: t.node.clone(),
                input: t.input.clone(),
                value: v.clone(),
                extension: t.extension,
            })
            .collect(),
        bypass: Vec::new(),
    };
    match &p.kind {
        ParameterKind::Int {
            min,
            max,
            default,
            targets,
        } => {
            let v = match given {
                None => *default,
                Some(v) => v.as_i64().ok_or_else(|| wrong("a whole number", v))?,
            };
            if v < *min || v > *max {
                return Err(out_of_range(
                    &p.name,
                    v.to_string(),
                    min.to_string(),
                    max.to_string(),
                ));
            }
            Ok(set_all(targets, json!(v)))
        }
        ParameterKind::Float {
            min,
            max,
            default,
            targets,
        } => {
            let v = match given {
                None => *default,
                Some(v) => v.as_f64().ok_or_else(|| wrong("a number", v))?,
            };
            if !v.is_finite() || v < *min || v > *max {
                return Err(out_of_range(
                    &p.name,
                    v.to_string(),
                    min.to_string(),
                    max.to_string(),
                ));
            }
            Ok(set_all(targets, json!(v)))
        }
        ParameterKind::Bool { default, on, off } => {
            let v = match given {
                None => *default,
                Some(v) => v.as_bool().ok_or_else(|| wrong("true or false", v))?,
            };
            Ok(if v { on.clone() } else { off.clone() })
        }
        ParameterKind::Choice { default, options } => {
            let v = match given {
                None => default.as_str(),
                Some(v) => v.as_str().ok_or_else(|| wrong("text", v))?,
            };
            options
                .iter()
                .find(|o| o.value == v)
                .map(|o| o.effect.clone())
                .ok_or_else(|| WorkflowError::InvalidChoice {
                    name: p.name.clone(),
                    value: v.to_owned(),
                    allowed: options.iter().map(|o| o.value.clone()).collect(),
                })
        }
    }
}
