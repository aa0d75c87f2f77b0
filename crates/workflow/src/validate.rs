//! Checks an API graph against `/object_info` the way ComfyUI's `validate_prompt` does, so a
//! graph that passes here is accepted by POST /prompt (PROTOCOL.md §4).
//!
//! Deliberately stricter than the server in two places, both of which the server only finds
//! minutes later at run time: values of schema-v3 combos are checked against their options
//! (except upload widgets), and a literal given to a socket input (`IMAGE`, `MODEL`...) is
//! reported.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::graph::as_link;
use crate::object_info::{InputSpec, NodeSchema, ObjectInfo};

/// One problem, named as ComfyUI names it (see [`IssueKind::comfy_type`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphIssue {
    pub node_id: String,
    pub class_type: Option<String>,
    pub input: Option<String>,
    pub kind: IssueKind,
    pub details: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// Node without `class_type`, or a graph that is not an object.
    InvalidPrompt,
    /// `class_type` the server does not have.
    UnknownClass,
    /// No output node in the graph.
    NoOutputs,
    RequiredInputMissing,
    ValueNotInList,
    ValueSmallerThanMin,
    ValueBiggerThanMax,
    InvalidInputType,
    ReturnTypeMismatch,
    /// Link to a missing node or output index.
    BadLink,
    /// The graph has a dependency cycle.
    Cycle,
}

impl IssueKind {
    /// The `type` ComfyUI reports for this problem.
    pub fn comfy_type(self) -> &'static str {
        match self {
            Self::InvalidPrompt | Self::UnknownClass => "invalid_prompt",
            Self::NoOutputs => "prompt_no_outputs",
            Self::RequiredInputMissing => "required_input_missing",
            Self::ValueNotInList => "value_not_in_list",
            Self::ValueSmallerThanMin => "value_smaller_than_min",
            Self::ValueBiggerThanMax => "value_bigger_than_max",
            Self::InvalidInputType => "invalid_input_type",
            Self::ReturnTypeMismatch => "return_type_mismatch",
            Self::BadLink => "exception_during_inner_validation",
            Self::Cycle => "prompt_outputs_failed_validation",
        }
    }
}

/// ComfyUI's `validate_node_input`: equal, wildcard, or overlapping comma-separated type sets.
pub fn types_match(received: &str, expected: &str) -> bool {
    if received == expected {
        return true;
    }
    let split =
        |s: &str| -> BTreeSet<String> { s.split(',').map(|t| t.trim().to_owned()).collect() };
    let (r, e) = (split(received), split(expected));
    r.contains("*") || e.contains("*") || r.intersection(&e).next().is_some()
}

