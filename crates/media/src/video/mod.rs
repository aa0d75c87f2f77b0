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
        Container::WebM => {
            let mut guarded = BudgetReader::new(reader, file_len);
            crate::guard::contain_panics("webm", || webm::probe(&mut guarded, sniffed))?
        }
        Container::Avi => return Err(avi::refuse(reader)),
        other => {
            return Err(MediaError::UnsupportedType {
                what: format!("{other:?} is not a video container"),
                accepted: crate::kind::ACCEPTED_VIDEO.to_string(),
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

/// Bounds the work a third-party parser may do on hostile input: fuzzing found a WebM header
/// that makes matroska-demuxer loop forever re-reading the same element. Past a budget of read
/// and seek calls (or bytes) proportional to the file size, every call fails, so any such loop
/// ends in an error instead of hanging the import.
struct BudgetReader<'a, R> {
    inner: &'a mut R,
    calls_left: u64,
    bytes_left: u64,
}

impl<'a, R> BudgetReader<'a, R> {
    fn new(inner: &'a mut R, file_len: u64) -> Self {
        Self {
            inner,
            calls_left: 2_000_000,
            bytes_left: file_len.saturating_mul(3).saturating_add(16 * 1024 * 1024),
        }
    }

    fn spend(&mut self) -> std::io::Result<()> {
        if self.calls_left == 0 {
            return Err(std::io::Error::other(
                "container parser exceeded its work budget (malformed file)",
            ));
        }
        self.calls_left -= 1;
        Ok(())
    }
}

impl<R: Read> Read for BudgetReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.spend()?;
        let n = self.inner.read(buf)?;
        self.bytes_left = self.bytes_left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(
                "container parser read far more than the file holds (malformed file)",
            )
        })?;
        Ok(n)
    }
}

impl<R: Seek> Seek for BudgetReader<'_, R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.spend()?;
        self.inner.seek(pos)
    }
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
    let size = crate::input::regular_file(path)?;
    limits.check_size(crate::kind::MediaKind::Video, size)?;
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    probe_video(&mut std::io::BufReader::new(file), size, &sniffed, limits)
}

pub(crate) use isobmff::audio_edit;
