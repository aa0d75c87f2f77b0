//! The user-language side of [`ComfyError`]: a stable code, a message and a suggestion per
//! variant, the exact cause kept as detail for operators.

use animatrix_common::{ErrorCode, Explain, UserError};

use super::{ComfyError, TlsProblem};
use crate::model::ExecutionErrorData;
use crate::rejection::{InputProblem, PromptRejection, RejectionKind};

impl ComfyError {
    pub fn code(&self) -> ErrorCode {
        self.parts().0
    }

    /// (code, message, suggestion); detail is the Display text.
    fn parts(&self) -> (ErrorCode, String, String) {
        use ComfyError as E;
        match self {
            E::InvalidBaseUrl { .. } => (
                ErrorCode::InvalidServerAddress,
                "The server address is not valid.".into(),
                "Enter a full address such as https://comfy.example.com (http or https).".into(),
            ),
            E::InvalidAuthHeader { .. } => (
                ErrorCode::InvalidAuthHeader,
                "The custom sign-in header of this endpoint is not valid.".into(),
                "Edit the endpoint in Settings: use a plain header name (letters, digits, dashes) and a value without line breaks.".into(),
            ),
            E::ClientSetup(_) => (
                ErrorCode::ClientSetupFailed,
                "Animatrix Studio could not prepare a secure connection.".into(),
                "Restart the app; if it persists, check the system's certificate store.".into(),
            ),
            E::Dns { host, .. } => (
                ErrorCode::ServerNotFound,
                format!("The server name {host} could not be found."),
                "Check the address for typos and that this computer is online.".into(),
            ),
            E::Unreachable { host, .. } => (
                ErrorCode::ServerUnreachable,
                format!("Cannot connect to the server at {host}."),
                "Check that the server is running and reachable from this network, and that the address and port are right.".into(),
            ),
            E::Tls { host, problem, .. } => (
                ErrorCode::TlsCertificateInvalid,
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
                ErrorCode::ServerTimeout,
                format!("The server at {host} took too long to answer."),
                "Try again; if it keeps happening the server or the network is overloaded.".into(),
            ),
            E::Unauthorized { .. } => (
                ErrorCode::AuthRejected,
                "The server did not accept the saved credentials.".into(),
                "Check the endpoint's token or password in Settings.".into(),
            ),
            E::Forbidden { .. } => (
                ErrorCode::AuthForbidden,
                "The server refused access with these credentials.".into(),
                "Ask the server operator to grant this account access, or use other credentials.".into(),
            ),
            E::NotFound { .. } => (
                ErrorCode::NotFound,
                "The server does not offer what was asked for.".into(),
                "Check that the address points at a ComfyUI server (0.3.64 or newer), including any path prefix.".into(),
            ),
            E::UploadRefusedByProxy { size, .. } => (
                ErrorCode::UploadRefusedByProxy,
                format!(
                    "A proxy in front of the server refused the upload of this file ({}).",
                    human_bytes(*size)
                ),
                "Ask the server operator to raise the proxy's request size limit (for nginx: client_max_body_size), or use a smaller file.".into(),
            ),
            E::UploadTooLarge { size, limit, .. } => (
                ErrorCode::UploadTooLarge,
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
                ErrorCode::ServerError,
                "The server had an internal error.".into(),
                "Try again in a moment; if it keeps happening, contact the server operator.".into(),
            ),
            E::UnexpectedStatus { status, .. } => (
                ErrorCode::UnexpectedResponse,
                format!("The server answered with an unexpected status ({status})."),
                "Check that the address points at a ComfyUI server and not at another web service.".into(),
            ),
            E::BodyTooLarge { .. } => (
                ErrorCode::ResponseTooLarge,
                "The server sent a far larger answer than expected; it was not read.".into(),
                "Check that the address points at a ComfyUI server; contact the operator if it does.".into(),
            ),
            E::PromptAnswerLost { .. } => (
                ErrorCode::PromptAnswerLost,
                "The server did not confirm that it accepted the job; it may be running anyway.".into(),
                "Wait a moment: Animatrix Studio checks the server's queue and history before calling the job failed.".into(),
            ),
            E::WrongPromptId { .. } => (
                ErrorCode::UnexpectedResponse,
                "The server confirmed a different job than the one sent.".into(),
                "Check that the address points at a ComfyUI server (0.3.64 or newer) and not at a proxy that rewrites answers.".into(),
            ),
            E::TrackingFailed { cause, .. } => cause.parts(),
            E::DownloadTooLarge { limit, declared, .. } => (
                ErrorCode::DownloadTooLarge,
                match declared {
                    Some(d) => format!(
                        "The server offered a result of {}, more than the {} Animatrix Studio accepts; it was not downloaded.",
                        human_bytes(*d),
                        human_bytes(*limit)
                    ),
                    None => format!(
                        "The server sent more than {} for one result; the download was stopped.",
                        human_bytes(*limit)
                    ),
                },
                "Check the server: a result this large is not a normal video. Contact the operator if it persists.".into(),
            ),
            E::DownloadTooSlow { .. } => (
                ErrorCode::DownloadTooSlow,
                "The result downloaded too slowly and was stopped.".into(),
                "Check the network connection and try again; if it persists, the server or its proxy is overloaded.".into(),
            ),
            E::DiskFull { available, needed, .. } => (
                ErrorCode::DiskFull,
                match needed {
                    Some(n) => format!(
                        "Not enough free disk space for the result ({} needed, {} free).",
                        human_bytes(*n),
                        human_bytes(*available)
                    ),
                    None => format!(
                        "The disk is almost full ({} free); the result was not saved.",
                        human_bytes(*available)
                    ),
                },
                "Free some disk space, then collect the result again.".into(),
            ),
            E::UnexpectedContent { .. } => (
                ErrorCode::DownloadUnexpectedContent,
                "The server sent something other than the expected result (for example a web page from a proxy).".into(),
                "Check the server address and any proxy or login page in front of the server; then try again.".into(),
            ),
            E::MalformedBody { .. } => (
                ErrorCode::MalformedResponse,
                "The server sent an answer Animatrix Studio does not understand.".into(),
                "Check that the address points at a ComfyUI server (0.3.64 or newer).".into(),
            ),
            E::PromptRejected(r) => rejection_parts(r),
            E::ExecutionFailed(e) => execution_parts(e),
            E::Interrupted(_) => (
                ErrorCode::GenerationInterrupted,
                "The generation was stopped on the server before it finished.".into(),
                "Generate again when ready.".into(),
            ),
            E::Vanished { .. } => (
                ErrorCode::LostOnServer,
                "The server no longer knows this job; it was probably restarted.".into(),
                "Retry the job.".into(),
            ),
            E::DownloadIncomplete { .. } => (
                ErrorCode::DownloadIncomplete,
                "The result could not be downloaded completely.".into(),
                "Try downloading again; check the network connection.".into(),
            ),
            E::UnsafeServerPath { .. } => (
                ErrorCode::UnsafeServerFileName,
                "The server reported a result file with an unsafe name, so it was not saved.".into(),
                "Contact the server operator: the server may be misconfigured or compromised.".into(),
            ),
            E::Io { .. } => (
                ErrorCode::LocalFileError,
                "A file on this computer could not be read or written.".into(),
                "Check free disk space and that the file still exists and is readable.".into(),
            ),
            E::WebSocket { .. } => (
                ErrorCode::LiveUpdatesUnavailable,
                "Live progress from the server is not available.".into(),
                "Jobs still finish; if this persists, check that the server or its proxy allows WebSocket connections.".into(),
            ),
            E::Network { host, .. } => (
                ErrorCode::NetworkError,
                format!("The connection to {host} broke."),
                "Check the network and try again.".into(),
            ),
            E::HubClosed => (
                ErrorCode::EventHubStopped,
                "Animatrix Studio stopped following the server.".into(),
                "Restart the app.".into(),
            ),
        }
    }
}

