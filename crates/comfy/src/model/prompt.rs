//! POST /prompt request and responses (PROTOCOL §1, §2, §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::events::ExecInfo;
use super::graph::ApiGraph;

/// The request body as captured. The client sends a borrowed variant of this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptRequest {
    pub prompt: ApiGraph,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_data: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_execution_targets: Option<Vec<String>>,
}

/// 200 response: the prompt is queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptAccepted {
    pub prompt_id: String,
    pub number: Number,
    #[serde(default)]
    pub node_errors: Map<String, Value>,
}

/// 400 response body: `{"error": {…}, "node_errors": {…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptErrorBody {
    pub error: PromptErrorWire,
    #[serde(default)]
    pub node_errors: BTreeMap<String, NodeErrorWire>,
}

/// `{type, message, details, extra_info}`, both for the top-level error and per input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptErrorWire {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub extra_info: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeErrorWire {
    pub errors: Vec<PromptErrorWire>,
    #[serde(default)]
    pub dependent_outputs: Vec<String>,
    pub class_type: String,
}

/// GET /prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptQueueInfo {
    pub exec_info: ExecInfo,
}
