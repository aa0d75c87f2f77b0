//! The input roles of the built-in templates (`ground_truth`, `audio`, …). The import API does
//! not take a role (templates will declare their own: `end_frame`, `control_video`, …): it takes
//! the [`MediaKind`] and [`ImportOptions`]; a role only names the asset in the database and
//! picks those two, see [`Role::kind`] and [`Role::import_options`].

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::kind::MediaKind;
use crate::store::ImportOptions;

/// What an asset is for in a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    GroundTruth,
    Reference,
    PoseSheet,
    MotionVideo,
    Audio,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::GroundTruth,
        Role::Reference,
        Role::PoseSheet,
        Role::MotionVideo,
        Role::Audio,
    ];

    /// The media kind this role takes.
    pub fn kind(self) -> MediaKind {
        match self {
            Role::GroundTruth | Role::Reference | Role::PoseSheet => MediaKind::Image,
            Role::MotionVideo => MediaKind::Video,
            Role::Audio => MediaKind::Audio,
        }
    }

    /// Stable snake_case name, as stored in the database and used on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GroundTruth => "ground_truth",
            Role::Reference => "reference",
            Role::PoseSheet => "pose_sheet",
            Role::MotionVideo => "motion_video",
            Role::Audio => "audio",
        }
    }
}

impl FromStr for Role {
    type Err = MediaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| MediaError::InvalidOption {
                detail: format!(
                    "unknown role '{s}'; expected one of ground_truth, reference, pose_sheet, motion_video, audio"
                ),
            })
    }
}

impl Role {
    /// `base` with this role's own requirements: a ground-truth image must have a shorter side
    /// of at least `limits.min_ground_truth_side` (unless `base` already sets a minimum).
    pub fn import_options(self, base: &ImportOptions) -> ImportOptions {
        let mut options = base.clone();
        if self == Role::GroundTruth && options.min_image_side.is_none() {
            options.min_image_side = Some(options.limits.min_ground_truth_side);
        }
        options
    }
}
