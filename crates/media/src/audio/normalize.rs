//! Normalization to a lossless PCM WAV that keeps the user's sound: the delivered Audio
//! Performance video carries this file's audio, so it keeps the source's channels (mono or
//! stereo; other layouts are folded to mono), its rate (up to [`MAX_KEPT_SAMPLE_RATE`]) and its
//! depth (24-bit when the source has more than 16 bits). ComfyUI's audio encoder node resamples
//! to wav2vec2's 16 kHz for the model by itself. Empty, silent and over-long audio is refused;
//! quiet audio is lifted.

use std::path::Path;

use rubato::{FftFixedInOut, Resampler};
use serde::{Deserialize, Serialize};
use symphonia::core::audio::{AudioBufferRef, SampleBuffer};
use symphonia::core::codecs::{Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::io::MediaSource;

use super::frames::{Planes, Sink, append_interleaved, append_planes};
use super::{
    AudioEdit, MAX_KEPT_SAMPLE_RATE, OpenedAudio, WAVEFORM_POINTS, checked_stream, map_sym_error,
    open,
};
use crate::error::MediaError;
use crate::sniff::Sniffed;

/// Below this peak (-60 dBFS) a file is refused as silent.
const SILENT_PEAK: f32 = 0.001;
/// Below this peak (-20 dBFS) the audio is raised so its peak sits at -1 dBFS.
const QUIET_PEAK: f32 = 0.1;
const NORMALIZED_PEAK: f32 = 0.891;
/// Frames per message from the decoding thread (and the resampler's chunk).
const CHUNK: usize = 4096;

/// What normalization produced besides the WAV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedAudio {
    /// Frames written at `sample_rate`.
    pub frames: u64,
    pub duration_seconds: f64,
    pub sample_rate: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
    /// Gain applied to lift quiet audio (1.0 = untouched).
    pub gain: f32,
    /// [`WAVEFORM_POINTS`] peaks in 0..=1 over the normalized audio, for the UI.
    pub waveform: Vec<f32>,
}

/// Opens the source again: quiet audio is rendered a second time with its gain (rare), which
/// keeps memory constant instead of holding the whole signal to normalize it.
pub(crate) type OpenSource<'a> = &'a dyn Fn() -> Result<Box<dyn MediaSource>, MediaError>;

/// The WAV written for a source.
#[derive(Debug, Clone, Copy)]
struct Target {
    in_rate: u32,
    rate: u32,
    channels: usize,
    bits: u16,
}

impl Target {
    fn of(opened: &OpenedAudio) -> Result<Target, MediaError> {
        let in_rate = checked_stream(&opened.params)?;
        let in_channels = opened.params.channels.map_or(1, |c| c.count());
        Ok(Target {
            in_rate,
            rate: in_rate.min(MAX_KEPT_SAMPLE_RATE),
            channels: if in_channels == 2 { 2 } else { 1 },
            bits: if opened.params.bits_per_sample.is_some_and(|b| b > 16) {
                24
            } else {
                16
            },
        })
    }

    /// Output frames per waveform bucket (5 ms).
    fn bucket_frames(&self) -> u64 {
        u64::from(self.rate / 200).max(1)
    }
}

struct Rendered {
    target: Target,
    frames: u64,
    /// Peak before gain.
    peak: f32,
    /// Post-gain peak per 5 ms of output.
    buckets: Vec<f32>,
}

fn resample_error(e: impl std::fmt::Display) -> MediaError {
    MediaError::corrupt(format!("resampler: {e}"))
}

/// Decodes and writes the normalized WAV to `out_wav`. Refuses empty, silent and over-long audio.
pub(crate) fn normalize_audio(
    open_source: OpenSource<'_>,
    sniffed: &Sniffed,
    edit: Option<AudioEdit>,
    max_seconds: f64,
    out_wav: &Path,
) -> Result<NormalizedAudio, MediaError> {
    crate::guard::contain_panics("audio", || {
        normalize_audio_inner(open_source, sniffed, edit, max_seconds, out_wav)
    })
}

