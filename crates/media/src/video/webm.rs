//! WebM probe with matroska-demuxer.

use std::io::{Read, Seek, SeekFrom};

use matroska_demuxer::{Frame, MatroskaFile, TrackType};

use super::{VideoProbe, require_video, round_fps};
use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::kind::MediaKind;
use crate::sniff::Sniffed;

/// Counting frames reads every block; past this many blocks (all tracks) we stop.
const MAX_FRAMES_COUNTED: u64 = 200_000;

fn demux_err(e: matroska_demuxer::DemuxError) -> MediaError {
    match e {
        matroska_demuxer::DemuxError::IoError(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            MediaError::truncated(format!("webm ends early: {io}"))
        }
        other => MediaError::corrupt(format!("webm: {other}")),
    }
}

fn codec_from_id(id: &str) -> String {
    match id {
        "V_VP8" => "vp8",
        "V_VP9" => "vp9",
        "V_AV1" => "av1",
        "V_MPEG4/ISO/AVC" => "h264",
        "V_MPEGH/ISO/HEVC" => "hevc",
        "V_MJPEG" => "mjpeg",
        "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" | "V_MPEG4/ISO/AP" => "mpeg4",
        other => other,
    }
    .to_string()
}

pub(super) fn probe<R: Read + Seek>(
    r: &mut R,
    sniffed: &Sniffed,
) -> Result<VideoProbe, MediaError> {
    r.seek(SeekFrom::Start(0))
        .map_err(|e| MediaError::corrupt(format!("webm seek: {e}")))?;
    let mut mkv = MatroskaFile::open(r).map_err(demux_err)?;
    let mut facts = MediaFacts::new(MediaKind::Video, &sniffed.mime);
    let scale_ns = mkv.info().timestamp_scale().get() as f64;
    facts.duration_seconds = mkv
        .info()
        .duration()
        .map(|d| d * scale_ns / 1e9)
        .filter(|d| d.is_finite() && *d > 0.0);

    let mut video_track = None;
    let mut default_duration_ns = None;
    for track in mkv.tracks() {
        match track.track_type() {
            TrackType::Video if video_track.is_none() => {
                video_track = Some(track.track_number().get());
                facts.has_video = true;
                facts.codec = Some(codec_from_id(track.codec_id()));
                if let Some(v) = track.video() {
                    facts.width = u32::try_from(v.pixel_width().get()).ok();
                    facts.height = u32::try_from(v.pixel_height().get()).ok();
                }
                default_duration_ns = track.default_duration().map(|d| d.get() as f64);
            }
            TrackType::Audio if !facts.has_audio => {
                facts.has_audio = true;
                if let Some(a) = track.audio() {
                    facts.sample_rate = Some(a.sampling_frequency().round() as u32);
                    facts.channels = u16::try_from(a.channels().get()).ok();
                }
            }
            _ => {}
        }
    }
    require_video(&facts, "WebM")?;
    let Some(video_track) = video_track else {
        return Err(MediaError::VideoNoVideoTrack {
            detail: "no video track".to_string(),
        });
    };

    match (default_duration_ns, facts.duration_seconds) {
        (Some(frame_ns), Some(seconds)) if frame_ns > 0.0 => {
            let fps = 1e9 / frame_ns;
            facts.fps = Some(round_fps(fps));
            facts.frame_count = Some((seconds * fps).round() as u64);
        }
        _ => {
            // No per-frame duration in the header: count the video blocks and time them.
            let mut frame = Frame::default();
            let (mut count, mut first, mut last, mut blocks) = (0u64, None, 0u64, 0u64);
            while blocks < MAX_FRAMES_COUNTED && mkv.next_frame(&mut frame).map_err(demux_err)? {
                blocks += 1;
                if frame.track == video_track {
                    count += 1;
                    first.get_or_insert(frame.timestamp);
                    last = last.max(frame.timestamp);
                }
            }
            if count == 0 {
                return Err(MediaError::corrupt("webm video track has no frames"));
            }
            let span = (last.saturating_sub(first.unwrap_or(0))) as f64 * scale_ns / 1e9;
            if count > 1 && span > 0.0 {
                let fps = (count - 1) as f64 / span;
                facts.fps = Some(round_fps(fps));
                facts.duration_seconds.get_or_insert(count as f64 / fps);
            }
            facts.frame_count = Some(count);
        }
    }
    Ok(VideoProbe {
        facts,
        first_sample: None,
    })
}
