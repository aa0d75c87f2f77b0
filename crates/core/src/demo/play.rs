//! Performing a recorded run: its event timeline turned back into the `JobUpdate`s the UI
//! already renders, replayed at the recorded pace or compressed, ending on the recorded video.
//! Only the database and the job's folder are read: nothing here touches the network.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{EventData, JobEvent, JobInputRecord, JobRecord, JobState, JobUpdate, repo};
use crate::{CoreError, Studio};

/// How fast a demo run is performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// The gaps between events as they were recorded.
    RealTime,
    /// The whole run squeezed into at most this long (a run already shorter plays as
    /// recorded: compressing never stretches).
    CompressedTo(Duration),
}

impl Pace {
    /// The factor applied to recorded offsets, in 0..=1.
    pub fn scale(self, recorded_ms: u64) -> f64 {
        match self {
            Pace::RealTime => 1.0,
            Pace::CompressedTo(d) => {
                if recorded_ms == 0 {
                    1.0
                } else {
                    (d.as_millis() as f64 / recorded_ms as f64).min(1.0)
                }
            }
        }
    }
}

/// One recorded moment: what the UI showed `offset_ms` after the run started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct DemoStep {
    pub offset_ms: u64,
    pub update: JobUpdate,
}

/// Everything needed to perform a run: the composer's content (the job and its inputs, as the
/// model stores them), the steps, the final output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct DemoTimeline {
    pub job: JobRecord,
    pub inputs: Vec<JobInputRecord>,
    /// Offset of the last step.
    pub duration_ms: u64,
    pub steps: Vec<DemoStep>,
    pub video_path: String,
    pub poster_path: Option<String>,
}

/// What a performance ended on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PerformOutcome {
    pub job_id: String,
    pub video_path: String,
    pub poster_path: Option<String>,
    pub steps: usize,
    /// How long the performance was scheduled to take.
    pub planned_ms: u64,
}

fn not_playable(id: &str, reason: impl Into<String>) -> CoreError {
    CoreError::DemoRunNotPlayable {
        id: id.into(),
        reason: reason.into(),
    }
}

/// The recorded steps of a completed run (full id or unique prefix).
pub fn timeline(studio: &Studio, job_id: &str) -> Result<DemoTimeline, CoreError> {
    let (job, events, inputs) = studio.db().read_blocking(|db| {
        let id = repo::resolve_id(db, job_id)?;
        Ok((
            repo::get(db, &id)?,
            repo::events(db, &id)?,
            repo::inputs(db, &id)?,
        ))
    })?;
    let id = job.id.clone();
    if job.state != JobState::Completed {
        return Err(not_playable(
            &id,
            format!("it is {}, not completed", job.state),
        ));
    }
    let video_path = job
        .video_path()
        .map(str::to_string)
        .ok_or_else(|| not_playable(&id, "it has no video"))?;
    if !std::path::Path::new(&video_path).is_file() {
        return Err(not_playable(
            &id,
            format!("its video is missing ({video_path})"),
        ));
    }
    let steps = steps_from_events(&job, &events, &studio.job_dir(&id));
    Ok(DemoTimeline {
        duration_ms: steps.last().map(|s| s.offset_ms).unwrap_or(0),
        poster_path: job.poster_path().map(str::to_string),
        job,
        inputs,
        steps,
        video_path,
    })
}

