//! Exit codes, distinct per failure class so scripts can branch on them.

use animatrix_common::UserError;

/// The error a command ends with, plus the class that picks the exit code.
#[derive(Debug)]
pub struct Failure {
    pub error: UserError,
    pub class: FailureClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// 1: anything not covered below (storage, keychain, internal).
    Other,
    /// 2: the user's input was refused (bad URL, bad file, unknown name). clap also uses 2.
    InvalidInput,
    /// 3: the server could not be reached or refused us.
    ServerUnreachable,
    /// 4: the generation ran and failed on the server.
    GenerationFailed,
    /// 5: the job was cancelled.
    Cancelled,
}

impl Failure {
    /// The user's input was refused (exit 2).
    pub fn invalid(message: String, suggestion: &str) -> Failure {
        Failure {
            error: UserError::new("invalid_input", message, suggestion),
            class: FailureClass::InvalidInput,
        }
    }

    /// Something on our side failed (exit 1).
    pub fn internal(message: &str, detail: String) -> Failure {
        Failure {
            error: UserError::new("internal_error", message, "See the log.").with_detail(detail),
            class: FailureClass::Other,
        }
    }

    /// An error already explained elsewhere (a job's failure, a preflight result).
    pub fn from_user_error(error: UserError) -> Failure {
        let class = classify(&error.code);
        Failure { error, class }
    }

    pub fn exit_code(&self) -> std::process::ExitCode {
        std::process::ExitCode::from(match self.class {
            FailureClass::Other => 1,
            FailureClass::InvalidInput => 2,
            FailureClass::ServerUnreachable => 3,
            FailureClass::GenerationFailed => 4,
            FailureClass::Cancelled => 5,
        })
    }
}

/// Picks the class from the stable error code.
pub fn classify(code: &str) -> FailureClass {
    match code {
        "invalid_url"
        | "invalid_endpoint_name"
        | "unknown_auth_kind"
        | "duplicate_endpoint"
        | "endpoint_not_found"
        | "secret_required"
        | "no_default_endpoint"
        | "invalid_input" => FailureClass::InvalidInput,
        c if c.starts_with("file_")
            || c.starts_with("image_")
            || c.starts_with("audio_")
            || c.starts_with("video_")
            || matches!(
                c,
                "unsupported_type"
                    | "type_mismatch"
                    | "invalid_option"
                    | "invalid_setting"
                    | "job_not_found"
                    | "asset_not_found"
            ) =>
        {
            FailureClass::InvalidInput
        }
        "server_unreachable"
        | "server_not_found"
        | "server_timeout"
        | "auth_rejected"
        | "auth_forbidden"
        | "tls_certificate_invalid"
        | "network_error" => FailureClass::ServerUnreachable,
        c if c.starts_with("demo_") || c.starts_with("input_") || c == "too_many_inputs" => {
            FailureClass::InvalidInput
        }
        _ => FailureClass::Other,
    }
}

impl<E: animatrix_common::Explain> From<E> for Failure {
    fn from(e: E) -> Self {
        let error = e.explain();
        let class = classify(&error.code);
        Failure { error, class }
    }
}