fn normalize_audio_inner(
    open_source: OpenSource<'_>,
    sniffed: &Sniffed,
    edit: Option<AudioEdit>,
    max_seconds: f64,
    out_wav: &Path,
) -> Result<NormalizedAudio, MediaError> {
    let mut gain = 1.0;
    let mut rendered = render(open_source()?, sniffed, edit, max_seconds, gain, out_wav)?;
    if rendered.peak < SILENT_PEAK {
        return Err(MediaError::AudioSilent {
            peak_dbfs: 20.0 * rendered.peak.max(1e-9).log10(),
        });
    }
    if rendered.peak < QUIET_PEAK {
        gain = NORMALIZED_PEAK / rendered.peak;
        rendered = render(open_source()?, sniffed, edit, max_seconds, gain, out_wav)?;
    }
    let t = rendered.target;
    Ok(NormalizedAudio {
        frames: rendered.frames,
        duration_seconds: rendered.frames as f64 / f64::from(t.rate),
        sample_rate: t.rate,
        channels: t.channels as u16,
        bits_per_sample: t.bits,
        gain,
        waveform: fold_waveform(&rendered.buckets),
    })
}

fn fold_waveform(buckets: &[f32]) -> Vec<f32> {
    let n = buckets.len();
    (0..WAVEFORM_POINTS)
        .map(|i| {
            let start = i * n / WAVEFORM_POINTS;
            let end = ((i + 1) * n)
                .div_ceil(WAVEFORM_POINTS)
                .max(start + 1)
                .min(n);
            buckets
                .get(start..end)
                .map_or(0.0, |b| b.iter().fold(0.0f32, |m, v| m.max(*v)))
        })
        .collect()
}

/// Decoding thread: packets -> planar chunks over a bounded channel. Returns input frames.
fn decode(
    mut opened: OpenedAudio,
    target: Target,
    max_seconds: f64,
    tx: std::sync::mpsc::SyncSender<Planes>,
) -> Result<u64, MediaError> {
    let mut decoder: Box<dyn Decoder> = symphonia::default::get_codecs()
        .make(&opened.params, &DecoderOptions::default())
        .map_err(map_sym_error)?;
    let in_rate = target.in_rate;
    let max_in_frames = (max_seconds * f64::from(in_rate)).ceil() as u64 + u64::from(in_rate);
    let mut in_frames = 0u64;
    let mut sample_buf: Option<SampleBuffer<f32>> = None;
    let mut decode_errors = 0u32;
    let fresh = || vec![Vec::with_capacity(CHUNK * 2); target.channels];
    let mut chunk = fresh();
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
        match decoded {
            // The common case (MP3, AAC, Vorbis decode to planar f32): use the planes directly
            // instead of interleaving first.
            AudioBufferRef::F32(planar) => {
                let planes = planar.planes();
                append_planes(&mut chunk, planes.planes(), frames);
            }
            other => {
                let buf = match &mut sample_buf {
                    Some(b) if b.capacity() >= frames * channels => b,
                    _ => sample_buf.insert(SampleBuffer::<f32>::new(frames as u64, *other.spec())),
                };
                buf.copy_interleaved_ref(other);
                append_interleaved(&mut chunk, buf.samples(), channels);
            }
        }
        in_frames += frames as u64;
        if in_frames > max_in_frames {
            return Err(MediaError::AudioTooLong {
                seconds: in_frames as f64 / f64::from(in_rate),
                max_seconds,
            });
        }
        // A closed channel means the writer failed; its error is the one reported.
        if chunk[0].len() >= CHUNK && tx.send(std::mem::replace(&mut chunk, fresh())).is_err() {
            return Ok(in_frames);
        }
    }
    if !chunk[0].is_empty() {
        let _ = tx.send(chunk);
    }
    Ok(in_frames)
}

