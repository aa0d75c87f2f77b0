//! The ComfyUI API ("prompt") graph format, as PROTOCOL.md §2 describes it.
//!
//! `{"<node_id>": {"class_type": "...", "inputs": {name: literal | [src_id, output_index]}}}`.
//! Maps are `BTreeMap`s so that serializing the same graph always yields the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One node of an API graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiNode {
    pub class_type: String,
    #[serde(default)]
    pub inputs: BTreeMap<String, Value>,
    /// Shown as the node title in ComfyUI's queue; never used to find nodes.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<NodeMeta>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMeta {
    pub title: String,
}

/// A whole API graph keyed by node id.
pub type ApiGraph = BTreeMap<String, ApiNode>;

/// A link `[source_node_id, output_index]` as ComfyUI recognises it: a two-element array whose
/// first element is a string and whose second is a non-negative integer.
pub fn as_link(value: &Value) -> Option<(&str, u64)> {
    match value.as_array()?.as_slice() {
        [Value::String(id), index] => index.as_u64().map(|i| (id.as_str(), i)),
        _ => None,
    }
}

/// Builds the JSON form of a link.
pub fn link(node: &str, output: u64) -> Value {
    Value::Array(vec![Value::String(node.to_owned()), Value::from(output)])
}

/// Serializes a graph to its canonical JSON value (sorted keys at every level).
pub fn to_value(graph: &ApiGraph) -> Value {
    let mut out = serde_json::Map::new();
    for (id, node) in graph {
        let mut obj = serde_json::Map::new();
        obj.insert("class_type".into(), Value::String(node.class_type.clone()));
        let inputs: serde_json::Map<String, Value> = node
            .inputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        obj.insert("inputs".into(), Value::Object(inputs));
        if let Some(meta) = &node.meta {
            let mut m = serde_json::Map::new();
            m.insert("title".into(), Value::String(meta.title.clone()));
            obj.insert("_meta".into(), Value::Object(m));
        }
        out.insert(id.clone(), Value::Object(obj));
    }
    Value::Object(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_are_recognised_like_comfyui_does() {
        assert_eq!(as_link(&json!(["12", 3])), Some(("12", 3)));
        assert_eq!(as_link(&json!([12, 3])), None);
        assert_eq!(as_link(&json!(["12", -1])), None);
        assert_eq!(as_link(&json!(["12", 3, 4])), None);
        assert_eq!(as_link(&json!("12")), None);
    }
}
