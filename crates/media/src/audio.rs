//! Audio: exact-duration probe, and normalization to 16 kHz mono 16-bit PCM WAV for wav2vec2.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use rubato::{FftFixedInOut, Resampler};
use serde::{Deserialize, Serialize};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CodecParameters, Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::limits::Limits;
use crate::sniff::{Container, MediaKind, Sniffed};

/// The rate wav2vec2 (and so Wan S2V) works at.
pub const TARGET_SAMPLE_RATE: u32 = 16_000;
/// Number of peaks in the waveform summary the UI draws.
pub const WAVEFORM_POINTS: usize = 200;
/// Below this peak (-60 dBFS) a file is refused as silent.
const SILENT_PEAK: f32 = 0.001;
/// Below this peak (-20 dBFS) the audio is raised so its peak sits at -1 dBFS.
const QUIET_PEAK: f32 = 0.1;
const NORMALIZED_PEAK: f32 = 0.891;

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

fn map_sym_error(e: SymError) -> MediaError {
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

struct OpenedAudio {
    format: Box<dyn FormatReader>,
    track_id: u32,
    params: CodecParameters,
}

fn open(source: Box<dyn MediaSource>, sniffed: &Sniffed) -> Result<OpenedAudio, MediaError> {
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
    let mut opened = open(source, sniffed)?;
    let sample_rate = opened
        .params
        .sample_rate
        .filter(|r| *r > 0)
        .ok_or_else(|| MediaError::corrupt("audio stream declares no sample rate"))?;
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

/// What normalization produced besides the WAV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedAudio {
    /// Frames written at [`TARGET_SAMPLE_RATE`].
    pub frames: u64,
    pub duration_seconds: f64,
    /// Gain applied to lift quiet audio (1.0 = untouched).
    pub gain: f32,
    /// [`WAVEFORM_POINTS`] peaks in 0..=1 over the normalized audio, for the UI.
    pub waveform: Vec<f32>,
}

/// Streams decoded mono samples through the resampler into a raw f32 spill file so that memory
/// stays constant whatever the length; tracks the peak on the way.
struct Spill {
    file: BufWriter<File>,
    frames: u64,
    peak: f32,
    /// Output frames still to drop at the start (the resampler's delay).
    skip: usize,
}

impl Spill {
    fn push(&mut self, samples: &[f32]) -> std::io::Result<()> {
        let drop = self.skip.min(samples.len());
        self.skip -= drop;
        for &s in &samples[drop..] {
            self.peak = self.peak.max(s.abs());
            self.file.write_all(&s.to_le_bytes())?;
        }
        self.frames += (samples.len() - drop) as u64;
        Ok(())
    }
}

fn spill_io(e: std::io::Error) -> MediaError {
    MediaError::Io {
        path: "(temporary audio buffer)".to_string(),
        source: e,
    }
}

fn resample_error(e: impl std::fmt::Display) -> MediaError {
    MediaError::corrupt(format!("resampler: {e}"))
}

/// Decodes, downmixes to mono, resamples to 16 kHz and writes a 16-bit PCM WAV to `out_wav`.
/// Refuses empty, silent and over-long audio.
pub(crate) fn normalize_audio(
    source: Box<dyn MediaSource>,
    sniffed: &Sniffed,
    edit: Option<AudioEdit>,
    max_seconds: f64,
    out_wav: &Path,
) -> Result<NormalizedAudio, MediaError> {
    let mut opened = open(source, sniffed)?;
    let in_rate = opened
        .params
        .sample_rate
        .filter(|r| *r > 0)
        .ok_or_else(|| MediaError::corrupt("audio stream declares no sample rate"))?;
    let mut decoder: Box<dyn Decoder> = symphonia::default::get_codecs()
        .make(&opened.params, &DecoderOptions::default())
        .map_err(map_sym_error)?;

    const CHUNK: usize = 4096;
    let mut resampler = if in_rate == TARGET_SAMPLE_RATE {
        None
    } else {
        Some(
            FftFixedInOut::<f32>::new(in_rate as usize, TARGET_SAMPLE_RATE as usize, CHUNK, 1)
                .map_err(resample_error)?,
        )
    };
    let mut out_buf = vec![0f32; resampler.as_ref().map_or(0, |r| r.output_frames_max())];
    let mut spill = Spill {
        file: BufWriter::new(tempfile::tempfile().map_err(spill_io)?),
        frames: 0,
        peak: 0.0,
        skip: resampler.as_ref().map_or(0, |r| r.output_delay())
            + edit.map_or(0, |e| {
                (e.skip_seconds * f64::from(TARGET_SAMPLE_RATE)).round() as usize
            }),
    };
    let max_in_frames = (max_seconds * f64::from(in_rate)).ceil() as u64 + u64::from(in_rate);
    let mut in_frames = 0u64;
    let mut pending: Vec<f32> = Vec::with_capacity(CHUNK * 2);
    let mut sample_buf: Option<SampleBuffer<f32>> = None;
    let mut decode_errors = 0u32;

    loop {
        let packet = match opened.format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(map_sym_error(e)),
        };
        if packet.track_id() != opened.track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A damaged packet is skipped, as players do; too many means a broken file.
            Err(SymError::DecodeError(e)) => {
                decode_errors += 1;
                if decode_errors > 100 {
                    return Err(MediaError::corrupt(format!(
                        "audio: too many damaged packets ({e})"
                    )));
                }
                continue;
            }
            Err(e) => return Err(map_sym_error(e)),
        };
        let channels = decoded.spec().channels.count().max(1);
        let frames = decoded.frames();
        if frames == 0 {
            continue;
        }
        let needed = frames * channels;
        let buf = match &mut sample_buf {
            Some(b) if b.capacity() >= needed => b,
            _ => sample_buf.insert(SampleBuffer::<f32>::new(frames as u64, *decoded.spec())),
        };
        buf.copy_interleaved_ref(decoded);
        let scale = 1.0 / channels as f32;
        pending.extend(
            buf.samples()
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        );
        in_frames += frames as u64;
        if in_frames > max_in_frames {
            return Err(MediaError::AudioTooLong {
                seconds: in_frames as f64 / f64::from(in_rate),
                max_seconds,
            });
        }
        match &mut resampler {
            None => {
                spill.push(&pending).map_err(spill_io)?;
                pending.clear();
            }
            Some(r) => {
                let mut consumed = 0;
                while pending.len() - consumed >= r.input_frames_next() {
                    let (used, written) = r
                        .process_into_buffer(&[&pending[consumed..]], &mut [&mut out_buf[..]], None)
                        .map_err(resample_error)?;
                    consumed += used;
                    spill.push(&out_buf[..written]).map_err(spill_io)?;
                }
                pending.drain(..consumed);
            }
        }
    }

    if in_frames == 0 {
        return Err(MediaError::AudioEmpty {
            detail: "decoding produced 0 sample frames".to_string(),
        });
    }
    let mut expected =
        (in_frames as f64 * f64::from(TARGET_SAMPLE_RATE) / f64::from(in_rate)).round() as u64;
    if let Some(e) = edit {
        let skipped = (e.skip_seconds * f64::from(TARGET_SAMPLE_RATE)).round() as u64;
        let presented = (e.duration_seconds * f64::from(TARGET_SAMPLE_RATE)).round() as u64;
        expected = expected.saturating_sub(skipped).min(presented);
    }
    if let Some(r) = &mut resampler {
        // Feed the tail, then silence, until the delayed output has caught up.
        // rubato 0.16 rejects an empty partial chunk; `None` means "only flush".
        let mut tail: Option<&[f32]> = (!pending.is_empty()).then_some(&pending[..]);
        let mut guard = 0;
        while spill.frames < expected && guard < 64 {
            let input: Option<&[&[f32]]> = tail.as_ref().map(std::slice::from_ref);
            let (_, written) = r
                .process_partial_into_buffer(input, &mut [&mut out_buf[..]], None)
                .map_err(resample_error)?;
            spill.push(&out_buf[..written]).map_err(spill_io)?;
            tail = None;
            guard += 1;
        }
    }
    let frames = spill.frames.min(expected.max(1));
    let peak = spill.peak;
    if peak < SILENT_PEAK {
        return Err(MediaError::AudioSilent {
            peak_dbfs: 20.0 * peak.max(1e-9).log10(),
        });
    }
    let gain = if peak < QUIET_PEAK {
        NORMALIZED_PEAK / peak
    } else {
        1.0
    };

    let mut raw = spill
        .file
        .into_inner()
        .map_err(|e| spill_io(e.into_error()))?;
    raw.seek(SeekFrom::Start(0)).map_err(spill_io)?;
    let waveform = write_wav(BufReader::new(raw), frames, gain, out_wav)?;
    Ok(NormalizedAudio {
        frames,
        duration_seconds: frames as f64 / f64::from(TARGET_SAMPLE_RATE),
        gain,
        waveform,
    })
}

