//! The job engine: sequences a job's steps (prepare -> run -> follow -> collect), every step
//! written to SQLite before it is acted on, so a crash at any point is reconciled on the next
//! start (`recover`). It owns the live server connections and the update stream.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use animatrix_comfy::{ComfyError, Outcome};
use animatrix_common::{ErrorCode, Explain};
use animatrix_workflow::Catalog;
use tokio::sync::{Mutex, broadcast};
use tracing::{Instrument, info, info_span, warn};

use super::collect;
use super::conn::ServerConn;
use super::follow::{self, Followed};
use super::lifecycle::{self, JobCtx};
use super::manifests::{self, DebugMetadata, DeviceFacts, ServerFacts};
use super::model::{
    EventData, JobRecord, JobRequest, JobState, JobUpdate, NewJob, NewJobInput, Relation,
};
use super::prepare::{self, Prepared};
use super::repo;
use super::run;
use crate::config::endpoints::EndpointView;
use crate::pools::Target;
use crate::store::{Db, off_thread};
use crate::{CoreError, secrets, store};

mod cancel;
pub(crate) mod pool;
mod recover;

pub const JOBS_DIR: &str = "jobs";

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    data_dir: PathBuf,
    catalog: Catalog,
    conns: Mutex<HashMap<String, Arc<ServerConn>>>,
    updates: broadcast::Sender<JobUpdate>,
    /// Jobs this process is driving, so a second recover or cancel does not drive them twice.
    active: StdMutex<HashSet<String>>,
    /// Held while a pool job is measured and assigned to a member (see `pool::to_pool`).
    routing: Mutex<()>,
    /// Recent preflight verdicts per (member, template@version, profile) (see `pool::verdict`).
    verdicts: StdMutex<HashMap<pool::VerdictKey, pool::Verdict>>,
}

