//! Per-kind size limits, checked from metadata and headers before anything large is read.

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::kind::MediaKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest image file accepted, in bytes.
    pub max_image_bytes: u64,
    /// Largest audio file accepted, in bytes.
    pub max_audio_bytes: u64,
    /// Largest video file accepted, in bytes.
    pub max_video_bytes: u64,
    /// Decompression-bomb cap: declared width x height above this is refused before decoding.
    pub max_image_pixels: u64,
    /// Shorter side below this is refused for the ground-truth role.
    pub min_ground_truth_side: u32,
    /// Longest audio accepted, in seconds.
    pub max_audio_seconds: f64,
    /// Longest video accepted, in seconds.
    pub max_video_seconds: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_image_bytes: 64 * 1024 * 1024,
            max_audio_bytes: 512 * 1024 * 1024,
            max_video_bytes: 4 * 1024 * 1024 * 1024,
            // 100 MP covers 108 MP phone photos' smaller modes and all 48/50 MP ones; decoded
            // RGB8 that is 300 MB, the most this process ever holds.
            max_image_pixels: 100_000_000,
            min_ground_truth_side: 256,
            max_audio_seconds: 600.0,
            max_video_seconds: 600.0,
        }
    }
}

impl Limits {
    pub fn max_bytes(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.max_image_bytes,
            MediaKind::Audio => self.max_audio_bytes,
            MediaKind::Video => self.max_video_bytes,
        }
    }

    /// Refuses a file from its size on disk, before reading its content.
    pub fn check_size(&self, kind: MediaKind, size: u64) -> Result<(), MediaError> {
        let max = self.max_bytes(kind);
        if size > max {
            return Err(MediaError::FileTooLarge { kind, size, max });
        }
        Ok(())
    }
}
