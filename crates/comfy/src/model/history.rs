//! GET /history/{prompt_id} entries (PROTOCOL §5) and the output file references in them.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::events::ServerMessage;
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

/// Where a file lives on the server (`/view` and `/upload/image` vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Input,
    Output,
    Temp,
}

impl FileType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Input => "input",
            FileType::Output => "output",
            FileType::Temp => "temp",
        }
    }
}

/// A file reference as the server reports it. Untrusted: see [`crate::sanitize`] before
/// turning it into a local path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileRef {
    pub filename: String,
    #[serde(default)]
    pub subfolder: String,
    #[serde(rename = "type")]
    pub file_type: FileType,
}

/// A VideoHelperSuite `gifs` entry: a [`FileRef`] plus video facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoFileRef {
    #[serde(flatten)]
    pub file: FileRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The server's absolute path; informative only, never used locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullpath: Option<String>,
}

/// The UI dict of one output node (history `outputs[node]`, websocket `executed.output`).
///
/// Known keys are typed; a known key whose value does not have the expected shape (custom
/// nodes put anything there) stays in `other` instead of failing the whole history entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeOutputs {
    /// SaveImage/PreviewImage/SaveVideo (videos too, with `animated`).
    pub images: Option<Vec<FileRef>>,
    pub audio: Option<Vec<FileRef>>,
    /// VHS_VideoCombine.
    pub gifs: Option<Vec<VideoFileRef>>,
    pub animated: Option<Vec<bool>>,
    pub other: Map<String, Value>,
}

/// One file of a history entry, flattened for the job engine.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    pub node_id: String,
    /// `images`, `audio` or `gifs`.
    pub key: &'static str,
    pub file: FileRef,
    pub animated: bool,
    /// MIME-like format from VHS (`video/h264-mp4`), when given.
    pub format: Option<String>,
}

impl NodeOutputs {
    pub fn files(&self, node_id: &str) -> Vec<OutputFile> {
        let animated = self.animated.as_ref().is_some_and(|a| a.iter().any(|x| *x));
        let mut out = Vec::new();
        for f in self.images.iter().flatten() {
            out.push(OutputFile {
                node_id: node_id.to_owned(),
                key: "images",
                file: f.clone(),
                animated,
                format: None,
            });
        }
        for f in self.audio.iter().flatten() {
            out.push(OutputFile {
                node_id: node_id.to_owned(),
                key: "audio",
                file: f.clone(),
                animated: false,
                format: None,
            });
        }
        for f in self.gifs.iter().flatten() {
            out.push(OutputFile {
                node_id: node_id.to_owned(),
                key: "gifs",
                file: f.file.clone(),
                animated: true,
                format: f.format.clone(),
            });
        }
        out
    }
}

fn take_typed<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    key: &str,
) -> Option<T> {
    let value = map.get(key)?;
    match serde_json::from_value::<T>(value.clone()) {
        Ok(v) => {
            map.remove(key);
            Some(v)
        }
        Err(e) => {
            tracing::debug!(key, error = %e, "output key kept untyped");
            None
        }
    }
}

impl<'de> Deserialize<'de> for NodeOutputs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let Value::Object(mut map) = value else {
            return Err(D::Error::custom("node outputs must be an object"));
        };
        Ok(NodeOutputs {
            images: take_typed(&mut map, "images"),
            audio: take_typed(&mut map, "audio"),
            gifs: take_typed(&mut map, "gifs"),
            animated: take_typed(&mut map, "animated"),
            other: map,
        })
    }
}

impl Serialize for NodeOutputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut map = self.other.clone();
        let mut put = |k: &str, v: Result<Value, serde_json::Error>| -> Result<(), S::Error> {
            map.insert(k.to_owned(), v.map_err(S::Error::custom)?);
            Ok(())
        };
        if let Some(v) = &self.images {
            put("images", serde_json::to_value(v))?;
        }
        if let Some(v) = &self.audio {
            put("audio", serde_json::to_value(v))?;
        }
        if let Some(v) = &self.gifs {
            put("gifs", serde_json::to_value(v))?;
        }
        if let Some(v) = &self.animated {
            put("animated", serde_json::to_value(v))?;
        }
        map.serialize(s)
    }
}
