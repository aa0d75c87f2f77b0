//! How long the output is and how many segments it takes, from the facts of the input that
//! drives the timeline (audio duration, or video frames at the video's own fps) or, for a
//! fixed timeline, from the target duration.

use crate::WorkflowError;
use crate::issue::{IssueField, PlanIssue};
use crate::manifest::{InputKind, Manifest, Profile, Timeline, TimelineSource};
use crate::settings::JobSettings;
use animatrix_common::ErrorCode;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FramePlan {
    pub fps: f64,
    pub chunk_count: u32,
    pub frame_count: u32,
    /// Frames of the driving video the graph reads (video-driven templates).
    pub source_frame_count: Option<u32>,
    pub warnings: Vec<PlanIssue>,
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

/// Seconds in user language: "24 s", "2.5 s".
pub(crate) fn fmt_secs(s: f64) -> String {
    let r = (s * 10.0).round() / 10.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{r:.0} s")
    } else {
        format!("{r:.1} s")
    }
}

fn fixed_fps(m: &Manifest) -> Result<f64, WorkflowError> {
    // Checked at load (`TimelineNeedsFps`); kept as an error rather than a panic.
    m.timeline.fps.ok_or_else(|| WorkflowError::BindInvariant {
        template: m.name.clone(),
        reason: "timeline needs a fixed fps".into(),
    })
}

/// The control a timeline error belongs to: the target duration, or the driving input.
pub(crate) fn error_field(m: &Manifest, e: &WorkflowError) -> IssueField {
    match (e, &m.timeline.source) {
        (WorkflowError::InvalidTargetDuration { .. }, _) => IssueField::TargetDuration,
        (_, TimelineSource::Input(role)) => IssueField::input(role),
        (_, TimelineSource::Fixed) => IssueField::Template,
    }
}

/// The frame plan for `profile` (see [`error_field`] for where an error belongs).
pub(crate) fn plan_frames(
    m: &Manifest,
    profile_name: &str,
    profile: &Profile,
    settings: &JobSettings,
) -> Result<FramePlan, WorkflowError> {
    let target = match settings.target_duration_secs {
        Some(t) if !(t.is_finite() && t > 0.0) => {
            return Err(WorkflowError::InvalidTargetDuration { value: t });
        }
        other => other,
    };
    match &m.timeline.source {
        TimelineSource::Fixed => fixed(m, profile, target),
        TimelineSource::Input(role) => match m.inputs.get(role).map(|i| i.kind) {
            Some(InputKind::Audio) => audio(m, role, profile_name, profile, settings, target),
            Some(InputKind::Video) => video(m, role, profile, settings, target),
            _ => Err(WorkflowError::BindInvariant {
                template: m.name.clone(),
                reason: format!("timeline input {role} is not audio or video"),
            }),
        },
    }
}

/// Most frames `profile` can make: what its segments hold. A template with no extension makes
/// one Wan pass, so at most `first_chunk_frames` however long the profile's duration allows (a
/// 5 s limit at 30 fps would otherwise ask one pass for 150 frames).
fn frame_cap(m: &Manifest, profile: &Profile) -> u64 {
    let chunks = if m.extension.is_some() {
        profile.max_chunks
    } else {
        1
    };
    m.timeline.capacity(chunks)
}

fn missing(m: &Manifest, fact: &str) -> WorkflowError {
    WorkflowError::MissingMediaFact {
        template: m.name.clone(),
        fact: fact.to_owned(),
    }
}

fn label_of(m: &Manifest, role: &str) -> String {
    m.inputs
        .get(role)
        .map_or_else(|| role.replace('_', " "), |i| i.label.to_lowercase())
}

