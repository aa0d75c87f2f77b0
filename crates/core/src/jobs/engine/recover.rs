//! Reconciling with the servers after a crash, a restart or a lost answer: unfinished jobs are
//! driven again from their recorded state; a prompt whose POST answer was never recorded is
//! looked up before it is posted again; failed jobs whose prompt may still be on the server are
//! looked up and followed again when found.

use animatrix_common::Explain;
use tracing::{Instrument, info, info_span};

use super::Engine;
use crate::CoreError;
use crate::jobs::conn::ServerConn;
use crate::jobs::follow;
use crate::jobs::lifecycle::JobCtx;
use crate::jobs::model::{EventData, JobRecord, JobState, JobUpdate};
use crate::jobs::repo;
use crate::jobs::run;
use animatrix_comfy::Tracked;

/// Failures that say nothing about the prompt itself: the server could not be reached, read
/// or trusted for a while after it had the prompt. `recover` looks such jobs up again.
const REVIVABLE_CODES: &[&str] = &[
    "prompt_answer_lost",
    "server_unreachable",
    "server_not_found",
    "server_timeout",
    "server_error",
    "network_error",
    "auth_rejected",
    "auth_forbidden",
    "malformed_response",
    "response_too_large",
    "unexpected_response",
];
/// How far back `recover` looks for such jobs.
const REVIVE_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

impl Engine {
    /// Crashed between saving the graph and hearing back from POST /prompt: ask the server
    /// before posting again, so a prompt is never queued twice.
    pub(super) async fn reconcile_unposted(
        &self,
        ctx: &JobCtx,
        job: &JobRecord,
        conn: &ServerConn,
    ) -> Result<Option<Tracked>, CoreError> {
        if conn.client.history(&job.prompt_id).await?.is_some()
            || queue_has(conn, &job.prompt_id).await?
        {
            ctx.event(EventData::Reconciled {
                how: "the server already had the prompt".into(),
            })
            .await?;
            return Ok(Some(conn.hub.track(&job.prompt_id)));
        }
        if job.cancel_requested {
            ctx.advance(JobState::Cancelled).await?;
            return Ok(None);
        }
        let graph = run::saved_graph(ctx)?;
        Ok(Some(run::post(ctx, job, conn, &graph).await?))
    }

    /// On start: every non-terminal job is driven again from its recorded state, and every
    /// job that failed only because the server could not be reached or read after its prompt
    /// was handed over is looked up again (the server may have finished it). Returns the ids
    /// of every job picked up (waiting for them gives their final state).
    pub async fn recover(&self) -> Result<Vec<String>, CoreError> {
        let jobs = self.inner.db.read(repo::non_terminal).await?;
        for job in &jobs {
            self.recover_job(&job.id).await?;
        }
        let since = crate::store::now_ms() - REVIVE_WINDOW_MS;
        let failed = self
            .inner
            .db
            .read(move |c| repo::revivable(c, REVIVABLE_CODES, since))
            .await?;
        let mut ids: Vec<String> = jobs.into_iter().map(|j| j.id).collect();
        for job in failed {
            ids.push(job.id.clone());
            self.spawn_revive(job);
        }
        Ok(ids)
    }

    /// Looks a failed job's prompt up on its server; found, the job is followed again to its
    /// real end. Not found or no answer: it stays failed (the next start asks again).
    fn spawn_revive(&self, job: JobRecord) {
        if !self.claim(&job.id) {
            return;
        }
        let engine = self.clone();
        let span = info_span!("revive", job_id = %job.id);
        tokio::spawn(
            async move {
                let ctx = engine.ctx(&job.id);
                let found = match engine.connection(job.endpoint.as_deref()).await {
                    Ok(conn) => match conn.hub.reconcile(&job.prompt_id).await {
                        Ok(Some(tracked)) => Some((conn, tracked)),
                        Ok(None) => None,
                        Err(e) => {
                            info!(error = %e, "server still cannot tell; the job stays failed");
                            None
                        }
                    },
                    Err(_) => None,
                };
                if let Some((conn, tracked)) = found {
                    let id = job.id.clone();
                    let how = "The server still had the prompt: following it again.";
                    let revived = engine
                        .inner
                        .db
                        .write(move |c| repo::revive(c, &id, JobState::Queued, how))
                        .await;
                    if matches!(revived, Ok(true)) {
                        info!("failed job found alive on the server");
                        ctx.emit(JobUpdate::new(&job.id, JobState::Queued));
                        let run = async {
                            match follow::follow(&ctx, &job, tracked).await? {
                                Some(f) => engine.finish(&ctx, &job, &conn, f).await,
                                None => Ok(()),
                            }
                        };
                        if let Err(e) = run.await {
                            ctx.fail(e.explain()).await;
                        }
                    }
                }
                engine.release(&job.id);
            }
            .instrument(span),
        );
    }

    /// Reconciles one job (no-op when it already ended or this process drives it).
    pub async fn recover_job(&self, job_id: &str) -> Result<(), CoreError> {
        let ctx = self.ctx(job_id);
        let job = ctx.job().await?;
        if job.state.is_terminal() || job.is_demo {
            return Ok(());
        }
        info!(job_id = %job.id, prompt_id = %job.prompt_id, state = %job.state, "reconciling job");
        if job.cancel_requested
            && matches!(
                job.state,
                JobState::Draft | JobState::Validating | JobState::Uploading
            )
        {
            ctx.advance(JobState::Cancelled).await?;
            return Ok(());
        }
        self.spawn_drive(job.id.clone(), None);
        Ok(())
    }
}

async fn queue_has(conn: &ServerConn, prompt_id: &str) -> Result<bool, CoreError> {
    let q = conn.client.queue().await?;
    Ok(q.queue_running
        .iter()
        .chain(q.queue_pending.iter())
        .any(|item| item.prompt_id == prompt_id))
}
