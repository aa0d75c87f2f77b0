//! Exit codes, distinct per failure class so scripts can branch on them. The class of every
//! error code is decided once, in `animatrix_common::ErrorCode`'s table.

use animatrix_common::{ErrorCode, ExitClass, UserError};

/// The error a command ends with, plus the class that picks the exit code.
#[derive(Debug)]
pub struct Failure {
    pub error: UserError,
    pub class: ExitClass,
}

impl Failure {
    /// The user's input was refused (exit 2).
    pub fn invalid(message: String, suggestion: &str) -> Failure {
        Failure::from_user_error(UserError::new(ErrorCode::InvalidInput, message, suggestion))
    }

    /// Something on our side failed (exit 1).
    pub fn internal(message: &str, detail: String) -> Failure {
        Failure::from_user_error(
            UserError::new(ErrorCode::Internal, message, "See the log.").with_detail(detail),
        )
    }

    /// An error already explained elsewhere (a job's failure, a preflight result).
    pub fn from_user_error(error: UserError) -> Failure {
        let class = error.code.exit_class();
        Failure { error, class }
    }

    pub fn exit_code(&self) -> std::process::ExitCode {
        std::process::ExitCode::from(self.class.exit_code())
    }
}

impl<E: animatrix_common::Explain> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::from_user_error(e.explain())
    }
}