fn audio(
    m: &Manifest,
    role: &str,
    profile_name: &str,
    profile: &Profile,
    settings: &JobSettings,
    target: Option<f64>,
) -> Result<FramePlan, WorkflowError> {
    let timeline = &m.timeline;
    let duration = settings
        .media
        .audio_duration_secs
        .ok_or_else(|| missing(m, "audio_duration_secs"))?;
    if !(duration.is_finite() && duration > 0.0) {
        return Err(WorkflowError::InvalidMediaFact {
            fact: "audio_duration_secs".into(),
            value: duration.to_string(),
        });
    }
    let fps = fixed_fps(m)?;
    let used = target.map_or(duration, |t| t.min(duration));
    let wanted = ((used * fps) - EPS).ceil().max(1.0) as u64;
    let fits = |p: &Profile| used <= p.max_duration_secs + EPS && wanted <= frame_cap(m, p);
    if !fits(profile) {
        // The shorter of the profile's duration and what its segments hold, in tenths of a
        // second rounded down, so audio trimmed to the number said always fits.
        let cap_secs = (frame_cap(m, profile) as f64 / fps * 10.0 + EPS).floor() / 10.0;
        return Err(WorkflowError::AudioTooLong {
            profile: profile_name.to_owned(),
            duration_secs: used,
            max_secs: profile.max_duration_secs.min(cap_secs),
            fits: m
                .profiles
                .values()
                .filter(|p| fits(p))
                .map(|p| p.label.clone())
                .collect(),
        });
    }
    let mut warnings = Vec::new();
    if used + EPS < duration {
        warnings.push(PlanIssue::warning(
            ErrorCode::AudioTrimmed,
            IssueField::input(role),
            format!(
                "Only the first {} of the {} will be performed.",
                fmt_secs(used),
                label_of(m, role)
            ),
        ));
    }
    Ok(FramePlan {
        fps,
        chunk_count: timeline.chunks_for(wanted) as u32,
        frame_count: wanted as u32,
        source_frame_count: None,
        warnings,
    })
}

fn fixed(m: &Manifest, profile: &Profile, target: Option<f64>) -> Result<FramePlan, WorkflowError> {
    let timeline = &m.timeline;
    let fps = fixed_fps(m)?;
    let cap_frames = ((profile.max_duration_secs * fps) + EPS)
        .floor()
        .min(frame_cap(m, profile) as f64) as u64;
    let wanted = match target {
        Some(t) => ((t * fps) - EPS).ceil().max(1.0) as u64,
        None => u64::from(timeline.first_chunk_frames),
    };
    // Wan generates 4n+1 frames.
    let quantize = |f: u64| (f.saturating_sub(1)).div_ceil(4) * 4 + 1;
    let mut frames = quantize(wanted);
    let mut warnings = Vec::new();
    if frames > cap_frames {
        frames = (cap_frames.saturating_sub(1) / 4) * 4 + 1;
        warnings.push(PlanIssue::warning(
            ErrorCode::DurationCapped,
            IssueField::TargetDuration,
            format!(
                "This quality profile makes at most {} of video.",
                fmt_secs(frames as f64 / fps)
            ),
        ));
    }
    Ok(FramePlan {
        fps,
        chunk_count: timeline.chunks_for(frames) as u32,
        frame_count: frames as u32,
        source_frame_count: None,
        warnings,
    })
}

fn video(
    m: &Manifest,
    role: &str,
    profile: &Profile,
    settings: &JobSettings,
    target: Option<f64>,
) -> Result<FramePlan, WorkflowError> {
    let timeline = &m.timeline;
    let frames = settings
        .media
        .video_frame_count
        .ok_or_else(|| missing(m, "video_frame_count"))?;
    let src_fps = settings
        .media
        .video_fps
        .ok_or_else(|| missing(m, "video_fps"))?;
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
    let used = u64::from(frames)
        .min(limit_frames)
        .min(frame_cap(m, profile));
    let chunks = timeline.chunks_for(used);
    let mut warnings = Vec::new();
    if used < u64::from(frames) {
        warnings.push(PlanIssue::warning(
            ErrorCode::VideoTrimmed,
            IssueField::input(role),
            format!(
                "Only the first {} of the {} will be used.",
                fmt_secs(used as f64 / src_fps),
                label_of(m, role)
            ),
        ));
    }
    Ok(FramePlan {
        fps: timeline.fps.unwrap_or(src_fps),
        chunk_count: chunks as u32,
        frame_count: used as u32,
        source_frame_count: Some(used as u32),
        warnings,
    })
}
