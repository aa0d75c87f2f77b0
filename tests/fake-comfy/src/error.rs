//! Errors of the fake server itself (never the ComfyUI error bodies it serves).

use std::path::PathBuf;

use animatrix_common::{ErrorCode, Explain, UserError};

#[derive(Debug, thiserror::Error)]
pub enum FakeComfyError {
    #[error("cannot read capture file {path}: {source}")]
    CaptureRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("capture file {path} is not valid JSON: {source}")]
    CaptureParse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("capture file {path} is not {what}")]
    CaptureShape { path: PathBuf, what: String },
    #[error("captures unavailable: {0}")]
    CapturesUnavailable(String),
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot start a runtime for the fake server: {source}")]
    Runtime { source: std::io::Error },
    #[error("cannot prepare data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Explain for FakeComfyError {
    fn explain(&self) -> UserError {
        let (code, message, suggestion) = match self {
            Self::CaptureRead { .. } | Self::CapturesUnavailable(_) => (
                "fake_captures_missing",
                "The fake ComfyUI server cannot find its protocol captures.",
                "Check that the shared/comfyui folder sits beside the repository.",
            ),
            Self::CaptureParse { .. } | Self::CaptureShape { .. } => (
                "fake_captures_invalid",
                "A protocol capture file of the fake ComfyUI server is damaged.",
                "Restore the shared/comfyui folder or fix the overlay file.",
            ),
            Self::Bind { .. } => (
                "fake_bind_failed",
                "The fake ComfyUI server cannot listen on its port.",
                "Pick another port or let the system choose one (port 0).",
            ),
            Self::Runtime { .. } => (
                "fake_runtime_failed",
                "The fake ComfyUI server cannot start its worker threads.",
                "Check the machine's thread and memory limits.",
            ),
            Self::DataDir { .. } => (
                "fake_data_dir_failed",
                "The fake ComfyUI server cannot prepare its data folder.",
                "Check the folder exists and is writable.",
            ),
        };
        // Test infrastructure, not the product: its own code travels in the detail.
        UserError::new(ErrorCode::Internal, message, suggestion)
            .with_detail(format!("{code}: {self}"))
    }
}
