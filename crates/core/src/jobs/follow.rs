//! Following a posted prompt to its outcome: queue position, `executing`, weighted progress with
//! an ETA, live preview frames saved into the job folder.

use std::time::Instant;

use animatrix_comfy::model::events::NodeState;
use animatrix_comfy::{Outcome, Tracked, TrackedEvent};
use serde_json::Value;

use super::lifecycle::JobCtx;
use super::metrics;
use super::model::{EventData, JobRecord, JobState, JobUpdate};
use super::progress::{Eta, GraphProgress};
use super::repo;
use super::run::saved_graph;
use crate::CoreError;

/// How the prompt ended, and when each node started (for `debug_metadata.json`).
pub struct Followed {
    pub outcome: Outcome,
    pub node_times: Vec<(String, i64)>,
}

/// Progress is written at most this often (and on every whole percent).
const PROGRESS_WRITE_MS: u128 = 500;
/// Preview frames are kept at most once a second.
const PREVIEW_EVERY_MS: u128 = 1000;

/// `None` when the hub shut down (the app is closing): the job stays where it is for `recover`.
pub async fn follow(
    ctx: &JobCtx,
    job: &JobRecord,
    mut tracked: Tracked,
) -> Result<Option<Followed>, CoreError> {
    let graph = saved_graph(ctx).unwrap_or(Value::Null);
    let mut progress = GraphProgress::new(&graph);
    let median = {
        let (endpoint, template, profile, frames) = (
            job.endpoint.clone().unwrap_or_default(),
            job.template.name.clone(),
            job.profile.clone(),
            job.frame_count.unwrap_or(0),
        );
        ctx.db
            .read(move |c| metrics::median_run_seconds(c, &endpoint, &template, &profile, frames))
            .await?
    };
    let mut eta = Eta::new(median);
    let mut started: Option<Instant> = None;
    let mut last_saved = Instant::now();
    let mut last_pct_event = -1i64;
    let mut previews = PreviewSaver::default();
    let mut node_times: Vec<(String, i64)> = Vec::new();
    while let Some(ev) = tracked.next().await {
        match ev {
            TrackedEvent::Queued { ahead } => {
                if ctx.job().await?.state == JobState::Queued {
                    let mut u = JobUpdate::new(&job.id, JobState::Queued);
                    u.queue_ahead = Some(ahead);
                    ctx.emit(u.labelled());
                    ctx.event(EventData::QueuePosition { ahead }).await?;
                }
                continue;
            }
            TrackedEvent::Started => {
                started = Some(Instant::now());
                ctx.advance(JobState::Executing).await?;
            }
            TrackedEvent::Cached { nodes } => progress.cached(&nodes),
            TrackedEvent::NodeStarted { node, .. } => {
                if started.is_none() {
                    started = Some(Instant::now());
                    ctx.advance(JobState::Executing).await?;
                }
                node_times.push((node.clone(), crate::store::now_ms()));
                progress.node_started(&node);
            }
            TrackedEvent::Progress { node, value, max } => {
                progress.node_progress(node.as_deref(), value, max)
            }
            TrackedEvent::ProgressState(state) => {
                for (id, n) in &state.nodes {
                    if n.state == NodeState::Finished {
                        progress.node_finished(id);
                    }
                }
            }
            TrackedEvent::Preview(p) => previews.save(ctx, &p.mime, &p.image).await?,
            TrackedEvent::NodeOutput { .. } => {}
            TrackedEvent::Finished(outcome) => {
                return Ok(Some(Followed {
                    outcome,
                    node_times,
                }));
            }
        }
        let frac = progress.fraction();
        let elapsed = started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
        let mut u = JobUpdate::new(&job.id, JobState::Executing);
        u.progress = frac;
        u.eta_seconds = started.and_then(|_| eta.update(elapsed, frac));
        u.preview_path = previews.latest.clone();
        ctx.emit(u.labelled());
        let pct = (frac * 100.0).floor() as i64;
        if last_saved.elapsed().as_millis() >= PROGRESS_WRITE_MS || pct != last_pct_event {
            let id = job.id.clone();
            let record_event = pct != last_pct_event;
            ctx.db
                .write(move |c| {
                    repo::set_progress(c, &id, frac)?;
                    if record_event {
                        repo::add_event(c, &id, &EventData::Progress { fraction: frac })?;
                    }
                    Ok(())
                })
                .await?;
            last_pct_event = pct;
            last_saved = Instant::now();
        }
    }
    Ok(None)
}

/// Keeps at most one preview frame a second as `previews/NNNNN.<ext>`.
#[derive(Default)]
struct PreviewSaver {
    saved: u32,
    last_at: Option<Instant>,
    latest: Option<String>,
}

impl PreviewSaver {
    async fn save(&mut self, ctx: &JobCtx, mime: &str, image: &[u8]) -> Result<(), CoreError> {
        if self
            .last_at
            .is_some_and(|t| t.elapsed().as_millis() < PREVIEW_EVERY_MS)
        {
            return Ok(());
        }
        let ext = if mime.contains("png") { "png" } else { "jpg" };
        let dir = ctx.dir.join("previews");
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
        self.saved += 1;
        let file = format!("previews/{:05}.{ext}", self.saved);
        let path = ctx.dir.join(&file);
        std::fs::write(&path, image).map_err(|e| CoreError::io(&path, e))?;
        ctx.event(EventData::Preview { file }).await?;
        self.latest = Some(path.display().to_string());
        self.last_at = Some(Instant::now());
        Ok(())
    }
}
