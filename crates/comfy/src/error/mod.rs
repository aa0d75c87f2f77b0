//! `ComfyError`: every way talking to a ComfyUI server can fail, each with a stable code, a
//! user-language message and suggestion, and the exact cause kept for operators.

use std::path::PathBuf;
use std::time::Duration;

use animatrix_common::{Explain, UserError};

use crate::model::{ExecutionErrorData, ExecutionInterruptedData};
use crate::rejection::{InputProblem, PromptRejection, RejectionKind};

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

    pub fn code(&self) -> &'static str {
        self.parts().0
    }

    /// (code, message, suggestion); detail is the Display text.
    fn parts(&self) -> (&'static str, String, String) {
        use ComfyError as E;
        match self {
            E::InvalidBaseUrl { .. } => (
                "invalid_server_address",
                "The server address is not valid.".into(),
                "Enter a full address such as https://comfy.example.com (http or https).".into(),
            ),
            E::InvalidAuthHeader { .. } => (
                "invalid_auth_header",
                "The custom sign-in header of this endpoint is not valid.".into(),
                "Edit the endpoint in Settings: use a plain header name (letters, digits, dashes) and a value without line breaks.".into(),
            ),
            E::ClientSetup(_) => (
                "client_setup_failed",
                "Animatrix Studio could not prepare a secure connection.".into(),
                "Restart the app; if it persists, check the system's certificate store.".into(),
            ),
            E::Dns { host, .. } => (
                "server_not_found",
                format!("The server name {host} could not be found."),
                "Check the address for typos and that this computer is online.".into(),
            ),
            E::Unreachable { host, .. } => (
                "server_unreachable",
                format!("Cannot connect to the server at {host}."),
                "Check that the server is running and reachable from this network, and that the address and port are right.".into(),
            ),
            E::Tls { host, problem, .. } => (
                "tls_certificate_invalid",
                format!("The secure connection to {host} failed: {problem}."),
                match problem {
                    TlsProblem::Expired | TlsProblem::NotYetValid | TlsProblem::Revoked => {
                        "Ask the server operator to renew the certificate, and check this computer's date and time.".into()
                    }
                    TlsProblem::UnknownIssuer => {
                        "Ask the operator for a certificate from a public authority, or install the server's certificate authority in this computer's trust store.".into()
                    }
                    TlsProblem::HostnameMismatch => {
                        "Check that the address is exactly the one the server's certificate was issued for.".into()
                    }
                    TlsProblem::NotHttps => {
                        "The server may only offer plain http: check the address's http/https and port.".into()
                    }
                    TlsProblem::Other(_) => {
                        "Check the address, and ask the operator to check the server's certificate.".into()
                    }
                },
            ),
            E::Timeout { host, .. } => (
                "server_timeout",
                format!("The server at {host} took too long to answer."),
                "Try again; if it keeps happening the server or the network is overloaded.".into(),
            ),
            E::Unauthorized { .. } => (
                "auth_rejected",
                "The server did not accept the saved credentials.".into(),
                "Check the endpoint's token or password in Settings.".into(),
            ),
            E::Forbidden { .. } => (
                "auth_forbidden",
                "The server refused access with these credentials.".into(),
                "Ask the server operator to grant this account access, or use other credentials.".into(),
            ),
            E::NotFound { .. } => (
                "not_found",
                "The server does not offer what was asked for.".into(),
                "Check that the address points at a ComfyUI server (0.3.64 or newer), including any path prefix.".into(),
            ),
            E::UploadTooLarge { size, limit, .. } => (
                "upload_too_large",
                match (limit, size) {
                    (Some(l), Some(s)) => format!(
                        "The file ({}) is larger than this server accepts ({}).",
                        human_bytes(*s),
                        human_bytes(*l)
                    ),
                    (Some(l), None) => {
                        format!("The file is larger than this server accepts ({}).", human_bytes(*l))
                    }
                    _ => "The file is larger than this server accepts.".into(),
                },
                "Use a shorter or smaller file, or ask the server operator to raise the upload limit (ComfyUI --max-upload-size).".into(),
            ),
            E::ServerError { .. } => (
                "server_error",
                "The server had an internal error.".into(),
                "Try again in a moment; if it keeps happening, contact the server operator.".into(),
            ),
            E::UnexpectedStatus { status, .. } => (
                "unexpected_response",
                format!("The server answered with an unexpected status ({status})."),
                "Check that the address points at a ComfyUI server and not at another web service.".into(),
            ),
            E::BodyTooLarge { .. } => (
                "response_too_large",
                "The server sent a far larger answer than expected; it was not read.".into(),
                "Check that the address points at a ComfyUI server; contact the operator if it does.".into(),
            ),
            E::MalformedBody { .. } => (
                "malformed_response",
                "The server sent an answer Animatrix Studio does not understand.".into(),
                "Check that the address points at a ComfyUI server (0.3.64 or newer).".into(),
            ),
            E::PromptRejected(r) => rejection_parts(r),
            E::ExecutionFailed(e) => execution_parts(e),
            E::Interrupted(_) => (
                "generation_interrupted",
                "The generation was stopped on the server before it finished.".into(),
                "Generate again when ready.".into(),
            ),
            E::Vanished { .. } => (
                "lost_on_server",
                "The server no longer knows this job; it was probably restarted.".into(),
                "Retry the job.".into(),
            ),
            E::DownloadIncomplete { .. } => (
                "download_incomplete",
                "The result could not be downloaded completely.".into(),
                "Try downloading again; check the network connection.".into(),
            ),
            E::UnsafeServerPath { .. } => (
                "unsafe_server_file_name",
                "The server reported a result file with an unsafe name, so it was not saved.".into(),
                "Contact the server operator: the server may be misconfigured or compromised.".into(),
            ),
            E::Io { .. } => (
                "local_file_error",
                "A file on this computer could not be read or written.".into(),
                "Check free disk space and that the file still exists and is readable.".into(),
            ),
            E::WebSocket { .. } => (
                "live_updates_unavailable",
                "Live progress from the server is not available.".into(),
                "Jobs still finish; if this persists, check that the server or its proxy allows WebSocket connections.".into(),
            ),
            E::Network { host, .. } => (
                "network_error",
                format!("The connection to {host} broke."),
                "Check the network and try again.".into(),
            ),
            E::HubClosed => (
                "event_hub_stopped",
                "Animatrix Studio stopped following the server.".into(),
                "Restart the app.".into(),
            ),
        }
    }
}

