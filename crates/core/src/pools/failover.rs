//! When a pool job moves to another member, without the user doing anything. Two cases only:
//! the member refused or could not be reached *before* it accepted our prompt (nothing can run
//! twice), and a prompt the member accepted and then lost to a restart (`lost_on_server`: it is
//! in neither its queue nor its history, so it will never run there).

use animatrix_common::{ErrorCode, ExitClass, UserError};

use super::PoolView;
use crate::jobs::{JobRecord, Relation};

/// Refusals that belong to the member, not to the job: another member may well accept it.
const MEMBER_REFUSALS: &[ErrorCode] = &[
    ErrorCode::ServerNotReady,
    ErrorCode::NodesMissing,
    ErrorCode::DeviceRequired,
    ErrorCode::ProfileUnavailable,
    ErrorCode::TemplateIncompatible,
    ErrorCode::ServerMissingModel,
    ErrorCode::ServerMissingExtension,
    ErrorCode::PromptRejected,
    ErrorCode::WorkflowInvalid,
    ErrorCode::UploadTooLarge,
];

/// Whether a failure while sending a job to a member (preflight, upload, bind, POST /prompt)
/// means "try the next member". Never for a lost POST answer: that member may have queued the
/// prompt, and sending it elsewhere could run it twice (the engine asks that member instead).
/// Never for the user's own input or a local problem: every member would refuse it alike.
pub fn moves_to_next_member(err: &UserError) -> bool {
    if err.code == ErrorCode::PromptAnswerLost {
        return false;
    }
    err.code.exit_class() == ExitClass::ServerUnreachable || MEMBER_REFUSALS.contains(&err.code)
}

/// A lost POST answer (a timeout, a cut, a 5xx from a proxy) moves the job on only once that
/// member, asked again, says it does not have the prompt: then nothing can run twice.
pub fn moves_on_once_member_denies(err: &UserError) -> bool {
    err.code == ErrorCode::PromptAnswerLost
}

/// Whether a job that just failed should be sent once more to another member of `pool`: the
/// member lost it to a restart, the pool allows failover, and the job is not itself such a
/// resubmission (once only, so a pool of flapping servers cannot loop).
pub fn resubmits_lost(job: &JobRecord, err: &UserError, pool: &PoolView) -> bool {
    err.code == ErrorCode::LostOnServer
        && pool.settings.failover
        && job.relation != Some(Relation::Failover)
        && !job.cancel_requested
        && !job.is_demo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: ErrorCode) -> UserError {
        UserError::new(code, "m", "s")
    }

    #[test]
    fn only_refusals_before_acceptance_move_on() {
        for code in [
            ErrorCode::ServerUnreachable,
            ErrorCode::ServerError,
            ErrorCode::ServerTimeout,
            ErrorCode::AuthRejected,
            ErrorCode::ServerNotReady,
            ErrorCode::PromptRejected,
        ] {
            assert!(moves_to_next_member(&err(code)), "{code}");
        }
        for code in [
            ErrorCode::PromptAnswerLost,
            ErrorCode::ImageTooSmall,
            ErrorCode::StorageError,
            ErrorCode::ExecutionError,
            ErrorCode::Cancelled,
        ] {
            assert!(!moves_to_next_member(&err(code)), "{code}");
        }
    }
}
