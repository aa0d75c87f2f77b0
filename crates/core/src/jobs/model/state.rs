//! The job state machine. Every transition is written to SQLite before it is acted on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Draft,
    Validating,
    Uploading,
    Queued,
    Executing,
    Collecting,
    Completed,
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 9] = [
        JobState::Draft,
        JobState::Validating,
        JobState::Uploading,
        JobState::Queued,
        JobState::Executing,
        JobState::Collecting,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Draft => "draft",
            JobState::Validating => "validating",
            JobState::Uploading => "uploading",
            JobState::Queued => "queued",
            JobState::Executing => "executing",
            JobState::Collecting => "collecting",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled
        )
    }

    /// Forward along the happy path (skipping is allowed: a cached prompt may go straight from
    /// queued to collecting), or to failed/cancelled from any non-terminal state.
    pub fn can_go_to(self, next: JobState) -> bool {
        if self.is_terminal() {
            return false;
        }
        match next {
            JobState::Failed | JobState::Cancelled => true,
            JobState::Draft => false,
            _ => next.rank() > self.rank(),
        }
    }

    fn rank(self) -> u8 {
        match self {
            JobState::Draft => 0,
            JobState::Validating => 1,
            JobState::Uploading => 2,
            JobState::Queued => 3,
            JobState::Executing => 4,
            JobState::Collecting => 5,
            JobState::Completed => 6,
            JobState::Failed | JobState::Cancelled => 7,
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use JobState::*;
        assert!(Draft.can_go_to(Validating));
        assert!(Validating.can_go_to(Uploading));
        assert!(
            Queued.can_go_to(Collecting),
            "cached prompts skip executing"
        );
        assert!(!Executing.can_go_to(Queued), "never backwards");
        for s in JobState::ALL {
            if s.is_terminal() {
                assert!(JobState::ALL.iter().all(|n| !s.can_go_to(*n)));
            } else {
                assert!(s.can_go_to(Failed) && s.can_go_to(Cancelled));
            }
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
    }
}