/// Second pass: raw f32 spill -> gain -> 16-bit WAV, computing the waveform peaks.
fn write_wav<R: Read>(
    mut raw: R,
    frames: u64,
    gain: f32,
    out_wav: &Path,
) -> Result<Vec<f32>, MediaError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: TARGET_SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |e: hound::Error| match e {
        hound::Error::IoError(io) => MediaError::io(out_wav, io),
        other => MediaError::corrupt(format!("wav writer: {other}")),
    };
    let mut writer = hound::WavWriter::create(out_wav, spec).map_err(wav_err)?;
    let per_point = frames.div_ceil(WAVEFORM_POINTS as u64).max(1);
    let mut waveform = vec![0f32; WAVEFORM_POINTS];
    let mut bytes = [0u8; 4];
    for i in 0..frames {
        raw.read_exact(&mut bytes).map_err(spill_io)?;
        let s = (f32::from_le_bytes(bytes) * gain).clamp(-1.0, 1.0);
        let point = ((i / per_point) as usize).min(WAVEFORM_POINTS - 1);
        waveform[point] = waveform[point].max(s.abs());
        writer
            .write_sample((s * f32::from(i16::MAX)).round() as i16)
            .map_err(wav_err)?;
    }
    writer.finalize().map_err(wav_err)?;
    Ok(waveform)
}
