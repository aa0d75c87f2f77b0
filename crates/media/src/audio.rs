//! Audio: exact-duration probe, and normalization to 16 kHz mono 16-bit PCM WAV for wav2vec2.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom};
use std::path::Path;

use rubato::{FftFixedInOut, Resampler};
use serde::{Deserialize, Serialize};
use symphonia::core::audio::{AudioBufferRef, SampleBuffer};
use symphonia::core::codecs::{CODEC_TYPE_NULL, CodecParameters, Decoder, DecoderOptions};
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

/// The rate wav2vec2 (and so Wan S2V) works at.
pub const TARGET_SAMPLE_RATE: u32 = 16_000;
/// Number of peaks in the waveform summary the UI draws.
pub const WAVEFORM_POINTS: usize = 200;
/// Below this peak (-60 dBFS) a file is refused as silent.
const SILENT_PEAK: f32 = 0.001;
/// Below this peak (-20 dBFS) the audio is raised so its peak sits at -1 dBFS.
const QUIET_PEAK: f32 = 0.1;
const NORMALIZED_PEAK: f32 = 0.891;
/// Real recordings run from 8 kHz (telephony; 4 kHz allows for odd old files) to 768 kHz
/// (studio DXD). A header outside that is damaged or hostile, and is refused before anything is
/// sized from it: the resampler's FFT length grows with `rate / gcd(rate, 16 kHz)` (a header
/// claiming 4294967295 Hz asked for gigabytes) and with `16 kHz / rate` (1 Hz turns each input
/// frame into 16000 output frames).
pub const MIN_SAMPLE_RATE: u32 = 4_000;
pub const MAX_SAMPLE_RATE: u32 = 768_000;
/// Channels of any real layout (symphonia's channel mask holds at most 32 anyway).
const MAX_CHANNELS: usize = 32;

/// The stream's sample rate, checked against [`MIN_SAMPLE_RATE`]..=[`MAX_SAMPLE_RATE`], and its
/// channel count, checked too: every later allocation and loop is sized from these.
fn checked_stream(params: &CodecParameters) -> Result<u32, MediaError> {
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

/// Opens the source again: quiet audio is rendered a second time with its gain (rare), which
/// keeps memory constant instead of holding the whole signal to normalize it.
pub(crate) type OpenSource<'a> = &'a dyn Fn() -> Result<Box<dyn MediaSource>, MediaError>;

/// Output frames per waveform bucket (5 ms); folded into [`WAVEFORM_POINTS`] at the end.
const BUCKET_FRAMES: u64 = 80;
/// Mono frames per message from the decoding thread.
const CHUNK: usize = 4096;

struct Rendered {
    frames: u64,
    /// Peak before gain.
    peak: f32,
    /// Post-gain peak per [`BUCKET_FRAMES`] output frames.
    buckets: Vec<f32>,
}

fn resample_error(e: impl std::fmt::Display) -> MediaError {
    MediaError::corrupt(format!("resampler: {e}"))
}

/// Decodes, downmixes to mono, resamples to 16 kHz and writes a 16-bit PCM WAV to `out_wav`.
/// Refuses empty, silent and over-long audio.
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
    Ok(NormalizedAudio {
        frames: rendered.frames,
        duration_seconds: rendered.frames as f64 / f64::from(TARGET_SAMPLE_RATE),
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

/// Decoding thread: packets -> mono f32 chunks over a bounded channel. Returns input frames.
fn decode_mono(
    mut opened: OpenedAudio,
    in_rate: u32,
    max_seconds: f64,
    tx: std::sync::mpsc::SyncSender<Vec<f32>>,
) -> Result<u64, MediaError> {
    let mut decoder: Box<dyn Decoder> = symphonia::default::get_codecs()
        .make(&opened.params, &DecoderOptions::default())
        .map_err(map_sym_error)?;
    let max_in_frames = (max_seconds * f64::from(in_rate)).ceil() as u64 + u64::from(in_rate);
    let mut in_frames = 0u64;
    let mut sample_buf: Option<SampleBuffer<f32>> = None;
    let mut decode_errors = 0u32;
    let mut chunk: Vec<f32> = Vec::with_capacity(CHUNK * 2);
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
            // The common case (MP3, AAC, Vorbis decode to planar f32): average the planes
            // directly instead of interleaving first.
            AudioBufferRef::F32(planar) => {
                let planes = planar.planes();
                let planes = planes.planes();
                let start = chunk.len();
                chunk.extend_from_slice(&planes[0][..frames]);
                let mixed = &mut chunk[start..];
                for plane in &planes[1..] {
                    for (m, s) in mixed.iter_mut().zip(&plane[..frames]) {
                        *m += *s;
                    }
                }
                if channels > 1 {
                    let scale = 1.0 / channels as f32;
                    mixed.iter_mut().for_each(|m| *m *= scale);
                }
            }
            other => {
                let buf = match &mut sample_buf {
                    Some(b) if b.capacity() >= frames * channels => b,
                    _ => sample_buf.insert(SampleBuffer::<f32>::new(frames as u64, *other.spec())),
                };
                buf.copy_interleaved_ref(other);
                let scale = 1.0 / channels as f32;
                chunk.extend(
                    buf.samples()
                        .chunks_exact(channels)
                        .map(|frame| frame.iter().sum::<f32>() * scale),
                );
            }
        }
        in_frames += frames as u64;
        if in_frames > max_in_frames {
            return Err(MediaError::AudioTooLong {
                seconds: in_frames as f64 / f64::from(in_rate),
                max_seconds,
            });
        }
        if chunk.len() >= CHUNK {
            // A closed channel means the writer failed; its error is the one reported.
            if tx
                .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK * 2)))
                .is_err()
            {
                return Ok(in_frames);
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(chunk);
    }
    Ok(in_frames)
}

