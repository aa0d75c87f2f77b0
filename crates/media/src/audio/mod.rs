//! Audio: exact-duration probe (here) and normalization to a lossless WAV at the source's own
//! quality (`normalize`).

use std::io::{Read, Seek, SeekFrom};

use symphonia::core::codecs::{CODEC_TYPE_NULL, CodecParameters};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::kind::MediaKind;
use crate::limits::Limits;
use crate::sniff::{Container, Sniffed};

/// The highest rate kept as is. The delivered video carries the user's audio (ComfyUI's audio
/// encoder node resamples to wav2vec2's 16 kHz for the model by itself), so normalization keeps
/// the source's rate up to this and only resamples studio rates (88.2 kHz and up) down to it.
pub const MAX_KEPT_SAMPLE_RATE: u32 = 48_000;
/// Number of peaks in the waveform summary the UI draws.
pub const WAVEFORM_POINTS: usize = 200;
/// Real recordings run from 8 kHz (telephony; 4 kHz allows for odd old files) to 768 kHz
/// (studio DXD). A header outside that is damaged or hostile, and is refused before anything is
/// sized from it: the resampler's FFT length grows with `rate / gcd(rate, 48 kHz)` (a header
/// claiming 4294967295 Hz asked for gigabytes), and a 1 Hz header once turned each input frame
/// into 16000 output frames.
pub const MIN_SAMPLE_RATE: u32 = 4_000;
pub const MAX_SAMPLE_RATE: u32 = 768_000;
/// Channels of any real layout (symphonia's channel mask holds at most 32 anyway).
const MAX_CHANNELS: usize = 32;

/// The stream's sample rate, checked against [`MIN_SAMPLE_RATE`]..=[`MAX_SAMPLE_RATE`], and its
/// channel count, checked too: every later allocation and loop is sized from these.
pub(crate) fn checked_stream(params: &CodecParameters) -> Result<u32, MediaError> {
    let rate = params
        .sample_rate
        .filter(|r| *r > 0)
        .ok_or_else(|| MediaError::corrupt("audio stream declares no sample rate"))?;
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        return Err(MediaError::AudioHeaderInvalid {
            field: "sample rate",
            value: u64::from(rate),
            min: u64::from(MIN_SAMPLE_RATE),
            max: u64::from(MAX_SAMPLE_RATE),
        });
    }
    if let Some(channels) = params.channels.map(|c| c.count())
        && !(1..=MAX_CHANNELS).contains(&channels)
    {
        return Err(MediaError::AudioHeaderInvalid {
            field: "channel count",
            value: channels as u64,
            min: 1,
            max: MAX_CHANNELS as u64,
        });
    }
    Ok(rate)
}

fn hint_for(container: Container) -> Hint {
    let mut hint = Hint::new();
    let ext = match container {
        Container::Wav => "wav",
        Container::Mp3 => "mp3",
        Container::Flac => "flac",
        Container::Ogg => "ogg",
        Container::Adts => "aac",
        _ => "m4a",
    };
    hint.with_extension(ext);
    hint
}

pub(crate) fn map_sym_error(e: SymError) -> MediaError {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated(format!("audio stream ends early: {io}"))
        }
        SymError::IoError(io) => MediaError::Io {
            path: String::new(),
            source: io,
        },
        SymError::Unsupported(what) => MediaError::UnsupportedType {
            what: format!("audio feature not supported: {what}"),
            accepted: MediaKind::Audio.accepted().to_string(),
        },
        other => MediaError::corrupt(format!("audio: {other}")),
    }
}

pub(crate) struct OpenedAudio {
    pub(crate) format: Box<dyn FormatReader>,
    pub(crate) track_id: u32,
    pub(crate) params: CodecParameters,
}

pub(crate) fn open(
    source: Box<dyn MediaSource>,
    sniffed: &Sniffed,
) -> Result<OpenedAudio, MediaError> {
    let stream = MediaSourceStream::new(source, Default::default());
    // Gapless: MP3/AAC encoder delay and padding are dropped so durations are exact.
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(
            &hint_for(sniffed.container),
            stream,
            &options,
            &MetadataOptions::default(),
        )
        .map_err(map_sym_error)?;
    let format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| MediaError::AudioEmpty {
            detail: "no audio track".to_string(),
        })?;
    Ok(OpenedAudio {
        track_id: track.id,
        params: track.codec_params.clone(),
        format,
    })
}

fn codec_short_name(params: &CodecParameters) -> Option<String> {
    symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map(|d| d.short_name.to_string())
}

/// Counts frames from packet durations without decoding, for streams whose header has no total.
fn count_frames(opened: &mut OpenedAudio) -> Result<u64, MediaError> {
    let mut frames = 0u64;
    loop {
        match opened.format.next_packet() {
            Ok(packet) if packet.track_id() == opened.track_id => {
                frames = frames.saturating_add(packet.dur);
            }
            Ok(_) => {}
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(map_sym_error(e)),
        }
    }
    Ok(frames)
}

/// The edit list of an MP4/M4A audio track: (seconds to drop at the start, presented seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AudioEdit {
    pub skip_seconds: f64,
    pub duration_seconds: f64,
}

/// Reads the edit list when the container is ISO-BMFF (symphonia does not apply it).
pub(crate) fn audio_edit_for<R: Read + Seek>(
    sniffed: &Sniffed,
    reader: &mut R,
) -> Option<AudioEdit> {
    if sniffed.container != Container::IsoBmff {
        return None;
    }
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    crate::video::audio_edit(reader, len).map(|(skip_seconds, duration_seconds)| AudioEdit {
        skip_seconds,
        duration_seconds,
    })
}

/// Facts from headers (and packet walk when the header has no total); nothing is decoded.
pub(crate) fn probe_audio(
    source: Box<dyn MediaSource>,
    sniffed: &Sniffed,
    edit: Option<AudioEdit>,
    limits: &Limits,
) -> Result<MediaFacts, MediaError> {
    crate::guard::contain_panics("audio", || probe_audio_inner(source, sniffed, edit, limits))
}

fn probe_audio_inner(
    source: Box<dyn MediaSource>,
    sniffed: &Sniffed,
    edit: Option<AudioEdit>,
    limits: &Limits,
) -> Result<MediaFacts, MediaError> {
    let mut opened = open(source, sniffed)?;
    let sample_rate = checked_stream(&opened.params)?;
    let frames = match opened.params.n_frames {
        Some(n) => n,
        None => count_frames(&mut opened)?,
    };
    if frames == 0 {
        return Err(MediaError::AudioEmpty {
            detail: "the stream declares 0 sample frames".to_string(),
        });
    }
    let seconds = match edit {
        Some(e) => e.duration_seconds,
        None => frames as f64 / f64::from(sample_rate),
    };
    if seconds > limits.max_audio_seconds {
        return Err(MediaError::AudioTooLong {
            seconds,
            max_seconds: limits.max_audio_seconds,
        });
    }
    let mut facts = MediaFacts::new(MediaKind::Audio, &sniffed.mime);
    facts.duration_seconds = Some(seconds);
    facts.sample_rate = Some(sample_rate);
    facts.channels = opened.params.channels.map(|c| c.count() as u16).or(Some(1));
    facts.codec = codec_short_name(&opened.params);
    facts.has_audio = true;
    Ok(facts)
}

mod frames;
mod normalize;

pub use normalize::NormalizedAudio;
pub(crate) use normalize::normalize_audio;
