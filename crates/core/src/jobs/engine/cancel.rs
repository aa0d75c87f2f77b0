//! Cancelling a job: it always ends locally, whatever the server answers.

use std::time::Duration;

use animatrix_common::Explain;
use tracing::{info, warn};

use super::Engine;
use crate::CoreError;
use crate::jobs::model::{EventData, JobRecord, JobState};
use crate::jobs::repo;

/// How long a cancel waits for the server before ending the job locally anyway.
const CANCEL_SERVER_BUDGET: Duration = Duration::from_secs(10);

impl Engine {
    /// Cancels a job: before it is posted, at once; on the server, deleted from the queue and
    /// interrupted (by prompt id, so no other job is touched). It always ends locally, whatever
    /// the server answers: a server that cannot be reached is noted on the job.
    pub async fn cancel(&self, job_id: &str) -> Result<JobRecord, CoreError> {
        let ctx = self.ctx(job_id);
        let job = ctx.job().await?;
        if job.state.is_terminal() {
            return Ok(job);
        }
        let id = job_id.to_string();
        self.inner
            .db
            .write(move |c| repo::request_cancel(c, &id))
            .await?;
        info!(job_id = %job_id, prompt_id = %job.prompt_id, state = %job.state, "cancel requested");
        if matches!(
            job.state,
            JobState::Queued | JobState::Executing | JobState::Collecting
        ) {
            let server = tokio::time::timeout(CANCEL_SERVER_BUDGET, async {
                let conn = self.connection(job.endpoint.as_deref()).await?;
                conn.hub.cancel(&job.prompt_id).await?;
                Ok::<_, CoreError>(())
            })
            .await;
            let problem = match server {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.explain().message),
                Err(_) => Some("the server did not answer in time".to_string()),
            };
            if let Some(problem) = problem {
                warn!(%problem, "server did not confirm the cancel");
                ctx.event(EventData::Warning {
                    message: format!(
                        "Cancelled here; the server did not confirm it ({problem}). It may still finish the prompt."
                    ),
                })
                .await?;
            }
        }
        ctx.advance(JobState::Cancelled).await?;
        ctx.job().await
    }
}
