//! MP4 / MOV / M4A probe: mp4parse on the `moov` box only.
//!
//! mp4parse (Firefox's parser) reads boxes sequentially and would stream through `mdat`, which is
//! most of a 1 GiB file; so we first walk the top-level box headers ourselves, seeking over
//! their bodies, and hand mp4parse only `ftyp` + `moov`. The walk also catches truncation: a
//! top-level box that claims more bytes than the file has.
//! mp4parse drops the four-character code of sample entries it does not decode (HEVC, Motion
//! JPEG, ProRes), so a tiny walk of `moov/trak/mdia/minf/stbl/stsd` recovers it to name codecs.

use std::io::{Cursor, Read, Seek, SeekFrom};

use mp4parse::{CodecType, SampleEntry, TrackType, VideoCodecSpecific};

use super::{H264FirstSample, VideoProbe, require_video, round_fps};
use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::kind::MediaKind;
use crate::sniff::Sniffed;

/// The index of any real video fits easily; a larger `moov` is refused rather than loaded.
const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES: usize = 100_000;
/// A first frame larger than this is not a frame we want to decode for a thumbnail.
const MAX_FIRST_SAMPLE: u32 = 32 * 1024 * 1024;

struct TopLevel {
    ftyp: Option<(u64, u64)>,
    moov: Option<(u64, u64)>,
    has_mdat: bool,
}

fn io_err(e: std::io::Error) -> MediaError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        MediaError::truncated(format!("video ends inside a box header: {e}"))
    } else {
        MediaError::Io {
            path: String::new(),
            source: e,
        }
    }
}

fn fourcc(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}

/// Walks top-level boxes by seeking, recording where `ftyp` and `moov` are.
fn walk_top_level<R: Read + Seek>(r: &mut R, file_len: u64) -> Result<TopLevel, MediaError> {
    let mut top = TopLevel {
        ftyp: None,
        moov: None,
        has_mdat: false,
    };
    let mut pos = 0u64;
    let mut count = 0usize;
    while file_len.saturating_sub(pos) >= 8 {
        count += 1;
        if count > MAX_TOP_LEVEL_BOXES {
            return Err(MediaError::corrupt("too many top-level boxes"));
        }
        r.seek(SeekFrom::Start(pos)).map_err(io_err)?;
        let mut head = [0u8; 8];
        r.read_exact(&mut head).map_err(io_err)?;
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        let (size, header_len) = match size32 {
            0 => (file_len - pos, 8),
            1 => {
                let mut large = [0u8; 8];
                r.read_exact(&mut large).map_err(io_err)?;
                (u64::from_be_bytes(large), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header_len {
            return Err(MediaError::corrupt(format!(
                "box '{}' at {pos} declares {size} bytes",
                fourcc(&kind)
            )));
        }
        let end = pos
            .checked_add(size)
            .ok_or_else(|| MediaError::corrupt("box size overflow"))?;
        if end > file_len {
            return Err(MediaError::truncated(format!(
                "box '{}' at offset {pos} needs {size} bytes but the file ends after {} (file is {file_len} bytes)",
                fourcc(&kind),
                file_len - pos
            )));
        }
        match &kind {
            b"ftyp" if top.ftyp.is_none() => top.ftyp = Some((pos, size)),
            b"moov" if top.moov.is_none() => top.moov = Some((pos, size)),
            b"mdat" => top.has_mdat = true,
            _ => {}
        }
        pos = end;
    }
    Ok(top)
}

fn read_range<R: Read + Seek>(
    r: &mut R,
    (pos, size): (u64, u64),
    out: &mut Vec<u8>,
) -> Result<(), MediaError> {
    r.seek(SeekFrom::Start(pos)).map_err(io_err)?;
    let before = out.len();
    r.take(size).read_to_end(out).map_err(io_err)?;
    if (out.len() - before) as u64 != size {
        return Err(MediaError::truncated("box body shorter than declared"));
    }
    Ok(())
}

/// Children of a box body: (fourcc, body) pairs. Stops at the first malformed header.
fn children(body: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while body.len().saturating_sub(pos) >= 8 {
        let size =
            u32::from_be_bytes([body[pos], body[pos + 1], body[pos + 2], body[pos + 3]]) as usize;
        let kind = [body[pos + 4], body[pos + 5], body[pos + 6], body[pos + 7]];
        let (size, header) = match size {
            0 => (body.len() - pos, 8),
            1 => match body.get(pos + 8..pos + 16) {
                Some(b) => {
                    let mut large = [0u8; 8];
                    large.copy_from_slice(b);
                    (
                        usize::try_from(u64::from_be_bytes(large)).unwrap_or(usize::MAX),
                        16,
                    )
                }
                None => break,
            },
            n => (n, 8),
        };
        if size < header || pos.saturating_add(size) > body.len() {
            break;
        }
        out.push((kind, &body[pos + header..pos + size]));
        pos += size;
    }
    out
}

fn child<'a>(body: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
    children(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, b)| b)
}

/// Per `trak`, in order: the first sample entry's four-character code.
fn sample_entry_fourccs(moov_body: &[u8]) -> Vec<Option<[u8; 4]>> {
    children(moov_body)
        .into_iter()
        .filter(|(k, _)| k == b"trak")
        .map(|(_, trak)| {
            let stsd = child(trak, b"mdia")
                .and_then(|b| child(b, b"minf"))
                .and_then(|b| child(b, b"stbl"))
                .and_then(|b| child(b, b"stsd"))?;
            // Full box header (4) + entry count (4), then the first entry's size (4) + fourcc.
            let code = stsd.get(12..16)?;
            Some([code[0], code[1], code[2], code[3]])
        })
        .collect()
}

fn codec_from_fourcc(code: &[u8; 4]) -> String {
    match code {
        b"hvc1" | b"hev1" => "hevc".to_string(),
        b"avc1" | b"avc3" => "h264".to_string(),
        b"vp08" => "vp8".to_string(),
        b"vp09" => "vp9".to_string(),
        b"av01" => "av1".to_string(),
        b"jpeg" | b"mjpa" | b"mjpb" => "mjpeg".to_string(),
        b"mp4v" => "mpeg4".to_string(),
        b"s263" | b"h263" => "h263".to_string(),
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "prores".to_string(),
        other => fourcc(other).trim().to_string(),
    }
}

fn codec_name(codec: CodecType) -> Option<&'static str> {
    Some(match codec {
        CodecType::H264 => "h264",
        CodecType::VP8 => "vp8",
        CodecType::VP9 => "vp9",
        CodecType::AV1 => "av1",
        CodecType::MP4V => "mpeg4",
        CodecType::H263 => "h263",
        CodecType::AAC => "aac",
        CodecType::MP3 => "mp3",
        CodecType::FLAC => "flac",
        CodecType::Opus => "opus",
        CodecType::ALAC => "alac",
        CodecType::LPCM => "pcm",
        _ => return None,
    })
}

