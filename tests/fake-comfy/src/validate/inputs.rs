//! Validating one node's inputs, recursively through its links.

use super::*;

impl Validator<'_> {
    pub(super) fn validate_node(&mut self, id: &str) -> Result<Outcome, PyExc> {
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