/// Replays the engine's own bookkeeping: state events set the state, `queue_position` the
/// queue, `progress` the fraction, `preview` the frame. While generating, the time left is
/// what the recording says remained until saving began.
fn steps_from_events(
    job: &JobRecord,
    events: &[JobEvent],
    job_dir: &std::path::Path,
) -> Vec<DemoStep> {
    let t0 = events.first().map(|e| e.at).unwrap_or(job.times.created_at);
    let offset = |at: i64| u64::try_from(at.saturating_sub(t0)).unwrap_or(0);
    let executing_end = events
        .iter()
        .find(|e| {
            matches!(
                e.data.state(),
                Some(JobState::Collecting) | Some(JobState::Completed)
            )
        })
        .map(|e| offset(e.at));
    let mut steps: Vec<DemoStep> = Vec::new();
    let mut u = JobUpdate::new(&job.id, JobState::Validating);
    for e in events {
        match &e.data {
            EventData::State { state, .. } => {
                u.state = *state;
                if *state != JobState::Queued {
                    u.queue_ahead = None;
                }
                if *state == JobState::Completed {
                    u.progress = 1.0;
                }
            }
            EventData::QueuePosition { ahead } if u.state == JobState::Queued => {
                u.queue_ahead = Some(*ahead);
            }
            EventData::Progress { fraction } => {
                // `+ 0.0` turns a recorded -0.0 into 0.0.
                u.progress = fraction.clamp(0.0, 1.0) + 0.0;
            }
            EventData::Preview { file } => {
                let path: PathBuf = job_dir.join(file);
                // Only frames inside the job's own folder that are really there.
                if !file.starts_with("previews/") || file.contains("..") || !path.is_file() {
                    continue;
                }
                u.preview_path = Some(path.display().to_string());
            }
            _ => continue,
        }
        let at = offset(e.at);
        u.eta_seconds = match (u.state, executing_end) {
            (JobState::Executing, Some(end)) if end > at => Some((end - at) as f64 / 1000.0),
            _ => None,
        };
        let step = DemoStep {
            offset_ms: at,
            update: u.clone().labelled(),
        };
        // Several events in the same millisecond show as their last state.
        match steps.last_mut() {
            Some(last) if last.offset_ms == at => *last = step,
            _ => steps.push(step),
        }
    }
    if steps.last().map(|s| s.update.state) != Some(JobState::Completed) {
        let at = offset(job.times.finished_at.unwrap_or(t0))
            .max(steps.last().map_or(0, |s| s.offset_ms));
        let mut done = JobUpdate::new(&job.id, JobState::Completed);
        done.preview_path = u.preview_path.clone();
        steps.push(DemoStep {
            offset_ms: at,
            update: done.labelled(),
        });
    }
    steps
}

/// Performs a run: every step is sent to `tx` at its (scaled) time, ending with the completed
/// step; returns the recorded video and poster. Drop the future to stop the performance.
pub async fn perform(
    studio: &Studio,
    job_id: &str,
    pace: Pace,
    tx: impl Fn(JobUpdate),
) -> Result<PerformOutcome, CoreError> {
    let timeline = {
        let (studio, id) = (studio.clone(), job_id.to_string());
        crate::store::off_thread(move || timeline(&studio, &id)).await?
    };
    let scale = pace.scale(timeline.duration_ms);
    let start = tokio::time::Instant::now();
    for step in &timeline.steps {
        let due = Duration::from_secs_f64(step.offset_ms as f64 * scale / 1000.0);
        tokio::time::sleep_until(start + due).await;
        let mut update = step.update.clone();
        if let Some(eta) = update.eta_seconds {
            update.eta_seconds = Some(eta * scale);
            update = update.labelled();
        }
        update.emitted_at_ms = Some(crate::store::now_ms());
        tx(update);
    }
    Ok(PerformOutcome {
        job_id: timeline.job.id.clone(),
        video_path: timeline.video_path.clone(),
        poster_path: timeline.poster_path.clone(),
        steps: timeline.steps.len(),
        planned_ms: (timeline.duration_ms as f64 * scale).round() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressing_never_stretches() {
        assert_eq!(Pace::RealTime.scale(10_000), 1.0);
        assert!((Pace::CompressedTo(Duration::from_secs(2)).scale(10_000) - 0.2).abs() < 1e-9);
        assert_eq!(
            Pace::CompressedTo(Duration::from_secs(20)).scale(10_000),
            1.0
        );
        assert_eq!(Pace::CompressedTo(Duration::from_secs(2)).scale(0), 1.0);
    }

    fn assert_send<T: Send>(_: &T) {}

    #[tokio::test]
    async fn performances_can_be_spawned() {
        // The app runs a performance on a spawned task: the future must be Send when the
        // callback is (it holds no database guard across an await).
        let dir = tempfile::tempdir().expect("tempdir");
        let studio = Studio::open(dir.path().to_path_buf()).expect("open");
        let fut = perform(&studio, "none", Pace::RealTime, |_u: JobUpdate| {});
        assert_send(&fut);
    }
}
