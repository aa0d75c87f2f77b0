//! API-format prompt graphs (PROTOCOL §2), as echoed back in /queue and /history.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InputValue {
    Link(String, u32),
    Literal(Value),
}

/// Decoded once as a JSON value and then classified: serde's derived `untagged` buffers every
/// input into an intermediate tree first, which multiplied the memory of big graphs.
impl<'de> Deserialize<'de> for InputValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        if let Value::Array(items) = &value
            && let [Value::String(node), Value::Number(index)] = items.as_slice()
            && let Some(index) = index.as_u64().and_then(|i| u32::try_from(i).ok())
        {
            return Ok(InputValue::Link(node.clone(), index));
        }
        Ok(InputValue::Literal(value))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn links_and_literals_decode_like_the_untagged_enum() {
        let cases = [
            (r#"["4", 0]"#, InputValue::Link("4".into(), 0)),
            (r#""text""#, InputValue::Literal(Value::from("text"))),
            (r#"7"#, InputValue::Literal(Value::from(7))),
            (
                r#"["4", -1]"#,
                InputValue::Literal(serde_json::json!(["4", -1])),
            ),
            (
                r#"["4", 0, 1]"#,
                InputValue::Literal(serde_json::json!(["4", 0, 1])),
            ),
            (r#"[4, 0]"#, InputValue::Literal(serde_json::json!([4, 0]))),
            (
                r#"["4", 1.5]"#,
                InputValue::Literal(serde_json::json!(["4", 1.5])),
            ),
        ];
        for (text, want) in cases {
            let got: InputValue = serde_json::from_str(text).unwrap();
            assert_eq!(got, want, "{text}");
            let back = serde_json::to_string(&got).unwrap();
            assert_eq!(
                serde_json::from_str::<Value>(&back).unwrap(),
                serde_json::from_str::<Value>(text).unwrap()
            );
        }
    }
}
