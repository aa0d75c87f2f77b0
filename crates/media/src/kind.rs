//! The three kinds of media a job takes, and the file types accepted for each (shown to users
//! when a file is refused).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The accepted types, as shown to users when a file is refused.
pub const ACCEPTED_IMAGES: &str = "PNG, JPEG, WebP";
pub const ACCEPTED_AUDIO: &str = "WAV, MP3, FLAC, OGG Vorbis, M4A (AAC)";
pub const ACCEPTED_VIDEO: &str = "MP4 or MOV (H.264, H.265), WebM (VP8, VP9)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Audio,
    Video,
}

impl MediaKind {
    pub(crate) fn article(self) -> &'static str {
        match self {
            MediaKind::Image => "an image",
            MediaKind::Audio => "an audio file",
            MediaKind::Video => "a video",
        }
    }

    pub(crate) fn accepted(self) -> &'static str {
        match self {
            MediaKind::Image => ACCEPTED_IMAGES,
            MediaKind::Audio => ACCEPTED_AUDIO,
            MediaKind::Video => ACCEPTED_VIDEO,
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        })
    }
}
