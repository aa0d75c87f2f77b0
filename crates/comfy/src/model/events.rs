//! WebSocket messages (PROTOCOL §7): text frames `{"type": T, "data": {…}}` and binary previews.

use std::collections::BTreeMap;

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

use super::files::NodeOutputs;
use super::misc::Features;

/// Every text message type the server sends. Anything else, or a known type whose data does
/// not have the captured shape, becomes [`ServerMessage::Unknown`] with its raw data, never
/// dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    Status(StatusData),
    ExecutionStart(ExecutionStartData),
    ExecutionCached(ExecutionCachedData),
    Executing(ExecutingData),
    Progress(ProgressData),
    ProgressState(ProgressStateData),
    Executed(Box<ExecutedData>),
    ExecutionSuccess(ExecutionSuccessData),
    ExecutionError(Box<ExecutionErrorData>),
    ExecutionInterrupted(ExecutionInterruptedData),
    FeatureFlags(FeatureFlagsData),
    Unknown { kind: String, raw: Value },
}

pub type FeatureFlagsData = Features;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusData {
    pub status: QueueStatus,
    /// The socket id; only in the first status after connecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueStatus {
    pub exec_info: ExecInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecInfo {
    pub queue_remaining: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionStartData {
    pub prompt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionCachedData {
    pub nodes: Vec<String>,
    pub prompt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

/// `node: null` marks the end of the prompt (any outcome).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutingData {
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_id: Option<String>,
}

/// Step progress of one node. Integers in the capture; kept as JSON numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressData {
    pub value: Number,
    pub max: Number,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl ProgressData {
    /// `value / max` in 0..=1 (0 when `max` is 0 or not a number).
    pub fn fraction(&self) -> f64 {
        fraction(&self.value, &self.max)
    }
}

fn fraction(value: &Number, max: &Number) -> f64 {
    match (value.as_f64(), max.as_f64()) {
        (Some(v), Some(m)) if m > 0.0 => (v / m).clamp(0.0, 1.0),
        _ => 0.0,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressStateData {
    pub prompt_id: String,
    pub nodes: BTreeMap<String, NodeProgressState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    Pending,
    Running,
    Finished,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeProgressState {
    pub value: Number,
    pub max: Number,
    pub state: NodeState,
    pub node_id: String,
    pub prompt_id: String,
    pub display_node_id: String,
    pub parent_node_id: Option<String>,
    pub real_node_id: String,
}

impl NodeProgressState {
    pub fn fraction(&self) -> f64 {
        fraction(&self.value, &self.max)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutedData {
    pub node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_node: Option<String>,
    pub output: NodeOutputs,
    pub prompt_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSuccessData {
    pub prompt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

/// A node raised during execution. Everything here is operator detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionErrorData {
    pub prompt_id: String,
    pub node_id: String,
    pub node_type: String,
    #[serde(default)]
    pub executed: Vec<String>,
    pub exception_message: String,
    pub exception_type: String,
    #[serde(default)]
    pub traceback: Vec<String>,
    /// `{input_name: [values]}` as the server formats them.
    #[serde(default)]
    pub current_inputs: BTreeMap<String, Value>,
    /// Node ids (a list in 0.3.64; older servers sent other shapes).
    #[serde(default)]
    pub current_outputs: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionInterruptedData {
    pub prompt_id: String,
    pub node_id: String,
    pub node_type: String,
    #[serde(default)]
    pub executed: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

impl ServerMessage {
    pub const STATUS: &'static str = "status";
    pub const EXECUTION_START: &'static str = "execution_start";
    pub const EXECUTION_CACHED: &'static str = "execution_cached";
    pub const EXECUTING: &'static str = "executing";
    pub const PROGRESS: &'static str = "progress";
    pub const PROGRESS_STATE: &'static str = "progress_state";
    pub const EXECUTED: &'static str = "executed";
    pub const EXECUTION_SUCCESS: &'static str = "execution_success";
    pub const EXECUTION_ERROR: &'static str = "execution_error";
    pub const EXECUTION_INTERRUPTED: &'static str = "execution_interrupted";
    pub const FEATURE_FLAGS: &'static str = "feature_flags";

    /// Decode one message from its type and data. Never fails: shapes we do not know are kept
    /// in [`ServerMessage::Unknown`].
    pub fn from_parts(kind: &str, data: Value) -> ServerMessage {
        Self::decode(kind, &data).unwrap_or_else(|| ServerMessage::Unknown {
            kind: kind.to_owned(),
            raw: data,
        })
    }

    /// Parse a text frame. The `data` object is decoded straight from the text into its typed
    /// struct (no intermediate JSON tree); only a message we cannot type is kept as a tree.
    pub fn from_json(text: &str) -> Result<ServerMessage, serde_json::Error> {
        #[derive(Deserialize)]
        struct Frame<'a> {
            #[serde(rename = "type")]
            kind: String,
            #[serde(borrow, default)]
            data: Option<&'a serde_json::value::RawValue>,
        }
        let frame: Frame<'_> = serde_json::from_str(text)?;
        let raw = frame.data.map_or("null", |r| r.get());
        match Self::decode(&frame.kind, raw) {
            Some(message) => Ok(message),
            None => Ok(ServerMessage::Unknown {
                raw: serde_json::from_str(raw)?,
                kind: frame.kind,
            }),
        }
    }

    fn decode(kind: &str, data: impl DataSource) -> Option<ServerMessage> {
        fn typed<T: serde::de::DeserializeOwned>(
            kind: &str,
            data: impl DataSource,
            wrap: fn(T) -> ServerMessage,
        ) -> Option<ServerMessage> {
            match data.typed::<T>() {
                Ok(v) => Some(wrap(v)),
                Err(e) => {
                    tracing::warn!(kind, error = %e, "websocket message with an unexpected shape");
                    None
                }
            }
        }
        match kind {
            Self::STATUS => typed(kind, data, ServerMessage::Status),
            Self::EXECUTION_START => typed(kind, data, ServerMessage::ExecutionStart),
            Self::EXECUTION_CACHED => typed(kind, data, ServerMessage::ExecutionCached),
            Self::EXECUTING => typed(kind, data, ServerMessage::Executing),
            Self::PROGRESS => typed(kind, data, ServerMessage::Progress),
            Self::PROGRESS_STATE => typed(kind, data, ServerMessage::ProgressState),
            Self::EXECUTED => typed(kind, data, |d| ServerMessage::Executed(Box::new(d))),
            Self::EXECUTION_SUCCESS => typed(kind, data, ServerMessage::ExecutionSuccess),
            Self::EXECUTION_ERROR => {
                typed(kind, data, |d| ServerMessage::ExecutionError(Box::new(d)))
            }
            Self::EXECUTION_INTERRUPTED => typed(kind, data, ServerMessage::ExecutionInterrupted),
            Self::FEATURE_FLAGS => typed(kind, data, ServerMessage::FeatureFlags),
            _ => None,
        }
    }

    pub fn kind(&self) -> &str {
        match self {
            ServerMessage::Status(_) => Self::STATUS,
            ServerMessage::ExecutionStart(_) => Self::EXECUTION_START,
            ServerMessage::ExecutionCached(_) => Self::EXECUTION_CACHED,
            ServerMessage::Executing(_) => Self::EXECUTING,
            ServerMessage::Progress(_) => Self::PROGRESS,
            ServerMessage::ProgressState(_) => Self::PROGRESS_STATE,
            ServerMessage::Executed(_) => Self::EXECUTED,
            ServerMessage::ExecutionSuccess(_) => Self::EXECUTION_SUCCESS,
            ServerMessage::ExecutionError(_) => Self::EXECUTION_ERROR,
            ServerMessage::ExecutionInterrupted(_) => Self::EXECUTION_INTERRUPTED,
            ServerMessage::FeatureFlags(_) => Self::FEATURE_FLAGS,
            ServerMessage::Unknown { kind, .. } => kind,
        }
    }

    /// The `data` object as JSON.
    pub fn data_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            ServerMessage::Status(d) => serde_json::to_value(d),
            ServerMessage::ExecutionStart(d) => serde_json::to_value(d),
            ServerMessage::ExecutionCached(d) => serde_json::to_value(d),
            ServerMessage::Executing(d) => serde_json::to_value(d),
            ServerMessage::Progress(d) => serde_json::to_value(d),
            ServerMessage::ProgressState(d) => serde_json::to_value(d),
            ServerMessage::Executed(d) => serde_json::to_value(d),
            ServerMessage::ExecutionSuccess(d) => serde_json::to_value(d),
            ServerMessage::ExecutionError(d) => serde_json::to_value(d),
            ServerMessage::ExecutionInterrupted(d) => serde_json::to_value(d),
            ServerMessage::FeatureFlags(d) => serde_json::to_value(d),
            ServerMessage::Unknown { raw, .. } => Ok(raw.clone()),
        }
    }

    /// The prompt this message is about, when it names one.
    pub fn prompt_id(&self) -> Option<&str> {
        match self {
            ServerMessage::ExecutionStart(d) => Some(&d.prompt_id),
            ServerMessage::ExecutionCached(d) => Some(&d.prompt_id),
            ServerMessage::Executing(d) => d.prompt_id.as_deref(),
            ServerMessage::Progress(d) => d.prompt_id.as_deref(),
            ServerMessage::ProgressState(d) => Some(&d.prompt_id),
            ServerMessage::Executed(d) => Some(&d.prompt_id),
            ServerMessage::ExecutionSuccess(d) => Some(&d.prompt_id),
            ServerMessage::ExecutionError(d) => Some(&d.prompt_id),
            ServerMessage::ExecutionInterrupted(d) => Some(&d.prompt_id),
            ServerMessage::Unknown { raw, .. } => raw.get("prompt_id").and_then(Value::as_str),
            ServerMessage::Status(_) | ServerMessage::FeatureFlags(_) => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, ServerMessage::Unknown { .. })
    }
}

/// Where a message's `data` is decoded from: a JSON tree (history `status.messages`) or the
/// raw text of a socket frame.
trait DataSource: Copy {
    fn typed<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error>;
}

impl DataSource for &Value {
    fn typed<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        T::deserialize(self)
    }
}

impl DataSource for &str {
    fn typed<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self)
    }
}

#[derive(Serialize, Deserialize)]
struct RawMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Value,
}

impl Serialize for ServerMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawMessage {
            kind: self.kind().to_owned(),
            data: self.data_value().map_err(serde::ser::Error::custom)?,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ServerMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawMessage::deserialize(d)?;
        Ok(ServerMessage::from_parts(&raw.kind, raw.data))
    }
}

/// Binary frame event types (first 4 bytes, big endian).
pub const BINARY_PREVIEW_IMAGE: u32 = 1;
pub const BINARY_PREVIEW_IMAGE_WITH_METADATA: u32 = 4;

/// Legacy preview image format code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Other(u32),
}

impl ImageFormat {
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => ImageFormat::Jpeg,
            2 => ImageFormat::Png,
            other => ImageFormat::Other(other),
        }
    }

    pub fn code(self) -> u32 {
        match self {
            ImageFormat::Jpeg => 1,
            ImageFormat::Png => 2,
            ImageFormat::Other(c) => c,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Other(_) => "application/octet-stream",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewMetadata {
    pub node_id: String,
    pub prompt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_node_id: Option<String>,
    #[serde(default)]
    pub parent_node_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_node_id: Option<String>,
    pub image_type: String,
}

/// A binary websocket frame.
#[derive(Debug, Clone, PartialEq)]
pub enum BinaryMessage {
    /// Type 1 (clients that did not send feature_flags): format code then image bytes.
    PreviewImage {
        format: ImageFormat,
        image: Bytes,
    },
    /// Type 4: JSON metadata (which prompt and node) then image bytes.
    PreviewImageWithMetadata {
        metadata: PreviewMetadata,
        image: Bytes,
    },
    Unknown {
        event_type: u32,
        payload: Bytes,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum BinaryDecodeError {
    #[error("binary frame of {0} bytes is too short")]
    Truncated(usize),
    #[error("preview metadata length {declared} exceeds the frame ({available} bytes left)")]
    MetadataLength { declared: usize, available: usize },
    #[error("preview metadata is not valid JSON: {0}")]
    Metadata(#[from] serde_json::Error),
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

impl BinaryMessage {
    pub fn parse(frame: Bytes) -> Result<BinaryMessage, BinaryDecodeError> {
        let event_type = read_u32(&frame, 0).ok_or(BinaryDecodeError::Truncated(frame.len()))?;
        match event_type {
            BINARY_PREVIEW_IMAGE => {
                let code = read_u32(&frame, 4).ok_or(BinaryDecodeError::Truncated(frame.len()))?;
                Ok(BinaryMessage::PreviewImage {
                    format: ImageFormat::from_code(code),
                    image: frame.slice(8..),
                })
            }
            BINARY_PREVIEW_IMAGE_WITH_METADATA => {
                let len =
                    read_u32(&frame, 4).ok_or(BinaryDecodeError::Truncated(frame.len()))? as usize;
                let available = frame.len() - 8;
                if len > available {
                    return Err(BinaryDecodeError::MetadataLength {
                        declared: len,
                        available,
                    });
                }
                let metadata: PreviewMetadata = serde_json::from_slice(&frame[8..8 + len])?;
                Ok(BinaryMessage::PreviewImageWithMetadata {
                    metadata,
                    image: frame.slice(8 + len..),
                })
            }
            other => Ok(BinaryMessage::Unknown {
                event_type: other,
                payload: frame.slice(4..),
            }),
        }
    }

    /// The frame as the server sends it (used by fakes and tests).
    pub fn encode(&self) -> Result<Bytes, serde_json::Error> {
        let mut out = BytesMut::new();
        match self {
            BinaryMessage::PreviewImage { format, image } => {
                out.put_u32(BINARY_PREVIEW_IMAGE);
                out.put_u32(format.code());
                out.put_slice(image);
            }
            BinaryMessage::PreviewImageWithMetadata { metadata, image } => {
                let json = serde_json::to_vec(metadata)?;
                out.put_u32(BINARY_PREVIEW_IMAGE_WITH_METADATA);
                out.put_u32(json.len() as u32);
                out.put_slice(&json);
                out.put_slice(image);
            }
            BinaryMessage::Unknown {
                event_type,
                payload,
            } => {
                out.put_u32(*event_type);
                out.put_slice(payload);
            }
        }
        Ok(out.freeze())
    }
}
