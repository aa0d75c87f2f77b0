//! One job's handle for the steps of its life (run, follow, collect): record a transition or an
//! event, fail with a typed cause, tell the listeners. The steps get this instead of the engine,
//! so no step module depends on the engine that sequences them.

use std::path::PathBuf;

use animatrix_common::UserError;
use tokio::sync::broadcast;
use tracing::{info, warn};

use super::model::{EventData, JobRecord, JobState, JobUpdate};
use super::repo;
use crate::CoreError;
use crate::store::Db;

#[derive(Clone)]
pub struct JobCtx {
    pub db: Db,
    pub job_id: String,
    /// `<data dir>/jobs/<job id>`.
    pub dir: PathBuf,
    updates: broadcast::Sender<JobUpdate>,
}

impl JobCtx {
    pub fn new(
        db: Db,
        job_id: &str,
        dir: PathBuf,
        updates: broadcast::Sender<JobUpdate>,
    ) -> JobCtx {
        JobCtx {
            db,
            job_id: job_id.to_string(),
            dir,
            updates,
        }
    }

    pub async fn job(&self) -> Result<JobRecord, CoreError> {
        let id = self.job_id.clone();
        self.db.read(move |c| repo::get(c, &id)).await
    }

    /// Writes a transition and tells the listeners. `false` when refused (the job already
    /// ended, e.g. cancelled meanwhile).
    pub async fn advance(&self, next: JobState) -> Result<bool, CoreError> {
        let id = self.job_id.clone();
        let moved = self
            .db
            .write(move |c| repo::transition(c, &id, next))
            .await?;
        if moved {
            info!(state = %next, "job state");
            self.emit(JobUpdate::new(&self.job_id, next));
        }
        Ok(moved)
    }

    /// Puts the job in `state` unless it is already there (a recovered job resumes the step it
    /// was killed in). `false` when the job ended meanwhile or is past that state.
    pub async fn enter(&self, state: JobState) -> Result<bool, CoreError> {
        let current = self.job().await?.state;
        if current == state {
            return Ok(true);
        }
        self.advance(state).await
    }

    /// Ends the job `failed` with its typed cause (unless it already ended).
    pub async fn fail(&self, err: UserError) {
        warn!(code = %err.code, detail = %err.detail, "job failed");
        let id = self.job_id.clone();
        let stored = err.clone();
        match self.db.write(move |c| repo::fail(c, &id, &stored)).await {
            Ok(true) => {
                let mut u = JobUpdate::new(&self.job_id, JobState::Failed);
                u.error = Some(err);
                self.emit(u.labelled());
            }
            Ok(false) => {}
            Err(db) => warn!(error = %db, "could not record the failure"),
        }
    }

    pub async fn event(&self, data: EventData) -> Result<(), CoreError> {
        let id = self.job_id.clone();
        self.db.write(move |c| repo::add_event(c, &id, &data)).await
    }

    pub fn emit(&self, update: JobUpdate) {
        emit(&self.updates, update);
    }
}

/// Stamps and sends an update (no listener is fine).
pub fn emit(updates: &broadcast::Sender<JobUpdate>, mut update: JobUpdate) {
    update.emitted_at_ms = Some(crate::store::now_ms());
    let _ = updates.send(update);
}
