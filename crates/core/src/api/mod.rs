//! The one API both shells call. The window's Tauri commands and the CLI's commands are short
//! adapters over these methods; every product rule (planning, preflight, the demo rule, queue
//! privacy, gallery cards) lives here or below, once.
//!
//! Async methods never block an async worker: database and file work runs on the blocking pool.

mod demo;
mod endpoints;
mod gallery;
mod inputs;
mod jobs;
mod operator;
mod plan;
mod pools;
mod resolve;
mod sharing;
mod templates;
mod wait;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use gallery::{CardPage, JobCard, JobDetail};
pub use inputs::{ImportedInput, ProbedPath, probe_path};
pub use jobs::DryRun;
pub use operator::{AppInfo, QueueEntry, ServerQueue};
pub use pools::{MemberHealth, PoolDetail};
pub use resolve::ResolvedServer;
pub use templates::PreflightResult;
pub use wait::WaitEstimate;

use crate::jobs::Engine;
use crate::store::Db;
use crate::{CoreError, config};

#[derive(Clone)]
pub struct Studio {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    db: Db,
    engine: Engine,
}

impl Studio {
    /// Opens the data dir from `ANIMATRIX_DATA_DIR` or the OS convention.
    pub fn open_default() -> Result<Studio, CoreError> {
        Studio::open(config::resolve_data_dir()?)
    }

    /// Opens (creating and migrating if needed) the data dir, its database and the template
    /// catalog.
    pub fn open(data_dir: PathBuf) -> Result<Studio, CoreError> {
        std::fs::create_dir_all(&data_dir).map_err(|source| CoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let db = Db::open(&data_dir)?;
        let engine = Engine::new(db.clone(), &data_dir)?;
        Ok(Studio {
            inner: Arc::new(Inner {
                data_dir,
                db,
                engine,
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// `<data dir>/jobs/<job id>`.
    pub fn job_dir(&self, job_id: &str) -> PathBuf {
        self.inner.engine.job_dir(job_id)
    }

    /// Live updates of every job this process drives.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<crate::jobs::JobUpdate> {
        self.inner.engine.subscribe()
    }
}
