//! Generate, and what follows: cancel, retry, replay, wait, recover, the dry run. The demo rule
//! lives here once: a demo run is performed from its recording, never sent to a server, from
//! any shell.

use animatrix_workflow::{BoundGraph, OsSeedSource};
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::jobs::{DRY_RUN_JOB_ID, JobRecord, JobRequest, Relation, Role, repo};

/// What `graph --dry-run` shows: the template, the bound graph and what the user should know.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub template: String,
    pub version: String,
    pub warnings: Vec<String>,
    pub bound: BoundGraph,
}

impl Studio {
    /// Validates and records a new job and starts driving it. Returns its id.
    pub async fn submit(&self, request: JobRequest) -> Result<String, CoreError> {
        self.engine().submit(request, None).await
    }

    /// Full id of a job from an id or a unique prefix (6+ characters).
    pub async fn resolve_job_id(&self, id_or_prefix: &str) -> Result<String, CoreError> {
        let id = id_or_prefix.to_string();
        self.db().read(move |c| repo::resolve_id(c, &id)).await
    }

    pub async fn job(&self, id_or_prefix: &str) -> Result<JobRecord, CoreError> {
        let id = self.resolve_job_id(id_or_prefix).await?;
        self.db().read(move |c| repo::get(c, &id)).await
    }

    /// Cancels a run; it always ends locally (see `Engine::cancel`).
    pub async fn cancel(&self, id_or_prefix: &str) -> Result<JobRecord, CoreError> {
        let id = self.resolve_job_id(id_or_prefix).await?;
        self.engine().cancel(&id).await
    }

    /// A failed or cancelled run again: same inputs, settings, template version and seed.
    pub async fn retry(&self, id_or_prefix: &str) -> Result<String, CoreError> {
        let job = self.sendable(id_or_prefix).await?;
        if !matches!(
            job.state,
            crate::jobs::JobState::Failed | crate::jobs::JobState::Cancelled
        ) {
            return Err(CoreError::InvalidSetting {
                key: "retry".into(),
                reason: format!(
                    "only failed or cancelled runs can be retried (this one is {})",
                    job.state
                ),
            });
        }
        let mut req = self.resend_request(&job).await;
        req.settings.seed = job.resolved_seed.unwrap_or(req.settings.seed);
        self.engine()
            .submit(req, Some((job.id, Relation::Retry)))
            .await
    }

    /// Any past run again with the same inputs and settings; the same seed or a new one.
    pub async fn replay(&self, id_or_prefix: &str, new_seed: bool) -> Result<String, CoreError> {
        let job = self.sendable(id_or_prefix).await?;
        let mut req = self.resend_request(&job).await;
        req.settings.seed = if new_seed {
            -1
        } else {
            job.resolved_seed.unwrap_or(req.settings.seed)
        };
        self.engine()
            .submit(req, Some((job.id, Relation::Replay)))
            .await
    }

    /// The job, unless it is a demo run (those are never sent to a server).
    async fn sendable(&self, id_or_prefix: &str) -> Result<JobRecord, CoreError> {
        let job = self.job(id_or_prefix).await?;
        if job.is_demo {
            return Err(CoreError::DemoRunNotSendable { id: job.id });
        }
        Ok(job)
    }

    /// The stored request, sent to the pool it went through while that pool exists, else to
    /// the server it ran on unless it was removed since (then the default target).
    async fn resend_request(&self, job: &JobRecord) -> JobRequest {
        let mut req = job.request.clone();
        let pool = match &job.request.target {
            Some(t) => self.pool(t).await.ok().map(|p| p.name),
            None => None,
        };
        req.target = match (pool, &job.endpoint) {
            (Some(pool), _) => Some(pool),
            (None, Some(ep)) if self.endpoint(Some(ep)).await.is_ok() => Some(ep.clone()),
            _ => None,
        };
        req
    }

    /// Whether the server accepted the job's prompt (it is on the server).
    pub async fn was_posted(&self, job_id: &str) -> Result<bool, CoreError> {
        self.engine().was_posted(job_id).await
    }

    /// Waits until the job is terminal (driven here or in another process).
    pub async fn wait(&self, job_id: &str) -> Result<JobRecord, CoreError> {
        self.engine().wait(job_id).await
    }

    /// Reconciles every unfinished job with its server (what the app does on start).
    pub async fn recover(&self) -> Result<Vec<String>, CoreError> {
        self.engine().recover().await
    }

    /// Picks up one job this process does not drive (`watch` of another process's job).
    pub async fn recover_job(&self, job_id: &str) -> Result<(), CoreError> {
        self.engine().recover_job(job_id).await
    }

    /// The graph a request would run, without a server and without a job.
    pub async fn dry_run(&self, request: JobRequest) -> Result<DryRun, CoreError> {
        let prepared = self.engine().prepare(request).await?;
        let catalog = self.engine().catalog();
        let template = catalog.get(&prepared.template.name, &prepared.template.version)?;
        let names: Vec<(Role, String)> = prepared
            .inputs
            .iter()
            .filter(|i| {
                template
                    .input(i.role.as_str())
                    .is_some_and(|d| d.is_bound())
            })
            .map(|i| (i.role.clone(), crate::jobs::upload_name(&i.asset)))
            .collect();
        let uploaded = crate::jobs::uploaded_inputs(&names);
        let bound = animatrix_workflow::bind(
            template,
            &prepared.request.settings,
            &uploaded,
            None,
            DRY_RUN_JOB_ID,
            &mut OsSeedSource,
        )?;
        Ok(DryRun {
            template: prepared.template.name,
            version: prepared.template.version,
            warnings: prepared.warnings,
            bound,
        })
    }
}
