//! What a probe found out about a file.

use serde::{Deserialize, Serialize};

use crate::kind::MediaKind;

/// Facts about one media file. Dimensions are as displayed: after EXIF orientation for images
/// and after the rotation matrix for videos (`rotation` keeps the raw angle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaFacts {
    pub kind: MediaKind,
    pub mime: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_seconds: Option<f64>,
    pub fps: Option<f64>,
    pub frame_count: Option<u64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Short codec name as ffprobe spells it: png, jpeg, webp, pcm_s16le, mp3, aac, flac,
    /// vorbis, h264, hevc, vp8, vp9.
    pub codec: Option<String>,
    pub has_video: bool,
    pub has_audio: bool,
    /// Clockwise rotation in degrees (0, 90, 180, 270) the file asks players to apply.
    pub rotation: u16,
}

impl MediaFacts {
    pub(crate) fn new(kind: MediaKind, mime: &str) -> Self {
        Self {
            kind,
            mime: mime.to_string(),
            width: None,
            height: None,
            duration_seconds: None,
            fps: None,
            frame_count: None,
            sample_rate: None,
            channels: None,
            codec: None,
            has_video: false,
            has_audio: false,
            rotation: 0,
        }
    }
}