fn rejection_parts(r: &PromptRejection) -> (ErrorCode, String, String) {
    let update = "Update Animatrix Studio or its workflow templates; send the details to support if it persists.";
    match &r.kind {
        RejectionKind::UnknownNodeType { .. } => (
            ErrorCode::ServerMissingExtension,
            "The server lacks an extension this kind of video needs.".into(),
            "Ask the server operator to install the custom nodes listed in the template's manifest (see details).".into(),
        ),
        RejectionKind::MissingClassType { .. } | RejectionKind::InvalidPrompt { .. } => (
            ErrorCode::WorkflowInvalid,
            "The job's workflow is malformed.".into(),
            update.into(),
        ),
        RejectionKind::NoOutputs => (
            ErrorCode::WorkflowNoOutputs,
            "The job's workflow would not produce any result.".into(),
            update.into(),
        ),
        RejectionKind::NoPrompt => (
            ErrorCode::WorkflowMissing,
            "The request to the server contained no workflow.".into(),
            update.into(),
        ),
        RejectionKind::Other { .. } => (
            ErrorCode::PromptRejected,
            "The server refused the job.".into(),
            update.into(),
        ),
        RejectionKind::FailedValidation { .. } => match r.primary_problem().map(|(_, p)| p) {
            None => (
                ErrorCode::WorkflowInvalid,
                "The job's workflow is malformed (its steps form a loop).".into(),
                update.into(),
            ),
            Some(p) => problem_parts(p, update),
        },
    }
}

