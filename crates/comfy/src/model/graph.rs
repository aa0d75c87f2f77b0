//! API-format prompt graphs (PROTOCOL §2), as echoed back in /queue and /history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"<node_id>": {class_type, inputs, _meta?}}`.
pub type ApiGraph = BTreeMap<String, ApiNode>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiNode {
    pub class_type: String,
    #[serde(default)]
    pub inputs: BTreeMap<String, InputValue>,
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    /// Keys other front-ends add to nodes; kept so a graph read back is the graph sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An input is either a link `[source_node_id, output_index]` or a literal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputValue {
    Link(String, u32),
    Literal(Value),
}