/// Clockwise degrees from the track header's display matrix (16.16 fixed point).
fn rotation_from_matrix(a: i32, b: i32) -> u16 {
    let degrees = f64::from(b).atan2(f64::from(a)).to_degrees();
    let quarter = (degrees / 90.0).round() as i64;
    (quarter.rem_euclid(4) * 90) as u16
}

pub(super) fn probe<R: Read + Seek>(
    r: &mut R,
    file_len: u64,
    sniffed: &Sniffed,
) -> Result<VideoProbe, MediaError> {
    let top = walk_top_level(r, file_len)?;
    let Some(moov) = top.moov else {
        return Err(if top.has_mdat {
            MediaError::truncated(
                "media data present but no index ('moov'): the recording was not finished",
            )
        } else {
            MediaError::corrupt("no 'moov' box")
        });
    };
    if moov.1 > MAX_MOOV_BYTES {
        return Err(MediaError::corrupt(format!(
            "index ('moov') of {} bytes is too large",
            moov.1
        )));
    }
    let mut bytes = Vec::new();
    if let Some(ftyp) = top.ftyp {
        read_range(r, ftyp, &mut bytes)?;
    }
    let moov_start = bytes.len();
    read_range(r, moov, &mut bytes)?;
    let fourccs = {
        let moov_bytes = &bytes[moov_start..];
        let header = if moov_bytes.get(0..4) == Some(&[0, 0, 0, 1]) {
            16
        } else {
            8
        };
        sample_entry_fourccs(moov_bytes.get(header..).unwrap_or_default())
    };
    let context = mp4parse::read_mp4(&mut Cursor::new(&bytes))
        .map_err(|e| MediaError::corrupt(format!("mp4 index: {e:?}")))?;

    let container = if sniffed.mime == "video/quicktime" {
        "MOV"
    } else {
        "MP4"
    };
    let mut facts = MediaFacts::new(MediaKind::Video, &sniffed.mime);
    let mut first_sample = None;
    let mut video_seen = false;
    for (index, track) in context.tracks.iter().enumerate() {
        let entry = track.stsd.as_ref().and_then(|s| s.descriptions.first());
        match track.track_type {
            TrackType::Audio if !facts.has_audio => {
                facts.has_audio = true;
                if let Some(SampleEntry::Audio(a)) = entry {
                    facts.sample_rate = Some(a.samplerate.round() as u32);
                    facts.channels = u16::try_from(a.channelcount).ok();
                }
            }
            TrackType::Video if !video_seen => {
                video_seen = true;
                facts.has_video = true;
                let codec = match entry {
                    Some(SampleEntry::Video(v)) if codec_name(v.codec_type).is_some() => {
                        codec_name(v.codec_type).map(str::to_string)
                    }
                    _ => fourccs
                        .get(index)
                        .copied()
                        .flatten()
                        .map(|c| codec_from_fourcc(&c)),
                };
                facts.codec = codec;
                let (mut width, mut height) = match (entry, &track.tkhd) {
                    (Some(SampleEntry::Video(v)), _) => (u32::from(v.width), u32::from(v.height)),
                    (_, Some(tkhd)) => (tkhd.width >> 16, tkhd.height >> 16),
                    _ => (0, 0),
                };
                if let Some(tkhd) = &track.tkhd {
                    if width == 0 || height == 0 {
                        (width, height) = (tkhd.width >> 16, tkhd.height >> 16);
                    }
                    facts.rotation = rotation_from_matrix(tkhd.matrix.a, tkhd.matrix.b);
                }
                if facts.rotation % 180 == 90 {
                    (width, height) = (height, width);
                }
                facts.width = Some(width).filter(|w| *w > 0);
                facts.height = Some(height).filter(|h| *h > 0);

                let frames: u64 = track
                    .stts
                    .as_ref()
                    .map(|s| s.samples.iter().map(|e| u64::from(e.sample_count)).sum())
                    .unwrap_or(0);
                let ticks: u64 = track
                    .stts
                    .as_ref()
                    .map(|s| {
                        s.samples
                            .iter()
                            .map(|e| u64::from(e.sample_count) * u64::from(e.sample_delta))
                            .sum()
                    })
                    .unwrap_or(0);
                let timescale = track.timescale.map(|t| t.0).filter(|t| *t > 0);
                let media_ticks = track
                    .duration
                    .map(|d| d.0)
                    .filter(|d| *d > 0)
                    .unwrap_or(ticks);
                if let Some(ts) = timescale {
                    if media_ticks > 0 {
                        facts.duration_seconds = Some(media_ticks as f64 / ts as f64);
                    }
                    if ticks > 0 && frames > 0 {
                        facts.fps = Some(round_fps(frames as f64 * ts as f64 / ticks as f64));
                    }
                }
                facts.frame_count = Some(frames).filter(|f| *f > 0);

                if let Some(stco) = &track.stco
                    && let Some(max_offset) = stco.offsets.iter().max()
                    && *max_offset >= file_len
                {
                    return Err(MediaError::truncated(format!(
                        "video data chunk at offset {max_offset} is beyond the end of the {file_len}-byte file"
                    )));
                }
                if let Some(SampleEntry::Video(v)) = entry
                    && let VideoCodecSpecific::AVCConfig(avcc) = &v.codec_specific
                {
                    first_sample = first_h264_sample(track, avcc.to_vec());
                }
            }
            _ => {}
        }
    }
    if facts.duration_seconds.is_none()
        && let (Some(ts), Some(duration)) = (
            context.timescale,
            context.tracks.first().and_then(|t| t.duration),
        )
        && ts.0 > 0
    {
        facts.duration_seconds = Some(duration.0 as f64 / ts.0 as f64);
    }
    require_video(&facts, container)?;
    if facts.frame_count.is_none() {
        return Err(MediaError::corrupt("video track has no samples"));
    }
    Ok(VideoProbe {
        facts,
        first_sample,
    })
}

