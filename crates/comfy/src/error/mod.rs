//! `ComfyError`: every way talking to a ComfyUI server can fail, each with a stable code, a
//! user-language message and suggestion, and the exact cause kept for operators.

mod explain;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::model::{ExecutionErrorData, ExecutionInterruptedData};
use crate::rejection::PromptRejection;

pub use explain::{human_bytes, is_model_download_failure};

#[derive(Debug, thiserror::Error)]
pub enum ComfyError {
    #[error("invalid server address {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    #[error("invalid custom auth header: {reason}")]
    InvalidAuthHeader { reason: String },
    #[error("could not set up the HTTP client: {0}")]
    ClientSetup(String),
    #[error("cannot resolve host {host}: {detail}")]
    Dns { host: String, detail: String },
    #[error("cannot connect to {host}: {detail}")]
    Unreachable { host: String, detail: String },
    #[error("TLS problem with {host}: {problem}")]
    Tls {
        host: String,
        problem: TlsProblem,
        detail: String,
    },
    #[error("{what} on {host} timed out after {after:?}")]
    Timeout {
        host: String,
        what: String,
        after: Duration,
    },
    #[error("{host} rejected the credentials (HTTP 401) on {path}")]
    Unauthorized { host: String, path: String },
    #[error("{host} refused access (HTTP 403) on {path}")]
    Forbidden { host: String, path: String },
    #[error("{host} has no {path} (HTTP 404)")]
    NotFound { host: String, path: String },
    #[error("upload of {file} ({size:?} bytes) exceeds the server limit {limit:?}")]
    UploadTooLarge {
        file: String,
        size: Option<u64>,
        limit: Option<u64>,
    },
    /// HTTP 413 that did not come from ComfyUI (its body is not aiohttp's, or the file is under
    /// the server's own limit): a proxy in front of the server has a smaller limit.
    #[error("upload of {file} ({size} bytes) refused with HTTP 413 by a proxy: {body}")]
    UploadRefusedByProxy {
        file: String,
        size: u64,
        body: String,
    },
    #[error("server error HTTP {status} on {path}: {body}")]
    ServerError {
        status: u16,
        path: String,
        body: String,
    },
    #[error("unexpected HTTP {status} on {path}: {body}")]
    UnexpectedStatus {
        status: u16,
        path: String,
        body: String,
    },
    #[error("response from {path} exceeds the {limit}-byte cap")]
    BodyTooLarge { path: String, limit: u64 },
    /// POST /prompt was sent but its answer was lost (timeout, a connection cut, an answer that
    /// is not JSON or names another prompt id): the server may have queued the prompt. Use
    /// [`crate::EventHub::reconcile`] before calling it failed or submitting it again.
    #[error("the answer to POST /prompt for {prompt_id} was lost: {cause}")]
    PromptAnswerLost {
        prompt_id: String,
        #[source]
        cause: Box<ComfyError>,
    },
    #[error("the server answered prompt id {got} for the prompt submitted as {expected}")]
    WrongPromptId { expected: String, got: String },
    /// The hub stopped following a prompt: its cause (credentials refused, answers that cannot
    /// be used, no answer, the server unreachable for too long) is in `cause`. The prompt may
    /// still run on the server; `track` it again later to learn its fate.
    #[error("stopped following prompt {prompt_id}: {cause}")]
    TrackingFailed {
        prompt_id: String,
        #[source]
        cause: Arc<ComfyError>,
    },
    #[error("malformed response from {path}: {error} (body starts {excerpt:?})")]
    MalformedBody {
        path: String,
        error: String,
        excerpt: String,
    },
    #[error("prompt rejected by the server: {}", .0.detail_lines().join("; "))]
    PromptRejected(Box<PromptRejection>),
    #[error("execution failed at node {} ({}): {}: {}", .0.node_id, .0.node_type, .0.exception_type, .0.exception_message.trim_end())]
    ExecutionFailed(Box<ExecutionErrorData>),
    #[error("execution interrupted at node {} ({})", .0.node_id, .0.node_type)]
    Interrupted(Box<ExecutionInterruptedData>),
    #[error("prompt {prompt_id} is in neither the queue nor the history of the server")]
    Vanished { prompt_id: String },
    #[error("download of {path} incomplete: expected {expected} bytes, got {received}")]
    DownloadIncomplete {
        path: String,
        expected: u64,
        received: u64,
    },
    /// An output larger than the download cap (declared by Content-Length, or while streaming).
    #[error("download of {path} refused: {} exceeds the {limit}-byte cap", .declared.map_or_else(|| "the body".to_owned(), |d| format!("declared length {d}")))]
    DownloadTooLarge {
        path: String,
        limit: u64,
        declared: Option<u64>,
    },
    #[error("download of {path} too slow: {received} bytes in {elapsed:?} ({why})")]
    DownloadTooSlow {
        path: String,
        received: u64,
        elapsed: Duration,
        why: String,
    },
    #[error("not enough free disk space in {path}: {needed:?} bytes needed, {available} available")]
    DiskFull {
        path: PathBuf,
        needed: Option<u64>,
        available: u64,
    },
    /// The server answered 200 with something that is not the media the output claims (an HTML
    /// page from a proxy, JSON, text).
    #[error("download of {path}: expected {expected}, got {content_type:?} ({why})")]
    UnexpectedContent {
        path: String,
        content_type: Option<String>,
        expected: String,
        why: String,
    },
    #[error("unsafe file name from the server {value:?}: {reason}")]
    UnsafeServerPath { value: String, reason: &'static str },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("websocket to {host}: {detail}")]
    WebSocket { host: String, detail: String },
    #[error("network error with {host}: {detail}")]
    Network { host: String, detail: String },
    #[error("the event hub has stopped")]
    HubClosed,
}

/// What is wrong with a server certificate, in words a user can pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    Expired,
    NotYetValid,
    UnknownIssuer,
    HostnameMismatch,
    Revoked,
    NotHttps,
    Other(String),
}

impl std::fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsProblem::Expired => f.write_str("its certificate has expired"),
            TlsProblem::NotYetValid => f.write_str("its certificate is not valid yet"),
            TlsProblem::UnknownIssuer => {
                f.write_str("its certificate is not signed by an authority this computer trusts")
            }
            TlsProblem::HostnameMismatch => {
                f.write_str("its certificate was issued for a different address")
            }
            TlsProblem::Revoked => f.write_str("its certificate has been revoked"),
            TlsProblem::NotHttps => f.write_str("it does not speak HTTPS on this port"),
            TlsProblem::Other(s) => write!(f, "the secure connection failed ({s})"),
        }
    }
}

impl ComfyError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ComfyError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// The innermost cause of a wrapper ([`ComfyError::TrackingFailed`],
    /// [`ComfyError::PromptAnswerLost`]).
    pub fn root_cause(&self) -> &ComfyError {
        match self {
            ComfyError::TrackingFailed { cause, .. } => cause.root_cause(),
            ComfyError::PromptAnswerLost { cause, .. } => cause.root_cause(),
            other => other,
        }
    }

    /// True for failures worth retrying later (network, timeouts, 5xx), false for answers.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ComfyError::Dns { .. }
                | ComfyError::Unreachable { .. }
                | ComfyError::Timeout { .. }
                | ComfyError::ServerError { .. }
                | ComfyError::WebSocket { .. }
                | ComfyError::Network { .. }
        )
    }
}