fn rejection_parts(r: &PromptRejection) -> (&'static str, String, String) {
    let update = "Update Animatrix Studio or its workflow templates; send the details to support if it persists.";
    match &r.kind {
        RejectionKind::UnknownNodeType { .. } => (
            "server_missing_extension",
            "The server lacks an extension this kind of video needs.".into(),
            "Ask the server operator to install the custom nodes listed in the template's manifest (see details).".into(),
        ),
        RejectionKind::MissingClassType { .. } | RejectionKind::InvalidPrompt { .. } => (
            "workflow_invalid",
            "The job's workflow is malformed.".into(),
            update.into(),
        ),
        RejectionKind::NoOutputs => (
            "workflow_no_outputs",
            "The job's workflow would not produce any result.".into(),
            update.into(),
        ),
        RejectionKind::NoPrompt => (
            "workflow_missing",
            "The request to the server contained no workflow.".into(),
            update.into(),
        ),
        RejectionKind::Other { .. } => (
            "prompt_rejected",
            "The server refused the job.".into(),
            update.into(),
        ),
        RejectionKind::FailedValidation { .. } => match r.primary_problem().map(|(_, p)| p) {
            None => (
                "workflow_invalid",
                "The job's workflow is malformed (its steps form a loop).".into(),
                update.into(),
            ),
            Some(p) => problem_parts(p, update),
        },
    }
}

