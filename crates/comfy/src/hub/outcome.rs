//! [`Outcome`]: how a tracked prompt ended.

use std::sync::Arc;

use crate::error::ComfyError;
use crate::model::{ExecutionErrorData, ExecutionInterruptedData, HistoryEntry};

/// How a prompt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Finished; the history entry lists the outputs to download.
    Success(Box<HistoryEntry>),
    /// A node raised (execution_error).
    Error(Box<ExecutionErrorData>),
    /// Stopped by /interrupt.
    Interrupted(Box<ExecutionInterruptedData>),
    /// In neither queue nor history: the server restarted, or the prompt was deleted while
    /// pending. The engine reports `lost_on_server` (unless it deleted it itself).
    Vanished,
    /// The hub gave up following the prompt; the error names why (credentials refused
    /// `Unauthorized`/`Forbidden`, an answer over the cap `BodyTooLarge`, unusable answers
    /// `MalformedBody`/`UnexpectedStatus`/…, no answer `Timeout`, the server unreachable for
    /// longer than the budget `Unreachable`/`Dns`/`Network`/`ServerError`). The prompt may
    /// still finish on the server: keep its id so `track`/`reconcile` can pick it up later.
    Failed(Arc<ComfyError>),
}

impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Outcome::Success(a), Outcome::Success(b)) => a == b,
            (Outcome::Error(a), Outcome::Error(b)) => a == b,
            (Outcome::Interrupted(a), Outcome::Interrupted(b)) => a == b,
            (Outcome::Vanished, Outcome::Vanished) => true,
            (Outcome::Failed(a), Outcome::Failed(b)) => {
                Arc::ptr_eq(a, b) || a.to_string() == b.to_string()
            }
            _ => false,
        }
    }
}

impl Outcome {
    /// Success's history entry, or the matching [`ComfyError`] (`Failed` becomes
    /// [`ComfyError::TrackingFailed`], explained with its cause's code).
    pub fn into_result(self, prompt_id: &str) -> Result<HistoryEntry, ComfyError> {
        match self {
            Outcome::Success(entry) => Ok(*entry),
            Outcome::Error(e) => Err(ComfyError::ExecutionFailed(e)),
            Outcome::Interrupted(i) => Err(ComfyError::Interrupted(i)),
            Outcome::Vanished => Err(ComfyError::Vanished {
                prompt_id: prompt_id.to_owned(),
            }),
            Outcome::Failed(cause) => Err(ComfyError::TrackingFailed {
                prompt_id: prompt_id.to_owned(),
                cause,
            }),
        }
    }

    pub(crate) fn label(&self) -> &'static str {
        match self {
            Outcome::Success(_) => "success",
            Outcome::Error(_) => "error",
            Outcome::Interrupted(_) => "interrupted",
            Outcome::Vanished => "vanished",
            Outcome::Failed(_) => "failed",
        }
    }
}