fn problem_parts(p: &InputProblem, update: &str) -> (ErrorCode, String, String) {
    match p {
        InputProblem::RequiredInputMissing { .. } => (
            ErrorCode::WorkflowSettingMissing,
            "The job's workflow lacks a setting the server requires.".into(),
            update.into(),
        ),
        InputProblem::ValueNotInList { .. } => (
            ErrorCode::ServerMissingModel,
            "The server does not have a model or option this job needs.".into(),
            "Ask the server operator to install the models listed in the template's manifest (see details), or choose another quality.".into(),
        ),
        InputProblem::ValueSmallerThanMin { .. } => (
            ErrorCode::SettingTooSmall,
            "A setting is below what the server accepts.".into(),
            "Choose a larger value (for example a longer duration or a bigger size).".into(),
        ),
        InputProblem::ValueBiggerThanMax { .. } => (
            ErrorCode::SettingTooLarge,
            "A setting is above what the server accepts.".into(),
            "Choose a smaller value (for example a shorter duration or a smaller size).".into(),
        ),
        InputProblem::InvalidInputType { .. } => (
            ErrorCode::SettingWrongKind,
            "A setting has a value of the wrong kind (for example text where a number is expected).".into(),
            update.into(),
        ),
        InputProblem::ReturnTypeMismatch { .. } => (
            ErrorCode::WorkflowIncompatible,
            "This workflow does not fit the extensions installed on the server.".into(),
            "Ask the server operator to update the server's custom nodes, or use a template version made for this server.".into(),
        ),
        InputProblem::CustomValidationFailed { .. } => (
            ErrorCode::ServerInputUnreadable,
            "The server could not find or read a file uploaded for this job.".into(),
            "Generate again so the files are uploaded again; if it persists, check the file and the server's free disk space.".into(),
        ),
        InputProblem::ExceptionDuringInnerValidation { .. } => (
            ErrorCode::WorkflowInvalid,
            "The job's workflow is malformed (a step refers to one that does not exist).".into(),
            update.into(),
        ),
        InputProblem::Other { .. } => (
            ErrorCode::PromptRejected,
            "The server refused the job.".into(),
            update.into(),
        ),
    }
}

fn execution_parts(e: &ExecutionErrorData) -> (ErrorCode, String, String) {
    let text = format!("{} {}", e.exception_type, e.exception_message).to_lowercase();
    if text.contains("out of memory") || text.contains("outofmemory") {
        (
            ErrorCode::ServerOutOfMemory,
            "The server ran out of graphics memory while generating.".into(),
            "Try Draft quality, a shorter duration, or wait until the server is less busy.".into(),
        )
    } else if is_model_download_failure(e) {
        (
            ErrorCode::ModelDownloadFailed,
            "A step on the server needed to download a model file on first use, and the download failed (the server may have no internet access).".into(),
            "Ask the server operator to pre-seed the file named in the details (see `animatrix templates`), or allow the server to reach Hugging Face.".into(),
        )
    } else if e.exception_type == "FileNotFoundError" {
        (
            ErrorCode::ServerFileMissing,
            "The server could not find a file this job needs.".into(),
            "Generate again; if it persists, ask the server operator to check the server's models and input folder.".into(),
        )
    } else if e.node_type.contains("Loader") {
        (
            ErrorCode::ServerModelBroken,
            "A model on the server is missing or damaged.".into(),
            "Ask the server operator to re-install the models listed in the template's manifest (see details).".into(),
        )
    } else {
        (
            ErrorCode::GenerationFailed,
            "The server failed while generating the video.".into(),
            "Try again; if it fails again, send the details to the server operator.".into(),
        )
    }
}

/// Custom nodes (comfyui_controlnet_aux, ...) fetch their checkpoints from Hugging Face on first
/// use; offline that surfaces as huggingface_hub's `LocalEntryNotFoundError` (or a connection
/// error naming huggingface.co), which no retry fixes: the file must be pre-seeded.
/// A wrapped error (a node catching it and raising its own) still carries huggingface_hub's
/// exception line in the traceback; a mere frame inside huggingface_hub code does not count.
pub fn is_model_download_failure(e: &ExecutionErrorData) -> bool {
    let text = format!("{} {}", e.exception_type, e.exception_message).to_lowercase();
    e.exception_type.ends_with("EntryNotFoundError")
        || text.contains("huggingface.co")
        || e.traceback.iter().any(|l| is_hub_exception_line(l))
}

