//! Input specs and Python's number/bool coercions as ComfyUI applies them.

use super::*;

pub(super) fn reject(kind: &str, message: String, details: String) -> Verdict {
    Verdict::Rejected {
        error: json!({"type": kind, "message": message, "details": details, "extra_info": {}}),
        node_errors: json!({}),
    }
}

/// Input specs of a schema in declaration order: (name, spec, is_required).
pub(super) fn input_specs(schema: &Value) -> Vec<(String, Value, bool)> {
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
pub(super) fn split_spec(spec: &Value) -> (Value, Value) {
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
pub(super) fn types_match(received: &Value, input: &Value) -> bool {
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

pub(super) fn is_number(v: &Value) -> bool {
    matches!(v, Value::Number(_) | Value::Bool(_))
}

pub(super) fn num(v: &Value) -> f64 {
    match v {
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

pub(super) fn num_str(v: &Value) -> String {
    match v {
        Value::Number(n) => pyrepr::number_str(n),
        other => pyrepr::str_of(other),
    }
}

/// Python `int(x)` on a JSON-born value.
pub(super) fn py_int(v: &Value) -> Result<Value, String> {
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
pub(super) fn py_float(v: &Value) -> Result<Value, String> {
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

pub(super) fn py_bool(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}