/// Validates `graph` (the `prompt` body) against `info`.
pub fn validate(graph: &Value, info: &ObjectInfo) -> Result<(), Vec<GraphIssue>> {
    let Some(nodes) = graph.as_object() else {
        return Err(vec![issue(
            "",
            None,
            None,
            IssueKind::InvalidPrompt,
            "prompt is not an object",
        )]);
    };
    // Pass 1, as the server: class_type present and known everywhere, else stop.
    let mut issues = Vec::new();
    let mut schemas: BTreeMap<&str, (&NodeSchema, &Value)> = BTreeMap::new();
    for (id, node) in nodes {
        match node.get("class_type").and_then(Value::as_str) {
            None => issues.push(issue(
                id,
                None,
                None,
                IssueKind::InvalidPrompt,
                &format!("Node ID '#{id}' does not have a class_type"),
            )),
            Some(class) => match info.class(class) {
                None => issues.push(issue(
                    id,
                    Some(class),
                    None,
                    IssueKind::UnknownClass,
                    &format!("Cannot execute because node {class} does not exist."),
                )),
                Some(schema) => {
                    schemas.insert(id.as_str(), (schema, node));
                }
            },
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let outputs: Vec<&str> = schemas
        .iter()
        .filter(|(_, (s, _))| s.output_node)
        .map(|(id, _)| *id)
        .collect();
    if outputs.is_empty() {
        return Err(vec![issue(
            "",
            None,
            None,
            IssueKind::NoOutputs,
            "Prompt has no outputs",
        )]);
    }
    let mut v = Validator {
        schemas: &schemas,
        state: BTreeMap::new(),
        issues: Vec::new(),
    };
    for id in outputs {
        v.visit(id);
    }
    if v.issues.is_empty() {
        Ok(())
    } else {
        v.issues
            .sort_by(|a, b| (&a.node_id, &a.input, a.kind).cmp(&(&b.node_id, &b.input, b.kind)));
        v.issues.dedup();
        Err(v.issues)
    }
}

fn issue(
    node_id: &str,
    class_type: Option<&str>,
    input: Option<&str>,
    kind: IssueKind,
    details: &str,
) -> GraphIssue {
    GraphIssue {
        node_id: node_id.to_owned(),
        class_type: class_type.map(str::to_owned),
        input: input.map(str::to_owned),
        kind,
        details: details.to_owned(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    InProgress,
    Done,
}

struct Validator<'a> {
    schemas: &'a BTreeMap<&'a str, (&'a NodeSchema, &'a Value)>,
    state: BTreeMap<String, State>,
    issues: Vec<GraphIssue>,
}

impl Validator<'_> {
    fn visit(&mut self, id: &str) {
        match self.state.get(id) {
            Some(State::Done) => return,
            Some(State::InProgress) => {
                self.issues
                    .push(issue(id, None, None, IssueKind::Cycle, "dependency cycle"));
                return;
            }
            None => {}
        }
        self.state.insert(id.to_owned(), State::InProgress);
        let Some(&(schema, node)) = self.schemas.get(id) else {
            self.state.insert(id.to_owned(), State::Done);
            return;
        };
        let class = schema.name.as_str();
        let empty = serde_json::Map::new();
        let inputs = node
            .get("inputs")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for name in schema.required.keys() {
            if !inputs.contains_key(name) {
                self.issues.push(issue(
                    id,
                    Some(class),
                    Some(name),
                    IssueKind::RequiredInputMissing,
                    name,
                ));
            }
        }
        for (name, value) in inputs {
            let Some(spec) = schema.input(name) else {
                continue; // the server ignores inputs it does not know
            };
            if let Some((src, index)) = as_link(value) {
                self.check_link(id, class, name, spec, src, index);
            } else if let Some(problem) = check_literal(spec, value) {
                self.issues
                    .push(issue(id, Some(class), Some(name), problem.0, &problem.1));
            }
        }
        self.state.insert(id.to_owned(), State::Done);
    }

    fn check_link(
        &mut self,
        id: &str,
        class: &str,
        name: &str,
        spec: &InputSpec,
        src: &str,
        index: u64,
    ) {
        let Some(&(src_schema, _)) = self.schemas.get(src) else {
            self.issues.push(issue(
                id,
                Some(class),
                Some(name),
                IssueKind::BadLink,
                &format!("'{src}'"),
            ));
            return;
        };
        let Some(received) = usize::try_from(index)
            .ok()
            .and_then(|i| src_schema.outputs.get(i))
        else {
            self.issues.push(issue(
                id,
                Some(class),
                Some(name),
                IssueKind::BadLink,
                "tuple index out of range",
            ));
            return;
        };
        let expected = spec.link_type();
        if !types_match(received, expected) {
            self.issues.push(issue(
                id,
                Some(class),
                Some(name),
                IssueKind::ReturnTypeMismatch,
                &format!("{name}, received_type({received}) mismatch input_type({expected})"),
            ));
        }
        self.visit(src);
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn check_literal(spec: &InputSpec, value: &Value) -> Option<(IssueKind, String)> {
    let range = |v: f64, min: &Option<f64>, max: &Option<f64>| -> Option<(IssueKind, String)> {
        if let Some(lo) = min
            && v < *lo
        {
            return Some((
                IssueKind::ValueSmallerThanMin,
                format!("Value {v} smaller than min of {lo}"),
            ));
        }
        if let Some(hi) = max
            && v > *hi
        {
            return Some((
                IssueKind::ValueBiggerThanMax,
                format!("Value {v} bigger than max of {hi}"),
            ));
        }
        None
    };
    match spec {
        InputSpec::Int { min, max } => {
            // Python int(): whole-number strings convert, fractional strings do not.
            let n = match value {
                Value::String(s) => s.trim().parse::<i64>().ok().map(|i| i as f64),
                other => number(other).map(f64::trunc),
            };
            match n {
                None => Some((
                    IssueKind::InvalidInputType,
                    format!("invalid literal for int(): {value}"),
                )),
                Some(n) => range(n, min, max),
            }
        }
        InputSpec::Float { min, max } => match number(value) {
            None => Some((
                IssueKind::InvalidInputType,
                format!("could not convert to float: {value}"),
            )),
            Some(n) => range(n, min, max),
        },
        InputSpec::String | InputSpec::Boolean => None,
        InputSpec::Combo { upload: true, .. } => None,
        InputSpec::Combo { options, .. } => {
            if options.is_empty() || options.contains(value) {
                None
            } else {
                let shown: Vec<String> = options.iter().take(20).map(Value::to_string).collect();
                Some((
                    IssueKind::ValueNotInList,
                    format!("{value} not in [{}]", shown.join(", ")),
                ))
            }
        }
        InputSpec::Link { type_name } => Some((
            IssueKind::InvalidInputType,
            format!("expected a link of type {type_name}, got the literal {value}"),
        )),
    }
}