impl Engine {
    pub fn new(db: Db, data_dir: &Path) -> Result<Engine, CoreError> {
        let catalog = crate::templates::load_catalog(data_dir)?;
        let (updates, _) = broadcast::channel(1024);
        Ok(Engine {
            inner: Arc::new(Inner {
                db,
                data_dir: data_dir.to_path_buf(),
                catalog,
                conns: Mutex::new(HashMap::new()),
                updates,
                active: StdMutex::new(HashSet::new()),
                routing: Mutex::new(()),
                verdicts: StdMutex::new(HashMap::new()),
            }),
        })
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Live updates of every job this process drives.
    pub fn subscribe(&self) -> broadcast::Receiver<JobUpdate> {
        self.inner.updates.subscribe()
    }

    pub fn job_dir(&self, job_id: &str) -> PathBuf {
        self.inner.data_dir.join(JOBS_DIR).join(job_id)
    }

    pub(super) fn ctx(&self, job_id: &str) -> JobCtx {
        JobCtx::new(
            self.inner.db.clone(),
            job_id,
            self.job_dir(job_id),
            self.inner.updates.clone(),
        )
    }

    /// The endpoint by name, or the default one.
    pub async fn endpoint(&self, name: Option<&str>) -> Result<EndpointView, CoreError> {
        let name = name.map(str::to_string);
        self.inner
            .db
            .read(move |c| match name {
                Some(n) => store::endpoints::get(c, &n),
                None => store::endpoints::default(c),
            })
            .await
    }

    /// The connection to an endpoint (opened once per process, reopened when its settings
    /// changed).
    pub async fn connection(&self, endpoint: Option<&str>) -> Result<Arc<ServerConn>, CoreError> {
        let view = self.endpoint(endpoint).await?;
        let mut conns = self.inner.conns.lock().await;
        if let Some(c) = conns.get(&view.name)
            && c.endpoint == view
        {
            return Ok(c.clone());
        }
        let secret = if view.has_secret {
            let account = view.name.clone();
            off_thread(move || secrets::load(&account)).await?
        } else {
            None
        };
        let conn = Arc::new(ServerConn::open(view.clone(), secret)?);
        if let Some(old) = conns.insert(view.name.clone(), conn.clone()) {
            old.hub.shutdown();
        }
        Ok(conn)
    }

    /// Every local check of a request, on the blocking pool (media import is CPU work).
    pub async fn prepare(&self, request: JobRequest) -> Result<Prepared, CoreError> {
        let engine = self.clone();
        off_thread(move || {
            prepare::prepare(engine.catalog(), engine.db(), engine.data_dir(), request)
        })
        .await
    }

    /// Validates and records a new job, then drives it in the background. Returns its id.
    pub async fn submit(
        &self,
        request: JobRequest,
        parent: Option<(String, Relation)>,
    ) -> Result<String, CoreError> {
        // Fail fast on a missing server or pool before importing anything.
        let target = self.target(request.target.as_deref()).await?;
        let mut prepared = self.prepare(request).await?;
        // A server job knows its connection now; a pool job gets its member (and that
        // connection's client id) when it is routed, after the row is written.
        let (endpoint, client_id) = match &target {
            Target::Endpoint(e) => {
                let conn = self.connection(Some(&e.name)).await?;
                (Some(e.name.clone()), conn.hub.client_id().to_string())
            }
            Target::Pool(p) if p.members.is_empty() => {
                return Err(CoreError::PoolNeedsMember {
                    pool: p.name.clone(),
                });
            }
            Target::Pool(p) => {
                // Kept with the request, so recover, retry and failover find the pool even
                // when it was only the default target.
                prepared.request.target = Some(p.name.clone());
                (None, String::new())
            }
        };
        let job = NewJob {
            id: uuid::Uuid::now_v7().to_string(),
            prompt_id: uuid::Uuid::new_v4().to_string(),
            client_id,
            endpoint,
            mode: prepared.mode.clone(),
            template: prepared.template.clone(),
            profile: prepared.plan.profile.clone(),
            aspect: prepared.plan.aspect.clone(),
            request: prepared.request.clone(),
            resolved_seed: prepared.request.settings.seed,
            frame_count: prepared.frame_count(),
            parent,
            inputs: prepared
                .inputs
                .iter()
                .map(|i| NewJobInput {
                    role: i.role.clone(),
                    position: i.position,
                    asset_id: i.asset.id.clone(),
                })
                .collect(),
        };
        let job_id = job.id.clone();
        let warnings = prepared.warnings.clone();
        self.inner
            .db
            .write(move |c| repo::insert(c, &job, &warnings))
            .await?;
        info!(job_id = %job_id, template = %prepared.template.name, "job created");
        lifecycle::emit(
            &self.inner.updates,
            JobUpdate::new(&job_id, JobState::Validating),
        );
        self.spawn_drive(job_id.clone(), Some(prepared));
        Ok(job_id)
    }

    fn is_driving(&self, job_id: &str) -> bool {
        let active = self.inner.active.lock().unwrap_or_else(|p| p.into_inner());
        active.contains(job_id)
    }

    /// Marks a job as driven by this process; `false` when it already is.
    pub(super) fn claim(&self, job_id: &str) -> bool {
        let mut active = self.inner.active.lock().unwrap_or_else(|p| p.into_inner());
        active.insert(job_id.to_string())
    }

    pub(super) fn release(&self, job_id: &str) {
        let mut active = self.inner.active.lock().unwrap_or_else(|p| p.into_inner());
        active.remove(job_id);
    }

    pub(super) fn spawn_drive(&self, job_id: String, prepared: Option<Prepared>) {
        if !self.claim(&job_id) {
            return;
        }
        let engine = self.clone();
        let span = info_span!("job", job_id = %job_id);
        tokio::spawn(
            async move {
                let ctx = engine.ctx(&job_id);
                if let Err(e) = engine.drive(&ctx, prepared).await {
                    ctx.fail(e.explain()).await;
                    engine
                        .write_manifests(&ctx, None, DebugMetadata::default())
                        .await;
                }
                let mut active = engine
                    .inner
                    .active
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                active.remove(&job_id);
            }
            .instrument(span),
        );
    }

    /// Drives a job from whatever state it is in to a terminal one.
    async fn drive(&self, ctx: &JobCtx, prepared: Option<Prepared>) -> Result<(), CoreError> {
        let job = ctx.job().await?;
        if job.state.is_terminal() {
            return Ok(());
        }
        let (conn, tracked) = match job.state {
            JobState::Draft | JobState::Validating | JobState::Uploading => {
                let prepared = match prepared {
                    Some(p) => p,
                    None => self.prepare(job.request.clone()).await?,
                };
                let template = self
                    .catalog()
                    .get(&prepared.template.name, &prepared.template.version)?;
                let sent = match self.pool_of(&job).await? {
                    Some(pool) => self.to_pool(ctx, &pool, template, &prepared).await?,
                    None => {
                        let conn = self.connection(job.endpoint.as_deref()).await?;
                        run::to_server(ctx, template, &job, &conn, &prepared)
                            .await?
                            .map(|t| (conn, t))
                    }
                };
                match sent {
                    Some(sent) => sent,
                    None => return Ok(()),
                }
            }
            JobState::Queued if !self.was_posted(&job.id).await? => {
                let conn = self.connection(job.endpoint.as_deref()).await?;
                match self.reconcile_unposted(ctx, &job, &conn).await? {
                    Some(t) => (conn, t),
                    None => return Ok(()),
                }
            }
            _ => {
                let conn = self.connection(job.endpoint.as_deref()).await?;
                let tracked = conn.hub.track(&job.prompt_id);
                (conn, tracked)
            }
        };
        // Routing may have chosen the member just now.
        let job = ctx.job().await?;
        match follow::follow(ctx, &job, tracked).await? {
            Some(followed) => self.finish(ctx, &job, &conn, followed).await,
            None => Ok(()),
        }
    }

    pub(super) async fn finish(
        &self,
        ctx: &JobCtx,
        job: &JobRecord,
        conn: &ServerConn,
        followed: Followed,
    ) -> Result<(), CoreError> {
        let cancel_requested = ctx.job().await?.cancel_requested;
        let mut debug = DebugMetadata {
            node_started_at_ms: followed.node_times,
            ..DebugMetadata::default()
        };
        match followed.outcome {
            Outcome::Success(entry) => {
                debug.history_entry = serde_json::to_value(&entry).ok();
                if !ctx.enter(JobState::Collecting).await? {
                    return Ok(());
                }
                if let Err(e) = collect::collect(ctx, conn, &entry).await {
                    ctx.fail(e.explain()).await;
                } else {
                    ctx.advance(JobState::Completed).await?;
                    info!("job completed");
                }
            }
            Outcome::Interrupted(_) | Outcome::Vanished if cancel_requested => {
                ctx.advance(JobState::Cancelled).await?;
            }
            other => {
                if let Outcome::Error(e) = &other {
                    debug.history_entry = serde_json::to_value(e.as_ref()).ok();
                }
                if let Err(e) = other.into_result(&job.prompt_id) {
                    let mut err = e.explain();
                    // Only a download failure needs the node's report again (to name the file).
                    if let ComfyError::ExecutionFailed(failed) = &e
                        && err.code == ErrorCode::ModelDownloadFailed
                        && let Ok(template) = self
                            .catalog()
                            .get(&job.template.name, &job.template.version)
                    {
                        err = super::download_failure::name_the_download(
                            err,
                            failed,
                            template.manifest(),
                        );
                    }
                    ctx.fail(err.clone()).await;
                    self.resubmit_lost(ctx, job, &err).await;
                }
            }
        }
        self.write_manifests(ctx, Some(conn), debug).await;
        Ok(())
    }

    /// Best effort: a run that cannot write its manifests still ended as recorded.
    async fn write_manifests(
        &self,
        ctx: &JobCtx,
        conn: Option<&ServerConn>,
        mut debug: DebugMetadata,
    ) {
        if let Some(conn) = conn
            && let Ok(stats) = conn.client.system_stats().await
        {
            debug.server = Some(ServerFacts {
                comfyui_version: stats.system.comfyui_version.clone(),
                devices: stats
                    .devices
                    .iter()
                    .map(|d| DeviceFacts {
                        name: d.name.clone(),
                        vram_total: d.vram_total,
                        vram_free: d.vram_free,
                    })
                    .collect(),
            });
        }
        if let Err(e) = manifests::write(ctx, debug).await {
            warn!(error = %e, "run manifests not written");
        }
    }

    /// Whether POST /prompt for this job was answered (the prompt is on the server).
    pub async fn was_posted(&self, job_id: &str) -> Result<bool, CoreError> {
        let id = job_id.to_string();
        let events = self.inner.db.read(move |c| repo::events(c, &id)).await?;
        Ok(events
            .iter()
            .any(|e| matches!(e.data, EventData::PromptPosted { .. })))
    }

    /// Waits until the job is terminal (driven here or in another process) and, when this
    /// process drives it, until its manifests are written.
    pub async fn wait(&self, job_id: &str) -> Result<JobRecord, CoreError> {
        let ctx = self.ctx(job_id);
        let mut rx = self.subscribe();
        loop {
            let job = ctx.job().await?;
            if job.state.is_terminal() {
                if !self.is_driving(job_id) {
                    return Ok(job);
                }
                // Ended; its manifests are being written.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            // Updates wake us at once; the timeout covers jobs driven by another process.
            let _ = tokio::time::timeout(Duration::from_millis(500), async {
                loop {
                    match rx.recv().await {
                        Ok(u) if u.job_id == job_id && u.state.is_terminal() => break,
                        Ok(_) => continue,
                        Err(_) => break,
                    }
                }
            })
            .await;
        }
    }
}
