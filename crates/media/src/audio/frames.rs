//! Frames in and out of normalization: decoded planes gathered into the output's channels
//! (stereo kept, other layouts averaged to mono), and the WAV sink that trims, caps, applies
//! the gain and tracks peaks for the waveform.

use std::fs::File;
use std::io::BufWriter;

/// One chunk of audio, one plane per output channel.
pub(super) type Planes = Vec<Vec<f32>>;

/// Appends `frames` frames of decoded planes to `chunk`: stereo kept, anything else averaged.
pub(super) fn append_planes(chunk: &mut Planes, planes: &[&[f32]], frames: usize) {
    match chunk.as_mut_slice() {
        [left, right] => {
            left.extend_from_slice(&planes[0][..frames]);
            right.extend_from_slice(&planes.get(1).unwrap_or(&planes[0])[..frames]);
        }
        [mono] => {
            let start = mono.len();
            mono.extend_from_slice(&planes[0][..frames]);
            let mixed = &mut mono[start..];
            for plane in &planes[1..] {
                for (m, s) in mixed.iter_mut().zip(&plane[..frames]) {
                    *m += *s;
                }
            }
            if planes.len() > 1 {
                let scale = 1.0 / planes.len() as f32;
                mixed.iter_mut().for_each(|m| *m *= scale);
            }
        }
        _ => {}
    }
}

/// Like [`append_planes`] for interleaved samples of `channels` channels.
pub(super) fn append_interleaved(chunk: &mut Planes, samples: &[f32], channels: usize) {
    let frames = samples.chunks_exact(channels);
    match chunk.as_mut_slice() {
        [left, right] => {
            for f in frames {
                left.push(f[0]);
                right.push(f[1.min(channels - 1)]);
            }
        }
        [mono] => {
            let scale = 1.0 / channels as f32;
            mono.extend(frames.map(|f| f.iter().sum::<f32>() * scale));
        }
        _ => {}
    }
}

/// Writes output frames: drops the resampler delay and edit-list priming, caps the length,
/// applies the gain, tracks peaks.
pub(super) struct Sink {
    pub(super) writer: hound::WavWriter<BufWriter<File>>,
    pub(super) bits: u16,
    pub(super) bucket_frames: u64,
    pub(super) skip: u64,
    pub(super) cap: u64,
    pub(super) frames: u64,
    pub(super) peak: f32,
    pub(super) gain: f32,
    pub(super) buckets: Vec<f32>,
}

impl Sink {
    /// `planes` hold the same number of frames each.
    pub(super) fn push<P: AsRef<[f32]>>(
        &mut self,
        planes: &[P],
        len: usize,
    ) -> Result<(), hound::Error> {
        let drop = self.skip.min(len as u64) as usize;
        self.skip -= drop as u64;
        let room = self.cap.saturating_sub(self.frames) as usize;
        let end = len.min(drop.saturating_add(room));
        if drop >= end {
            return Ok(());
        }
        // One write for the whole range (one buffer, one flush), then the peaks per 5 ms bucket.
        self.write_frames(planes, drop, end)?;
        let mut at = drop;
        while at < end {
            let in_bucket = (self.bucket_frames - self.frames % self.bucket_frames) as usize;
            let stop = end.min(at + in_bucket);
            let segment_peak = planes.iter().fold(0.0f32, |m, plane| {
                plane.as_ref()[at..stop]
                    .iter()
                    .fold(m, |m, s| m.max(s.abs()))
            });
            self.peak = self.peak.max(segment_peak);
            let bucket = (self.frames / self.bucket_frames) as usize;
            if bucket >= self.buckets.len() {
                self.buckets.push(0.0);
            }
            if let Some(b) = self.buckets.get_mut(bucket) {
                *b = b.max((segment_peak * self.gain).min(1.0));
            }
            self.frames += (stop - at) as u64;
            at = stop;
        }
        Ok(())
    }

    fn write_frames<P: AsRef<[f32]>>(
        &mut self,
        planes: &[P],
        from: usize,
        to: usize,
    ) -> Result<(), hound::Error> {
        if self.bits == 16 {
            let scale = self.gain * f32::from(i16::MAX);
            let to_i16 = |s: f32| (s * scale).clamp(-32767.0, 32767.0) as i16;
            let mut out = self
                .writer
                .get_i16_writer(((to - from) * planes.len()) as u32);
            // Mono and stereo (the only layouts written) without per-sample indexing.
            match planes {
                [mono] => mono.as_ref()[from..to]
                    .iter()
                    .for_each(|s| out.write_sample(to_i16(*s))),
                [left, right] => {
                    let pairs = left.as_ref()[from..to]
                        .iter()
                        .zip(&right.as_ref()[from..to]);
                    for (l, r) in pairs {
                        out.write_sample(to_i16(*l));
                        out.write_sample(to_i16(*r));
                    }
                }
                _ => {
                    for i in from..to {
                        planes
                            .iter()
                            .for_each(|p| out.write_sample(to_i16(p.as_ref()[i])));
                    }
                }
            }
            out.flush()
        } else {
            let max = 8_388_607.0f32;
            let scale = self.gain * max;
            for i in from..to {
                for plane in planes {
                    let s = plane.as_ref()[i];
                    self.writer
                        .write_sample((s * scale).clamp(-max, max) as i32)?;
                }
            }
            Ok(())
        }
    }
}
