//! Typed view of a POST /prompt 400 body (PROTOCOL §4): the classes the server reports and the
//! per-node, per-input problems of `prompt_outputs_failed_validation`.

use serde_json::Value;

use crate::model::{PromptErrorBody, PromptErrorWire};

/// Why the server refused a prompt. `raw` keeps the exact body for operators.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptRejection {
    pub kind: RejectionKind,
    pub raw: PromptErrorBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RejectionKind {
    /// `invalid_prompt`: a node class the server does not have (custom nodes missing).
    UnknownNodeType {
        class_type: String,
        node_id: Option<String>,
    },
    /// `invalid_prompt`: a node without `class_type`.
    MissingClassType { node_id: Option<String> },
    /// Any other `invalid_prompt`.
    InvalidPrompt { message: String },
    /// `prompt_no_outputs`
    NoOutputs,
    /// `no_prompt`
    NoPrompt,
    /// `prompt_outputs_failed_validation`. Empty `nodes` means a cycle (the server reports no
    /// node for it).
    FailedValidation { nodes: Vec<NodeValidationError> },
    /// An error type this client does not know yet.
    Other { kind: String, message: String },
}

/// All problems of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeValidationError {
    pub node_id: String,
    pub class_type: String,
    pub dependent_outputs: Vec<String>,
    pub problems: Vec<InputProblem>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputProblem {
    RequiredInputMissing {
        input: String,
    },
    ValueNotInList {
        input: String,
        received: Value,
        options: Vec<Value>,
    },
    ValueSmallerThanMin {
        input: String,
        received: Value,
        min: Option<Value>,
    },
    ValueBiggerThanMax {
        input: String,
        received: Value,
        max: Option<Value>,
    },
    InvalidInputType {
        input: String,
        received: Value,
        expected_type: Option<String>,
        reason: String,
    },
    ReturnTypeMismatch {
        input: String,
        received_type: Option<String>,
        expected_type: Option<String>,
        linked_node: Option<Value>,
    },
    CustomValidationFailed {
        input: Option<String>,
        details: String,
    },
    ExceptionDuringInnerValidation {
        input: Option<String>,
        exception_type: Option<String>,
        exception_message: String,
        linked_node: Option<Value>,
    },
    Other {
        kind: String,
        message: String,
        details: String,
    },
}

impl InputProblem {
    /// The server's error type string.
    pub fn wire_type(&self) -> &str {
        match self {
            InputProblem::RequiredInputMissing { .. } => "required_input_missing",
            InputProblem::ValueNotInList { .. } => "value_not_in_list",
            InputProblem::ValueSmallerThanMin { .. } => "value_smaller_than_min",
            InputProblem::ValueBiggerThanMax { .. } => "value_bigger_than_max",
            InputProblem::InvalidInputType { .. } => "invalid_input_type",
            InputProblem::ReturnTypeMismatch { .. } => "return_type_mismatch",
            InputProblem::CustomValidationFailed { .. } => "custom_validation_failed",
            InputProblem::ExceptionDuringInnerValidation { .. } => {
                "exception_during_inner_validation"
            }
            InputProblem::Other { kind, .. } => kind,
        }
    }