fn render(
    source: Box<dyn MediaSource>,
    sniffed: &Sniffed,
    edit: Option<AudioEdit>,
    max_seconds: f64,
    gain: f32,
    out_wav: &Path,
) -> Result<Rendered, MediaError> {
    let opened = open(source, sniffed)?;
    let target = Target::of(&opened)?;
    let wav_err = |e: hound::Error| match e {
        hound::Error::IoError(io) => MediaError::io(out_wav, io),
        other => MediaError::corrupt(format!("wav writer: {other}")),
    };
    let spec = hound::WavSpec {
        channels: target.channels as u16,
        sample_rate: target.rate,
        bits_per_sample: target.bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut resampler = if target.in_rate == target.rate {
        None
    } else {
        Some(
            FftFixedInOut::<f32>::new(
                target.in_rate as usize,
                target.rate as usize,
                CHUNK,
                target.channels,
            )
            .map_err(resample_error)?,
        )
    };
    let rate = f64::from(target.rate);
    let mut sink = Sink {
        writer: hound::WavWriter::create(out_wav, spec).map_err(wav_err)?,
        bits: target.bits,
        bucket_frames: target.bucket_frames(),
        skip: resampler.as_ref().map_or(0, |r| r.output_delay() as u64)
            + edit.map_or(0, |e| (e.skip_seconds * rate).round() as u64),
        cap: edit.map_or(u64::MAX, |e| (e.duration_seconds * rate).round() as u64),
        frames: 0,
        peak: 0.0,
        gain,
        buckets: Vec::new(),
    };
    let out_len = resampler.as_ref().map_or(0, |r| r.output_frames_max());
    let mut out_buf: Planes = vec![vec![0f32; out_len]; target.channels];
    let mut pending: Planes = vec![Vec::with_capacity(CHUNK * 3); target.channels];

    // Decoding (the costly part) runs on its own thread while this one resamples and writes.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Planes>(16);
    let in_frames = std::thread::scope(|scope| -> Result<u64, MediaError> {
        let decoding = scope.spawn(move || decode(opened, target, max_seconds, tx));
        let mut write = || -> Result<(), MediaError> {
            for chunk in &rx {
                let Some(r) = &mut resampler else {
                    sink.push(&chunk, chunk[0].len()).map_err(wav_err)?;
                    continue;
                };
                for (p, c) in pending.iter_mut().zip(&chunk) {
                    p.extend_from_slice(c);
                }
                let mut consumed = 0;
                while pending[0].len() - consumed >= r.input_frames_next() {
                    let input: Vec<&[f32]> = pending.iter().map(|p| &p[consumed..]).collect();
                    let (used, written) = r
                        .process_into_buffer(&input, &mut out_buf, None)
                        .map_err(resample_error)?;
                    consumed += used;
                    sink.push(&out_buf, written).map_err(wav_err)?;
                }
                pending.iter_mut().for_each(|p| {
                    p.drain(..consumed);
                });
            }
            Ok(())
        };
        let written = write();
        drop(rx);
        let decoded = decoding
            .join()
            .map_err(|_| MediaError::corrupt("audio decoder thread panicked"))?;
        written?;
        decoded
    })?;

    if in_frames == 0 {
        return Err(MediaError::AudioEmpty {
            detail: "decoding produced 0 sample frames".to_string(),
        });
    }
    let expected = (in_frames as f64 * rate / f64::from(target.in_rate)).round() as u64;
    sink.cap = sink.cap.min(expected);
    if let Some(r) = &mut resampler {
        // Feed the tail, then silence, until the delayed output has caught up.
        // rubato 0.16 rejects an empty partial chunk; `None` means "only flush".
        let mut tail = (!pending[0].is_empty()).then_some(&pending);
        let mut guard = 0;
        while sink.frames < sink.cap && guard < 64 {
            let (_, written) = r
                .process_partial_into_buffer(tail.map(|p| p.as_slice()), &mut out_buf, None)
                .map_err(resample_error)?;
            sink.push(&out_buf, written).map_err(wav_err)?;
            tail = None;
            guard += 1;
        }
    }
    let Sink {
        writer,
        frames,
        peak,
        buckets,
        ..
    } = sink;
    writer.finalize().map_err(wav_err)?;
    if frames == 0 {
        return Err(MediaError::AudioEmpty {
            detail: "no sample frames left after the edit list".to_string(),
        });
    }
    Ok(Rendered {
        target,
        frames,
        peak,
        buckets,
    })
}