fn first_h264_sample(track: &mp4parse::Track, avcc: Vec<u8>) -> Option<H264FirstSample> {
    let offset = *track.stco.as_ref()?.offsets.first()?;
    let stsz = track.stsz.as_ref()?;
    let size = if stsz.sample_size != 0 {
        stsz.sample_size
    } else {
        *stsz.sample_sizes.first()?
    };
    (size > 0 && size <= MAX_FIRST_SAMPLE).then_some(H264FirstSample { avcc, offset, size })
}

/// Edit-list trim of the first audio track of an MP4/M4A: seconds of encoder priming to drop
/// at the start and the presented duration (what ffprobe reports). symphonia ignores `elst`.
pub(crate) fn audio_edit<R: Read + Seek>(r: &mut R, file_len: u64) -> Option<(f64, f64)> {
    let top = walk_top_level(r, file_len).ok()?;
    let moov = top.moov.filter(|m| m.1 <= MAX_MOOV_BYTES)?;
    let mut bytes = Vec::new();
    if let Some(ftyp) = top.ftyp {
        read_range(r, ftyp, &mut bytes).ok()?;
    }
    read_range(r, moov, &mut bytes).ok()?;
    let context = mp4parse::read_mp4(&mut Cursor::new(&bytes)).ok()?;
    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Audio)?;
    let track_scale = track.timescale?.0;
    let movie_scale = context.timescale?.0;
    let edited = track.edited_duration?.0;
    if track_scale == 0 || movie_scale == 0 || edited == 0 {
        return None;
    }
    let skip = track
        .media_time
        .map_or(0.0, |m| m.0 as f64 / track_scale as f64);
    Some((skip, edited as f64 / movie_scale as f64))
}