/// `huggingface_hub.errors.LocalEntryNotFoundError: ...` (one line of a traceback, possibly
/// several lines in one string).
fn is_hub_exception_line(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("huggingface_hub.")
            && l.split_once(':')
                .is_some_and(|(ty, _)| ty.ends_with("Error") && !ty.contains(' '))
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    /// Every new failure of issue 15 explains itself in user words with its own code.
    #[test]
    fn new_failures_have_codes_messages_and_suggestions() {
        let lost = || {
            Box::new(ComfyError::Timeout {
                host: "h".into(),
                what: "/prompt".into(),
                after: Duration::from_secs(30),
            })
        };
        let cases = [
            (
                ComfyError::DownloadTooLarge {
                    path: "/view".into(),
                    limit: 8 << 30,
                    declared: Some(20 << 30),
                },
                "download_too_large",
            ),
            (
                ComfyError::DownloadTooSlow {
                    path: "/view".into(),
                    received: 3,
                    elapsed: Duration::from_secs(30),
                    why: "below the minimum".into(),
                },
                "download_too_slow",
            ),
            (
                ComfyError::DiskFull {
                    path: "/tmp".into(),
                    needed: Some(1 << 30),
                    available: 1 << 20,
                },
                "disk_full",
            ),
            (
                ComfyError::UnexpectedContent {
                    path: "/view".into(),
                    content_type: Some("text/html".into()),
                    expected: "a video".into(),
                    why: "a document".into(),
                },
                "download_unexpected_content",
            ),
            (
                ComfyError::UploadRefusedByProxy {
                    file: "a.png".into(),
                    size: 1024,
                    body: String::new(),
                },
                "upload_refused_by_proxy",
            ),
            (
                ComfyError::PromptAnswerLost {
                    prompt_id: "p".into(),
                    cause: lost(),
                },
                "prompt_answer_lost",
            ),
            (
                ComfyError::TrackingFailed {
                    prompt_id: "p".into(),
                    cause: Arc::new(ComfyError::Unauthorized {
                        host: "h".into(),
                        path: "/queue".into(),
                    }),
                },
                "auth_rejected",
            ),
        ];
        for (error, code) in cases {
            let user = error.explain();
            assert_eq!(user.code, code, "{error}");
            assert!(
                !user.message.is_empty() && !user.suggestion.is_empty(),
                "{code}"
            );
            assert!(!user.detail.is_empty(), "{code}");
        }
        let lost = ComfyError::PromptAnswerLost {
            prompt_id: "p".into(),
            cause: lost(),
        };
        assert_eq!(lost.root_cause().code(), "server_timeout");
    }

    fn node_error(exception_type: &str, message: &str, traceback: &[&str]) -> ExecutionErrorData {
        serde_json::from_value(serde_json::json!({
            "prompt_id": "p", "node_id": "7", "node_type": "DWPreprocessor",
            "exception_message": message, "exception_type": exception_type,
            "traceback": traceback,
        }))
        .expect("a valid execution_error body")
    }

    /// Only huggingface_hub's own exception (raised, wrapped, or a connection to its host) is a
    /// download failure; a frame inside huggingface_hub code on the way to another error is not.
    #[test]
    fn model_download_failure_is_the_hub_exception_not_any_frame() {
        let hub_raised = node_error(
            "huggingface_hub.errors.LocalEntryNotFoundError",
            "offline",
            &[],
        );
        assert!(is_model_download_failure(&hub_raised));
        let wrapped = node_error(
            "RuntimeError",
            "could not load the annotator",
            &[
                "  File \"/x/huggingface_hub/file_download.py\", line 1, in hf_hub_download\n",
                "huggingface_hub.errors.LocalEntryNotFoundError: Cannot find the requested files\n",
            ],
        );
        assert!(is_model_download_failure(&wrapped));
        let connection = node_error(
            "OSError",
            "We couldn't connect to 'https://huggingface.co'",
            &[],
        );
        assert!(is_model_download_failure(&connection));
        let oom_via_hub_frame = node_error(
            "torch.OutOfMemoryError",
            "CUDA out of memory",
            &[
                "  File \"/x/huggingface_hub/utils/_validators.py\", line 114, in _inner_fn (Error handling)\n",
                "torch.OutOfMemoryError: CUDA out of memory\n",
            ],
        );
        assert!(!is_model_download_failure(&oom_via_hub_frame));
    }
}