/// Writes resampled output: drops the resampler delay and edit-list priming, caps the length,
/// applies the gain, tracks peaks.
struct Sink {
    writer: hound::WavWriter<BufWriter<File>>,
    skip: u64,
    cap: u64,
    frames: u64,
    peak: f32,
    gain: f32,
    buckets: Vec<f32>,
}

impl Sink {
    fn push(&mut self, samples: &[f32]) -> Result<(), hound::Error> {
        let drop = self.skip.min(samples.len() as u64) as usize;
        self.skip -= drop as u64;
        let room = self.cap.saturating_sub(self.frames) as usize;
        let samples = &samples[drop..samples.len().min(drop.saturating_add(room))];
        if samples.is_empty() {
            return Ok(());
        }
        let mut out = self.writer.get_i16_writer(samples.len() as u32);
        let scale = self.gain * f32::from(i16::MAX);
        let mut rest = samples;
        while !rest.is_empty() {
            // One waveform bucket at a time, so the per-sample loop stays branch-free.
            let in_bucket = (BUCKET_FRAMES - self.frames % BUCKET_FRAMES) as usize;
            let (segment, tail) = rest.split_at(in_bucket.min(rest.len()));
            let mut segment_peak = 0.0f32;
            for &s in segment {
                segment_peak = segment_peak.max(s.abs());
                out.write_sample((s * scale).clamp(-32767.0, 32767.0) as i16);
            }
            self.peak = self.peak.max(segment_peak);
            let bucket = (self.frames / BUCKET_FRAMES) as usize;
            if bucket >= self.buckets.len() {
                self.buckets.push(0.0);
            }
            if let Some(b) = self.buckets.get_mut(bucket) {
                *b = b.max((segment_peak * self.gain).min(1.0));
            }
            self.frames += segment.len() as u64;
            rest = tail;
        }
        out.flush()
    }
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
    let in_rate = checked_stream(&opened.params)?;
    let wav_err = |e: hound::Error| match e {
        hound::Error::IoError(io) => MediaError::io(out_wav, io),
        other => MediaError::corrupt(format!("wav writer: {other}")),
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: TARGET_SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut resampler = if in_rate == TARGET_SAMPLE_RATE {
        None
    } else {
        Some(
            FftFixedInOut::<f32>::new(in_rate as usize, TARGET_SAMPLE_RATE as usize, CHUNK, 1)
                .map_err(resample_error)?,
        )
    };
    let rate = f64::from(TARGET_SAMPLE_RATE);
    let mut sink = Sink {
        writer: hound::WavWriter::create(out_wav, spec).map_err(wav_err)?,
        skip: resampler.as_ref().map_or(0, |r| r.output_delay() as u64)
            + edit.map_or(0, |e| (e.skip_seconds * rate).round() as u64),
        cap: edit.map_or(u64::MAX, |e| (e.duration_seconds * rate).round() as u64),
        frames: 0,
        peak: 0.0,
        gain,
        buckets: Vec::new(),
    };
    let mut out_buf = vec![0f32; resampler.as_ref().map_or(0, |r| r.output_frames_max())];
    let mut pending: Vec<f32> = Vec::with_capacity(CHUNK * 3);

    // Decoding (the costly part) runs on its own thread while this one resamples and writes.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<f32>>(16);
    let in_frames = std::thread::scope(|scope| -> Result<u64, MediaError> {
        let decoding = scope.spawn(move || decode_mono(opened, in_rate, max_seconds, tx));
        let mut write = || -> Result<(), MediaError> {
            for chunk in &rx {
                match &mut resampler {
                    None => sink.push(&chunk).map_err(wav_err)?,
                    Some(r) => {
                        pending.extend_from_slice(&chunk);
                        let mut consumed = 0;
                        while pending.len() - consumed >= r.input_frames_next() {
                            let (used, written) = r
                                .process_into_buffer(
                                    &[&pending[consumed..]],
                                    &mut [&mut out_buf[..]],
                                    None,
                                )
                                .map_err(resample_error)?;
                            consumed += used;
                            sink.push(&out_buf[..written]).map_err(wav_err)?;
                        }
                        pending.drain(..consumed);
                    }
                }
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
    let expected = (in_frames as f64 * rate / f64::from(in_rate)).round() as u64;
    sink.cap = sink.cap.min(expected);
    if let Some(r) = &mut resampler {
        // Feed the tail, then silence, until the delayed output has caught up.
        // rubato 0.16 rejects an empty partial chunk; `None` means "only flush".
        let mut tail: Option<&[f32]> = (!pending.is_empty()).then_some(&pending[..]);
        let mut guard = 0;
        while sink.frames < sink.cap && guard < 64 {
            let input: Option<&[&[f32]]> = tail.as_ref().map(std::slice::from_ref);
            let (_, written) = r
                .process_partial_into_buffer(input, &mut [&mut out_buf[..]], None)
                .map_err(resample_error)?;
            sink.push(&out_buf[..written]).map_err(wav_err)?;
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
        frames,
        peak,
        buckets,
    })
}
