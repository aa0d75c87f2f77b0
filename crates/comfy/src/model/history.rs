//! GET /history/{prompt_id} entries (PROTOCOL §5).

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::events::ServerMessage;
use super::files::{NodeOutputs, OutputFile};
use super::queue::QueueItem;

/// `{prompt_id: entry}`; an unknown id gives `{}`.
pub type History = BTreeMap<String, HistoryEntry>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub prompt: QueueItem,
    #[serde(default)]
    pub outputs: BTreeMap<String, NodeOutputs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<HistoryStatus>,
    #[serde(default)]
    pub meta: BTreeMap<String, NodeMetaInfo>,
}

impl HistoryEntry {
    pub fn prompt_id(&self) -> &str {
        &self.prompt.prompt_id
    }

    /// Every file the prompt produced, output nodes in id order, files in server order.
    pub fn files(&self) -> Vec<OutputFile> {
        let mut out = Vec::new();
        for (node_id, outputs) in &self.outputs {
            out.extend(outputs.files(node_id));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryStatus {
    pub status_str: String,
    pub completed: bool,
    #[serde(default)]
    pub messages: Vec<HistoryMessage>,
}

impl HistoryStatus {
    pub fn is_success(&self) -> bool {
        self.status_str == "success"
    }

    /// The terminal event kept in the history (success, error or interrupted), if any.
    pub fn terminal_message(&self) -> Option<&ServerMessage> {
        self.messages.iter().rev().map(|m| &m.0).find(|m| {
            matches!(
                m,
                ServerMessage::ExecutionSuccess(_)
                    | ServerMessage::ExecutionError(_)
                    | ServerMessage::ExecutionInterrupted(_)
            )
        })
    }
}

/// A `[event_name, data]` pair from `status.messages`, decoded with the websocket model.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryMessage(pub ServerMessage);

impl Serialize for HistoryMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let data = self.0.data_value().map_err(serde::ser::Error::custom)?;
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(self.0.kind())?;
        seq.serialize_element(&data)?;
        seq.end()
    }
}

impl<'de> Deserialize<'de> for HistoryMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, data): (String, Value) = Deserialize::deserialize(d)?;
        Ok(HistoryMessage(ServerMessage::from_parts(&kind, data)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeMetaInfo {
    pub node_id: String,
    pub display_node: String,
    pub parent_node: Option<String>,
    pub real_node_id: String,
}