    pub fn input(&self) -> Option<&str> {
        match self {
            InputProblem::RequiredInputMissing { input }
            | InputProblem::ValueNotInList { input, .. }
            | InputProblem::ValueSmallerThanMin { input, .. }
            | InputProblem::ValueBiggerThanMax { input, .. }
            | InputProblem::InvalidInputType { input, .. }
            | InputProblem::ReturnTypeMismatch { input, .. } => Some(input),
            InputProblem::CustomValidationFailed { input, .. }
            | InputProblem::ExceptionDuringInnerValidation { input, .. } => input.as_deref(),
            InputProblem::Other { .. } => None,
        }
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// `input_config` is `[type_or_options, {min, max, …}]`.
fn config_entry(e: &PromptErrorWire, key: &str) -> Option<Value> {
    e.extra_info.get("input_config")?.get(1)?.get(key).cloned()
}

fn config_type(e: &PromptErrorWire) -> Option<String> {
    str_of(e.extra_info.get("input_config")?.get(0))
}

impl InputProblem {
    pub fn from_wire(e: &PromptErrorWire) -> InputProblem {
        let input = str_of(e.extra_info.get("input_name"));
        let named = || input.clone().unwrap_or_else(|| e.details.clone());
        let received = || {
            e.extra_info
                .get("received_value")
                .cloned()
                .unwrap_or(Value::Null)
        };
        match e.kind.as_str() {
            "required_input_missing" => InputProblem::RequiredInputMissing { input: named() },
            "value_not_in_list" => InputProblem::ValueNotInList {
                input: named(),
                received: received(),
                options: e
                    .extra_info
                    .get("input_config")
                    .and_then(|c| c.get(0))
                    .and_then(Value::as_array)
                    .cloned()
                    .or_else(|| config_entry(e, "options").and_then(|o| o.as_array().cloned()))
                    .unwrap_or_default(),
            },
            "value_smaller_than_min" => InputProblem::ValueSmallerThanMin {
                input: named(),
                received: received(),
                min: config_entry(e, "min"),
            },
            "value_bigger_than_max" => InputProblem::ValueBiggerThanMax {
                input: named(),
                received: received(),
                max: config_entry(e, "max"),
            },
            "invalid_input_type" => InputProblem::InvalidInputType {
                input: named(),
                received: received(),
                expected_type: config_type(e),
                reason: str_of(e.extra_info.get("exception_message"))
                    .unwrap_or_else(|| e.message.clone()),
            },
            "return_type_mismatch" => InputProblem::ReturnTypeMismatch {
                input: named(),
                received_type: str_of(e.extra_info.get("received_type")),
                expected_type: config_type(e),
                linked_node: e.extra_info.get("linked_node").cloned(),
            },
            "custom_validation_failed" => InputProblem::CustomValidationFailed {
                input,
                details: e.details.clone(),
            },
            "exception_during_inner_validation" => InputProblem::ExceptionDuringInnerValidation {
                input,
                exception_type: str_of(e.extra_info.get("exception_type")),
                exception_message: str_of(e.extra_info.get("exception_message"))
                    .unwrap_or_else(|| e.details.clone()),
                linked_node: e.extra_info.get("linked_node").cloned(),
            },
            other => InputProblem::Other {
                kind: other.to_owned(),
                message: e.message.clone(),
                details: e.details.clone(),
            },
        }
    }
}

/// `"Node ID '#3'"` → `3`.
fn node_id_from_details(details: &str) -> Option<String> {
    let start = details.find("'#")? + 2;
    let rest = &details[start..];
    let end = rest.find('\'')?;
    Some(rest[..end].to_owned())
}

/// `"Cannot execute because node X does not exist."` → `X`.
fn class_from_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Cannot execute because node ")?;
    let end = rest.find(" does not exist")?;
    Some(rest[..end].to_owned())
}

fn numeric_then_lexical(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

impl PromptRejection {
    pub fn from_body(raw: PromptErrorBody) -> PromptRejection {
        let e = &raw.error;
        let kind = match e.kind.as_str() {
            "invalid_prompt" => {
                let node_id = node_id_from_details(&e.details);
                if let Some(class_type) = class_from_message(&e.message) {
                    RejectionKind::UnknownNodeType {
                        class_type,
                        node_id,
                    }
                } else if e.message.contains("missing the class_type") {
                    RejectionKind::MissingClassType { node_id }
                } else {
                    RejectionKind::InvalidPrompt {
                        message: e.message.clone(),
                    }
                }
            }
            "prompt_no_outputs" => RejectionKind::NoOutputs,
            "no_prompt" => RejectionKind::NoPrompt,
            "prompt_outputs_failed_validation" => {
                let mut nodes: Vec<NodeValidationError> = raw
                    .node_errors
                    .iter()
                    .map(|(id, n)| NodeValidationError {
                        node_id: id.clone(),
                        class_type: n.class_type.clone(),
                        dependent_outputs: n.dependent_outputs.clone(),
                        problems: n.errors.iter().map(InputProblem::from_wire).collect(),
                    })
                    .collect();
                nodes.sort_by(|a, b| numeric_then_lexical(&a.node_id, &b.node_id));
                RejectionKind::FailedValidation { nodes }
            }
            other => RejectionKind::Other {
                kind: other.to_owned(),
                message: e.message.clone(),
            },
        };
        PromptRejection { kind, raw }
    }

    /// The first problem, in node id order: the one the user-facing message is about.
    pub fn primary_problem(&self) -> Option<(&NodeValidationError, &InputProblem)> {
        match &self.kind {
            RejectionKind::FailedValidation { nodes } => nodes
                .iter()
                .find_map(|n| n.problems.first().map(|p| (n, p))),
            _ => None,
        }
    }

    /// Every problem, one line each, for operators.
    pub fn detail_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "{}: {} {}",
                self.raw.error.kind, self.raw.error.message, self.raw.error.details
            )
            .trim_end()
            .to_owned(),
        ];
        let mut ids: Vec<&String> = self.raw.node_errors.keys().collect();
        ids.sort_by(|a, b| numeric_then_lexical(a, b));
        for id in ids {
            let n = &self.raw.node_errors[id];
            for e in &n.errors {
                lines.push(format!(
                    "node {id} ({}): {}: {} [{}]",
                    n.class_type, e.kind, e.message, e.details
                ));
            }
        }
        lines
    }
}