fn problem_parts(p: &InputProblem, update: &str) -> (&'static str, String, String) {
    match p {
        InputProblem::RequiredInputMissing { .. } => (
            "workflow_setting_missing",
            "The job's workflow lacks a setting the server requires.".into(),
            update.into(),
        ),
        InputProblem::ValueNotInList { .. } => (
            "server_missing_model",
            "The server does not have a model or option this job needs.".into(),
            "Ask the server operator to install the models listed in the template's manifest (see details), or choose another quality.".into(),
        ),
        InputProblem::ValueSmallerThanMin { .. } => (
            "setting_too_small",
            "A setting is below what the server accepts.".into(),
            "Choose a larger value (for example a longer duration or a bigger size).".into(),
        ),
        InputProblem::ValueBiggerThanMax { .. } => (
            "setting_too_large",
            "A setting is above what the server accepts.".into(),
            "Choose a smaller value (for example a shorter duration or a smaller size).".into(),
        ),
        InputProblem::InvalidInputType { .. } => (
            "setting_wrong_kind",
            "A setting has a value of the wrong kind (for example text where a number is expected).".into(),
            update.into(),
        ),
        InputProblem::ReturnTypeMismatch { .. } => (
            "workflow_incompatible",
            "This workflow does not fit the extensions installed on the server.".into(),
            "Ask the server operator to update the server's custom nodes, or use a template version made for this server.".into(),
        ),
        InputProblem::CustomValidationFailed { .. } => (
            "server_input_unreadable",
            "The server could not find or read a file uploaded for this job.".into(),
            "Generate again so the files are uploaded again; if it persists, check the file and the server's free disk space.".into(),
        ),
        InputProblem::ExceptionDuringInnerValidation { .. } => (
            "workflow_invalid",
            "The job's workflow is malformed (a step refers to one that does not exist).".into(),
            update.into(),
        ),
        InputProblem::Other { .. } => (
            "prompt_rejected",
            "The server refused the job.".into(),
            update.into(),
        ),
    }
}

fn execution_parts(e: &ExecutionErrorData) -> (&'static str, String, String) {
    let text = format!("{} {}", e.exception_type, e.exception_message).to_lowercase();
    if text.contains("out of memory") || text.contains("outofmemory") {
        (
            "server_out_of_memory",
            "The server ran out of graphics memory while generating.".into(),
            "Try Draft quality, a shorter duration, or wait until the server is less busy.".into(),
        )
    } else if e.exception_type == "FileNotFoundError" {
        (
            "server_file_missing",
            "The server could not find a file this job needs.".into(),
            "Generate again; if it persists, ask the server operator to check the server's models and input folder.".into(),
        )
    } else if e.node_type.contains("Loader") {
        (
            "server_model_broken",
            "A model on the server is missing or damaged.".into(),
            "Ask the server operator to re-install the models listed in the template's manifest (see details).".into(),
        )
    } else {
        (
            "generation_failed",
            "The server failed while generating the video.".into(),
            "Try again; if it fails again, send the details to the server operator.".into(),
        )
    }
}

/// `104857600` → `100 MB` (binary units, as ComfyUI's --max-upload-size is in MB of 2^20).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else if value.fract() < 0.05 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl Explain for ComfyError {
    fn explain(&self) -> UserError {
        let (code, message, suggestion) = self.parts();
        let detail = match self {
            ComfyError::PromptRejected(r) => r.detail_lines().join("\n"),
            ComfyError::ExecutionFailed(e) => format!(
                "node {} ({}): {}: {}\n{}",
                e.node_id,
                e.node_type,
                e.exception_type,
                e.exception_message.trim_end(),
                e.traceback.concat().trim_end()
            ),
            other => other.to_string(),
        };
        UserError::new(code, message, suggestion).with_detail(detail)
    }
}
