//! What the planner reports: an issue (or warning) and the control it belongs to.

use animatrix_common::{ErrorCode, Explain};
use serde::{Deserialize, Serialize};

use crate::WorkflowError;

/// The control an issue belongs to, so the window shows it next to that control.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IssueField {
    /// The template or server as a whole (mode switch).
    Template,
    Prompt,
    NegativePrompt,
    Profile,
    Aspect,
    Framing,
    Seed,
    Points,
    TargetDuration,
    /// An input chip.
    Input {
        role: String,
    },
    /// An Advanced parameter.
    Param {
        name: String,
    },
}

impl IssueField {
    /// Where issues of this control come in the list: the order a user fixes them in (what
    /// the template and server allow, then files, then choices, then words).
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::Template => 0,
            Self::Input { .. } => 1,
            Self::Points => 2,
            Self::Profile => 3,
            Self::Aspect => 4,
            Self::Framing => 5,
            Self::TargetDuration => 6,
            Self::Param { .. } => 7,
            Self::Prompt => 8,
            Self::NegativePrompt => 9,
            Self::Seed => 10,
        }
    }

    pub fn input(role: &str) -> Self {
        Self::Input {
            role: role.to_owned(),
        }
    }

    pub fn param(name: &str) -> Self {
        Self::Param {
            name: name.to_owned(),
        }
    }
}

/// One thing the user should know: a blocking issue (in [`Plan::issues`]) or a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PlanIssue {
    /// Stable machine code (the [`WorkflowError::code`] for blocking issues).
    pub code: ErrorCode,
    pub field: IssueField,
    pub message: String,
    /// What to do about it; empty when there is nothing to do.
    pub suggestion: String,
}

impl PlanIssue {
    pub(crate) fn warning(code: ErrorCode, field: IssueField, message: String) -> Self {
        Self {
            code,
            field,
            message,
            suggestion: String::new(),
        }
    }

    pub(crate) fn from_error(field: IssueField, e: &WorkflowError) -> Self {
        let u = e.explain();
        Self {
            code: u.code,
            field,
            message: u.message,
            suggestion: u.suggestion,
        }
    }
}
