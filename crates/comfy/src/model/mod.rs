//! The typed wire model of ComfyUI 0.3.64 as captured in `../shared/comfyui` (PROTOCOL.md).
//!
//! Decoding is tolerant at run time (a newer server may add fields) while the decoding tests
//! prove, by serde_json round trips over every capture, that no captured field is dropped.

pub mod events;
pub mod files;
pub mod graph;
pub mod history;
pub mod misc;
pub mod object_info;
pub mod prompt;
pub mod queue;
pub mod system;

pub use events::{
    BinaryMessage, ExecutedData, ExecutingData, ExecutionCachedData, ExecutionErrorData,
    ExecutionInterruptedData, ExecutionStartData, ExecutionSuccessData, FeatureFlagsData,
    ImageFormat, NodeProgressState, PreviewMetadata, ProgressData, ProgressStateData,
    ServerMessage, StatusData,
};
pub use files::{FileRef, FileType, NodeOutputs, OutputFile, VideoFileRef};
pub use graph::{ApiGraph, ApiNode, InputValue};
pub use history::{History, HistoryEntry, HistoryMessage, HistoryStatus, NodeMetaInfo};
pub use misc::{Features, UploadedFile};
pub use object_info::{
    ComboEncoding, InputKind, InputSpec, NodeInputs, NodeSchema, ObjectInfo, OutputType,
};
pub use prompt::{
    NodeErrorWire, PromptAccepted, PromptErrorBody, PromptErrorWire, PromptQueueInfo, PromptRequest,
};
pub use queue::{ExtraData, Queue, QueueItem, QueueSummary, QueuedPrompt};
pub use system::{Device, SystemInfo, SystemStats};
