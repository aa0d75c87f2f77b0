//! The one error type of the media crate, with a stable code per variant.

use animatrix_common::{ErrorCode, Explain, UserError};

use crate::kind::{ACCEPTED_VIDEO, MediaKind};

/// Every way an import or probe can fail. `code()` values are stable: never reword them.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("file is empty: {path}")]
    FileEmpty { path: String },

    #[error("no such file: {path}")]
    FileNotFound { path: String },

    /// A folder, a pipe, a device, a socket, a symbolic link that loops or points nowhere.
    #[error("not a regular file ({what}): {path}")]
    NotAFile { path: String, what: &'static str },

    #[error("unsupported type ({what})")]
    UnsupportedType {
        /// What the bytes turned out to be, e.g. "ELF executable", "GIF image", "plain text".
        what: String,
        /// The accepted types for the kind the caller wanted (or all kinds).
        accepted: String,
    },

    #[error("type mismatch: expected {expected}, found {found}")]
    TypeMismatch { expected: MediaKind, found: String },

    #[error("file too large: {size} bytes > {max} bytes for {kind}")]
    FileTooLarge {
        kind: MediaKind,
        size: u64,
        max: u64,
    },

    #[error("file truncated: {detail}")]
    FileTruncated { detail: String },

    #[error("file corrupt: {detail}")]
    FileCorrupt { detail: String },

    #[error("image too small: {width}x{height}, shorter side must be >= {min}")]
    ImageTooSmall { width: u32, height: u32, min: u32 },

    #[error("image too large: {width}x{height} declared, cap is {max_pixels} pixels")]
    ImageTooLarge {
        width: u32,
        height: u32,
        max_pixels: u64,
    },

    #[error("audio has no samples")]
    AudioEmpty { detail: String },

    #[error("audio is silent (peak {peak_dbfs:.1} dBFS)")]
    AudioSilent { peak_dbfs: f32 },

    #[error("audio too long: {seconds:.2} s > {max_seconds:.2} s")]
    AudioTooLong { seconds: f64, max_seconds: f64 },

    /// A header field (sample rate, channels) outside what any real recording uses: refused
    /// before anything is allocated or looped over from it.
    #[error("audio header declares {field} = {value}, outside {min}..={max}")]
    AudioHeaderInvalid {
        field: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },

    #[error("video has no video track ({detail})")]
    VideoNoVideoTrack { detail: String },

    #[error("video codec unsupported: {codec} in {container}")]
    VideoCodecUnsupported { codec: String, container: String },

    #[error("video too long: {seconds:.2} s > {max_seconds:.2} s")]
    VideoTooLong { seconds: f64, max_seconds: f64 },

    #[error("video preview not available for {codec}")]
    PreviewUnavailable { codec: String },

    #[error("invalid option: {detail}")]
    InvalidOption { detail: String },

    #[error("io error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl MediaError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        MediaError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        MediaError::FileCorrupt {
            detail: detail.into(),
        }
    }

    pub(crate) fn truncated(detail: impl Into<String>) -> Self {
        MediaError::FileTruncated {
            detail: detail.into(),
        }
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            MediaError::FileEmpty { .. } => ErrorCode::FileEmpty,
            MediaError::FileNotFound { .. } => ErrorCode::FileNotFound,
            MediaError::NotAFile { .. } => ErrorCode::FileNotRegular,
            MediaError::UnsupportedType { .. } => ErrorCode::UnsupportedType,
            MediaError::TypeMismatch { .. } => ErrorCode::TypeMismatch,
            MediaError::FileTooLarge { .. } => ErrorCode::FileTooLarge,
            MediaError::FileTruncated { .. } => ErrorCode::FileTruncated,
            MediaError::FileCorrupt { .. } => ErrorCode::FileCorrupt,
            MediaError::ImageTooSmall { .. } => ErrorCode::ImageTooSmall,
            MediaError::ImageTooLarge { .. } => ErrorCode::ImageTooLarge,
            MediaError::AudioEmpty { .. } => ErrorCode::AudioEmpty,
            MediaError::AudioSilent { .. } => ErrorCode::AudioSilent,
            MediaError::AudioTooLong { .. } => ErrorCode::AudioTooLong,
            MediaError::AudioHeaderInvalid { .. } => ErrorCode::AudioHeaderInvalid,
            MediaError::VideoNoVideoTrack { .. } => ErrorCode::VideoNoVideoTrack,
            MediaError::VideoCodecUnsupported { .. } => ErrorCode::VideoCodecUnsupported,
            MediaError::VideoTooLong { .. } => ErrorCode::VideoTooLong,
            MediaError::PreviewUnavailable { .. } => ErrorCode::VideoPreviewUnavailable,
            MediaError::InvalidOption { .. } => ErrorCode::InvalidOption,
            MediaError::Io { .. } => ErrorCode::MediaIo,
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn clock(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    if total >= 60 {
        format!("{}:{:02} min", total / 60, total % 60)
    } else {
        format!("{seconds:.1} s")
    }
}

impl Explain for MediaError {
    fn explain(&self) -> UserError {
        let (message, suggestion) = match self {
            MediaError::FileEmpty { .. } => (
                "This file is empty.".to_string(),
                "Pick the file again; it may not have finished copying or downloading.".to_string(),
            ),
            MediaError::FileNotFound { .. } => (
                "This file does not exist (it may have been moved or deleted).".to_string(),
                "Pick the file again.".to_string(),
            ),
            MediaError::NotAFile { what, .. } => (
                format!("This is not a media file but {what}."),
                "Pick an image, audio or video file.".to_string(),
            ),
            MediaError::UnsupportedType { what, accepted } => (
                format!("This file is not a supported media type (it looks like: {what})."),
                format!("Use one of: {accepted}."),
            ),
            MediaError::TypeMismatch { expected, found } => (
                format!(
                    "This slot needs {} but the file is {found}.",
                    expected.article()
                ),
                format!("Drop {} here instead.", expected.article()),
            ),
            MediaError::FileTooLarge { kind, max, .. } => (
                format!(
                    "This {kind} file is too large (the limit is {}).",
                    mib(*max)
                ),
                "Use a smaller or shorter file.".to_string(),
            ),
            MediaError::FileTruncated { .. } => (
                "This file is incomplete: it ends before its content does.".to_string(),
                "Copy or download it again, then retry.".to_string(),
            ),
            MediaError::FileCorrupt { .. } => (
                "This file is damaged and cannot be read.".to_string(),
                "Export or download it again, then retry.".to_string(),
            ),
            MediaError::ImageTooSmall {
                width, height, min, ..
            } => (
                format!(
                    "This image is too small ({width}x{height}); its shorter side must be at least {min} pixels."
                ),
                "Use a larger, sharper picture of the character.".to_string(),
            ),
            MediaError::ImageTooLarge { width, height, .. } => (
                format!("This image is too large to open safely ({width}x{height} pixels)."),
                "Resize it to a normal photo size (for example 4000 pixels on the long side)."
                    .to_string(),
            ),
            MediaError::AudioEmpty { .. } => (
                "This audio file contains no sound samples.".to_string(),
                "Export the recording again and check it plays.".to_string(),
            ),
            MediaError::AudioSilent { .. } => (
                "This audio is silent.".to_string(),
                "Check the recording: the microphone may have been muted.".to_string(),
            ),
            MediaError::AudioTooLong {
                seconds,
                max_seconds,
            } => (
                format!(
                    "This audio is too long ({}); the maximum for this quality is {}.",
                    clock(*seconds),
                    clock(*max_seconds)
                ),
                format!(
                    "Trim it to at most {}, or pick a profile that allows longer audio.",
                    clock(*max_seconds)
                ),
            ),
            MediaError::AudioHeaderInvalid { field, value, .. } => (
                format!(
                    "This audio file is damaged: its header claims an impossible {field} ({value})."
                ),
                "Export the recording again (for example as a 44.1 or 48 kHz WAV), then retry."
                    .to_string(),
            ),
            MediaError::VideoNoVideoTrack { .. } => (
                "This file has no picture: it contains only sound.".to_string(),
                "Use a video with moving images as the motion source.".to_string(),
            ),
            MediaError::VideoCodecUnsupported { codec, container } => (
                format!("This video format is not supported ({codec} in {container})."),
                format!(
                    "Convert it to MP4 with H.264 (any video editor can export this). Accepted: {ACCEPTED_VIDEO}."
                ),
            ),
            MediaError::VideoTooLong {
                seconds,
                max_seconds,
            } => (
                format!(
                    "This video is too long ({}); the maximum is {}.",
                    clock(*seconds),
                    clock(*max_seconds)
                ),
                format!("Trim it to at most {}.", clock(*max_seconds)),
            ),
            MediaError::PreviewUnavailable { codec } => (
                format!(
                    "A preview of this {codec} video cannot be shown here; the video itself is fine."
                ),
                "Convert it to H.264 MP4 if you need to see its first frame.".to_string(),
            ),
            MediaError::InvalidOption { .. } => (
                "An import option is invalid.".to_string(),
                "Choose another aspect or size.".to_string(),
            ),
            MediaError::Io { .. } => (
                "The file could not be read or saved.".to_string(),
                "Check the file still exists and that the disk is not full.".to_string(),
            ),
        };
        UserError::new(self.code(), message, suggestion).with_detail(self.to_string())
    }
}
