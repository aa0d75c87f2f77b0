//! Types every layer shares: the user-facing error shape.
//!
//! Each crate keeps its own `thiserror` error enum; at the UI/CLI edge every failure becomes a
//! [`UserError`] (`code` + `message` + `suggestion` in user language) while `detail` keeps the
//! exact cause for operators and the log.

mod code;

pub use code::{ErrorCode, ExitClass};
use serde::{Deserialize, Serialize};

/// The one shape a failure takes at the edge of the product (UI, CLI, demo player).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UserError {
    /// Stable machine code, e.g. `image_too_small` (see [`ErrorCode`]). Never reworded once
    /// shipped; it decides the CLI's exit class.
    pub code: ErrorCode,
    /// What happened, in user language. No node names, no stack traces.
    pub message: String,
    /// What the user can do about it.
    pub suggestion: String,
    /// The exact cause for operators (raw server body, exception text, io error). May be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl UserError {
    pub fn new(code: ErrorCode, message: impl Into<String>, suggestion: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            suggestion: suggestion.into(),
            detail: String::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.code, self.message, self.suggestion)
    }
}

/// Implemented by every crate's error type so the edges can render it the same way.
pub trait Explain {
    fn explain(&self) -> UserError;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_is_omitted_from_json_when_empty() {
        let e = UserError::new(ErrorCode::Internal, "m", "s");
        let json = serde_json::to_string(&e).expect("serialize");
        assert!(!json.contains("detail"), "{json}");
        let json = serde_json::to_string(&e.with_detail("raw")).expect("serialize");
        assert!(json.contains("\"detail\":\"raw\""), "{json}");
    }
}
