//! How long the output is and how many segments it takes, from the media facts.

use serde::{Deserialize, Serialize};

use crate::WorkflowError;
use crate::manifest::{Manifest, Profile, Timeline, TimelineSource};
use crate::settings::JobSettings;

/// Something the user should know about a bound job that is not an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindWarning {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FramePlan {
    pub fps: f64,
    pub chunk_count: u32,
    pub frame_count: u32,
    /// Frames of the source video the graph reads (video-driven templates).
    pub source_frame_count: Option<u32>,
    pub warnings: Vec<BindWarning>,
}

/// Slack for float comparisons of durations (well under one frame).
const EPS: f64 = 1e-6;
/// Highest source frame rate accepted.
const MAX_FPS: f64 = 240.0;

impl Timeline {
    /// Frames produced by `chunks` segments.
    pub fn capacity(&self, chunks: u32) -> u64 {
        u64::from(self.first_chunk_frames)
            + u64::from(self.extension_frames) * u64::from(chunks.saturating_sub(1))
    }

    /// Segments needed for `frames` output frames.
    pub fn chunks_for(&self, frames: u64) -> u64 {
        let first = u64::from(self.first_chunk_frames);
        if frames <= first || self.extension_frames == 0 {
            1
        } else {
            1 + (frames - first).div_ceil(u64::from(self.extension_frames))
        }
    }
}

fn fmt_secs(s: f64) -> String {
    format!("{s:.1} s")
}

pub(crate) fn plan(
    manifest: &Manifest,
    profile_name: &str,
    profile: &Profile,
    settings: &JobSettings,
) -> Result<FramePlan, WorkflowError> {
    let timeline = &manifest.timeline;
    let target = match settings.target_duration_secs {
        Some(t) if !(t.is_finite() && t > 0.0) => {
            return Err(WorkflowError::InvalidTargetDuration { value: t });
        }
        other => other,
    };
    let mut warnings = Vec::new();
    let missing = |fact: &str| WorkflowError::MissingMediaFact {
        template: manifest.name.clone(),
        fact: fact.to_owned(),
    };
    match timeline.source {
        TimelineSource::Audio => {
            let duration = settings
                .media
                .audio_duration_secs
                .ok_or_else(|| missing("audio_duration_secs"))?;
            if !(duration.is_finite() && duration > 0.0) {
                return Err(WorkflowError::InvalidMediaFact {
                    fact: "audio_duration_secs".into(),
                    value: duration.to_string(),
                });
            }
            let fps = timeline.fps.ok_or_else(|| WorkflowError::TemplateInvalid {
                template: manifest.name.clone(),
                reason: "audio timeline needs a fixed fps".into(),
            })?;
            let used = target.map_or(duration, |t| t.min(duration));
            if used > profile.max_duration_secs + EPS {
                return Err(WorkflowError::AudioTooLong {
                    profile: profile_name.to_owned(),
                    duration_secs: used,
                    max_secs: profile.max_duration_secs,
                });
            }
            if used + EPS < duration {
                warnings.push(BindWarning {
                    code: "audio_trimmed".into(),
                    message: format!(
                        "Only the first {} of the audio will be performed.",
                        fmt_secs(used)
                    ),
                });
            }
            let wanted = ((used * fps) - EPS).ceil().max(1.0) as u64;
            let chunks = timeline.chunks_for(wanted);
            if chunks > u64::from(profile.max_chunks) {
                return Err(WorkflowError::AudioTooLong {
                    profile: profile_name.to_owned(),
                    duration_secs: used,
                    max_secs: profile.max_duration_secs,
                });
            }
            Ok(FramePlan {
                fps,
                chunk_count: chunks as u32,
                frame_count: wanted as u32,
                source_frame_count: None,
                warnings,
            })
        }
        TimelineSource::Fixed => {
            let fps = timeline.fps.ok_or_else(|| WorkflowError::TemplateInvalid {
                template: manifest.name.clone(),
                reason: "fixed timeline needs an fps".into(),
            })?;
            let cap_frames = ((profile.max_duration_secs * fps) + EPS)
                .floor()
                .min(timeline.capacity(profile.max_chunks) as f64)
                as u64;
            let wanted = match target {
                Some(t) => ((t * fps) - EPS).ceil().max(1.0) as u64,
                None => u64::from(timeline.first_chunk_frames),
            };
            // Wan generates 4n+1 frames.
            let quantize = |f: u64| (f.saturating_sub(1)).div_ceil(4) * 4 + 1;
            let mut frames = quantize(wanted);
            if frames > cap_frames {
                frames = (cap_frames.saturating_sub(1) / 4) * 4 + 1;
                warnings.push(BindWarning {
                    code: "duration_capped".into(),
                    message: format!(
                        "This quality profile makes at most {} of video.",
                        fmt_secs(frames as f64 / fps)
                    ),
                });
            }
            Ok(FramePlan {
                fps,
                chunk_count: timeline.chunks_for(frames) as u32,
                frame_count: frames as u32,
                source_frame_count: None,
                warnings,
            })
        }
        TimelineSource::Video => {
            let frames = settings
                .media
                .video_frame_count
                .ok_or_else(|| missing("video_frame_count"))?;
            let src_fps = settings
                .media
                .video_fps
                .ok_or_else(|| missing("video_fps"))?;
            if frames == 0 {
                return Err(WorkflowError::InvalidMediaFact {
                    fact: "video_frame_count".into(),
                    value: "0".into(),
                });
            }
            if !(1.0..=MAX_FPS).contains(&src_fps) {
                return Err(WorkflowError::InvalidMediaFact {
                    fact: "video_fps".into(),
                    value: src_fps.to_string(),
                });
            }
            let limit_secs = target.map_or(profile.max_duration_secs, |t| {
                t.min(profile.max_duration_secs)
            });
            let limit_frames = ((limit_secs * src_fps) + EPS).floor().max(1.0) as u64;
            let mut used = u64::from(frames).min(limit_frames);
            let chunks = timeline.chunks_for(used);
            let max_chunks = u64::from(profile.max_chunks);
            let chunks = if chunks > max_chunks {
                used = used.min(timeline.capacity(profile.max_chunks));
                max_chunks
            } else {
                chunks
            };
            if used < u64::from(frames) {
                warnings.push(BindWarning {
                    code: "video_trimmed".into(),
                    message: format!(
                        "Only the first {} of the motion video will be used.",
                        fmt_secs(used as f64 / src_fps)
                    ),
                });
            }
            Ok(FramePlan {
                fps: timeline.fps.unwrap_or(src_fps),
                chunk_count: chunks as u32,
                frame_count: used as u32,
                source_frame_count: Some(used as u32),
                warnings,
            })
        }
    }
}
