//! Video: container probes (ISO-BMFF via mp4parse, WebM via matroska-demuxer, AVI refused with
//! its codec named) and first-frame decoding for H.264.

mod avi;
mod first_frame;
mod isobmff;
mod webm;

use std::io::{Read, Seek};

use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::limits::Limits;
use crate::sniff::{Container, Sniffed};

pub use first_frame::decode_first_frame;

/// Where the first H.264 access unit lives, for the preview decoder.
#[derive(Debug, Clone)]
pub struct H264FirstSample {
    /// The avcC record (SPS/PPS and the NAL length size).
    pub(crate) avcc: Vec<u8>,
    pub(crate) offset: u64,
    pub(crate) size: u32,
}

/// A probe's result: the facts, and how to get a preview frame when we can.
#[derive(Debug, Clone)]
pub struct VideoProbe {
    pub facts: MediaFacts,
    pub(crate) first_sample: Option<H264FirstSample>,
}

/// Codecs the server's video loader takes.
pub(crate) fn codec_supported(codec: &str) -> bool {
    matches!(codec, "h264" | "hevc" | "vp8" | "vp9")
}

/// Probes a video container. Reads headers and the index only (never the media data), so cost
/// and memory do not grow with the file size beyond the index.
pub(crate) fn probe_video<R: Read + Seek>(
    reader: &mut R,
    file_len: u64,
    sniffed: &Sniffed,
    limits: &Limits,
) -> Result<VideoProbe, MediaError> {
    let probe = match sniffed.container {
        Container::IsoBmff => isobmff::probe(reader, file_len, sniffed)?,
        Container::WebM => webm::probe(reader, sniffed)?,
        Container::Avi => return Err(avi::refuse(reader)),
        other => {
            return Err(MediaError::UnsupportedType {
                what: format!("{other:?} is not a video container"),
                accepted: crate::error::ACCEPTED_VIDEO.to_string(),
            });
        }
    };
    if let Some(seconds) = probe.facts.duration_seconds
        && seconds > limits.max_video_seconds
    {
        return Err(MediaError::VideoTooLong {
            seconds,
            max_seconds: limits.max_video_seconds,
        });
    }
    Ok(probe)
}

/// Common checks once a container told us its video track (or lack of one).
pub(crate) fn require_video(facts: &MediaFacts, container: &str) -> Result<(), MediaError> {
    if !facts.has_video {
        return Err(MediaError::VideoNoVideoTrack {
            detail: format!(
                "{container} has {} track(s) but no video track",
                if facts.has_audio { "audio" } else { "no media" }
            ),
        });
    }
    let codec = facts.codec.as_deref().unwrap_or("unknown");
    if !codec_supported(codec) {
        return Err(MediaError::VideoCodecUnsupported {
            codec: describe_codec(codec),
            container: container.to_string(),
        });
    }
    Ok(())
}

fn describe_codec(codec: &str) -> String {
    match codec {
        "mjpeg" => "Motion JPEG".to_string(),
        "mpeg4" => "MPEG-4 Part 2".to_string(),
        "av1" => "AV1".to_string(),
        "h263" => "H.263".to_string(),
        "prores" => "Apple ProRes".to_string(),
        other => other.to_string(),
    }
}

/// Rounds an average frame rate to 3 decimals (29.97, not 29.970029...).
pub(crate) fn round_fps(fps: f64) -> f64 {
    (fps * 1000.0).round() / 1000.0
}

/// Sniffs, size-checks and probes a video file (headers and index only).
pub fn probe_video_file(path: &std::path::Path, limits: &Limits) -> Result<VideoProbe, MediaError> {
    let sniffed = crate::sniff::sniff(path)?;
    let size = std::fs::metadata(path)
        .map_err(|e| MediaError::io(path, e))?
        .len();
    limits.check_size(crate::sniff::MediaKind::Video, size)?;
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    probe_video(&mut std::io::BufReader::new(file), size, &sniffed, limits)
}

pub(crate) use isobmff::audio_edit;
