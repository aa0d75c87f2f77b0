//! The job engine: from Generate to a finished MP4, every step written to SQLite before it is
//! acted on, so a crash at any point is reconciled on the next start (`recover`).
//!
//! Pipeline: prepare (settings + media, no row yet: bad input never becomes a job) ->
//! `validating` (row; preflight against the server) -> `uploading` (content-hash names, the
//! server dedups) -> `queued` (bound graph saved, then POST /prompt with our prompt_id) ->
//! `executing` -> `collecting` (outputs + manifests) -> `completed`; or `failed` / `cancelled`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Instant;

use animatrix_comfy::{Outcome, Tracked, TrackedEvent, UploadTarget};
use animatrix_common::{Explain, UserError};
use animatrix_media::{ImportOptions, Role};
use animatrix_workflow::{
    AnimateMode, BoundGraph, Catalog, JobSettings, MAX_SEED, MediaFacts, Mode, OsSeedSource,
    SeedSource, Template, UploadedInputs,
};
use serde_json::{Value, json};
use tokio::sync::{Mutex, broadcast};
use tracing::{Instrument, info, info_span, warn};

use super::collect;
use super::conn::ServerConn;
use super::progress::{GraphProgress, eta_seconds};
use super::repo::{self, JobError, JobRecord, NewJob};
use super::request::{InputRef, JobInputs, JobRequest};
use super::state::JobState;
use super::update::JobUpdate;
use crate::assets::AssetRecord;
use crate::{CoreError, Studio};

pub const JOBS_DIR: &str = "jobs";
const BOUND_GRAPH_FILE: &str = "bound_graph.json";
const POSE_SHEET_WARNING: &str =
    "Pose sheet used as soft guidance only: it is kept with the run but not bound into the graph.";

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    studio: Studio,
    catalog: Catalog,
    conns: Mutex<HashMap<String, Arc<ServerConn>>>,
    updates: broadcast::Sender<JobUpdate>,
    /// Jobs this process is driving, so a second recover or cancel does not drive them twice.
    active: StdMutex<HashSet<String>>,
}

/// A request that passed every local check: template chosen, inputs imported, graph bindable.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub request: JobRequest,
    pub template_name: String,
    pub template_version: String,
    pub settings: JobSettings,
    pub inputs: Vec<(Role, usize, AssetRecord)>,
    pub preview: BoundGraph,
    pub warnings: Vec<String>,
}

impl Engine {
    pub fn new(studio: Studio) -> Result<Engine, CoreError> {
        let dir = crate::templates::workflows_dir(studio.data_dir())?;
        let catalog = Catalog::load(&dir)?;
        let (updates, _) = broadcast::channel(1024);
        Ok(Engine {
            inner: Arc::new(Inner {
                studio,
                catalog,
                conns: Mutex::new(HashMap::new()),
                updates,
                active: StdMutex::new(HashSet::new()),
            }),
        })
    }

    pub fn studio(&self) -> &Studio {
        &self.inner.studio
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// Live updates of every job this process drives.
    pub fn subscribe(&self) -> broadcast::Receiver<JobUpdate> {
        self.inner.updates.subscribe()
    }

    pub fn job_dir(&self, job_id: &str) -> PathBuf {
        self.inner.studio.data_dir().join(JOBS_DIR).join(job_id)
    }

    /// The connection to an endpoint (opened once per process).
    pub async fn connection(&self, endpoint: Option<&str>) -> Result<Arc<ServerConn>, CoreError> {
        let view = self.inner.studio.endpoint_or_default(endpoint)?;
        let mut conns = self.inner.conns.lock().await;
        if let Some(c) = conns.get(&view.name)
            && c.endpoint == view
        {
            return Ok(c.clone());
        }
        let secret = self.inner.studio.endpoint_secret(&view)?;
        let conn = Arc::new(ServerConn::open(view.clone(), secret)?);
        if let Some(old) = conns.insert(view.name.clone(), conn.clone()) {
            old.hub.shutdown();
        }
        Ok(conn)
    }

    /// Picks the template for the request's mode.
    pub fn template_for(&self, req: &JobRequest) -> Result<&Template, CoreError> {
        let sub = match req.mode {
            Mode::Animate => Some(req.animate_mode.unwrap_or(AnimateMode::Move)),
            _ => None,
        };
        let name = self
            .inner
            .catalog
            .name_for(req.mode.clone(), sub)
            .ok_or_else(|| CoreError::InvalidSetting {
                key: "mode".into(),
                reason: "no template is installed for this mode".into(),
            })?
            .to_string();
        Ok(self.inner.catalog.latest(&name)?)
    }

    /// Every local check, no network and no job row: template, media import (normalized into
    /// the asset store), and a dry bind that resolves the seed and the frame count.
    pub fn prepare(&self, mut req: JobRequest) -> Result<Prepared, CoreError> {
        let template = self.template_for(&req)?;
        if req.prompt.trim().is_empty() {
            return Err(CoreError::InvalidSetting {
                key: "prompt".into(),
                reason: "describe what the character should do".into(),
            });
        }
        if req.seed < 0 {
            req.seed = (OsSeedSource.next_seed() & MAX_SEED) as i64;
        }
        let mut settings = JobSettings::new(template.manifest().name.clone(), req.prompt.clone());
        settings.negative_prompt = req.negative_prompt.clone();
        settings.profile = req.profile.clone();
        settings.aspect = req.aspect.clone();
        settings.seed = req.seed;
        settings.framing = req.framing.clone();
        settings.animate_mode = match req.mode {
            Mode::Animate => Some(req.animate_mode.unwrap_or(AnimateMode::Move)),
            _ => None,
        };
        settings.points = req.points.clone();
        settings.target_duration_secs = req.target_duration_secs;
        settings.params = req.params.clone();

        let mut inputs: Vec<(Role, usize, AssetRecord)> = Vec::new();
        let mut warnings = Vec::new();
        let base = ImportOptions {
            fit: req.fit,
            ..ImportOptions::default()
        };
        // Audio and video first: their facts decide the frame count; the image is fitted to
        // the size the dry bind reports.
        if let Some(audio) = &req.inputs.audio {
            let (a, w) = self.resolve_input(audio, Role::Audio, &base)?;
            settings.media.audio_duration_secs = a.duration_seconds;
            warnings.extend(w);
            inputs.push((Role::Audio, 0, a));
        }
        if let Some(video) = &req.inputs.video {
            let (v, w) = self.resolve_input(video, Role::MotionVideo, &base)?;
            settings.media = MediaFacts {
                video_frame_count: v.frame_count.and_then(|n| u32::try_from(n).ok()),
                video_fps: v.fps,
                video_width: v.width.and_then(|n| u32::try_from(n).ok()),
                video_height: v.height.and_then(|n| u32::try_from(n).ok()),
                ..settings.media
            };
            warnings.extend(w);
            inputs.push((Role::MotionVideo, 0, v));
        }
        let placeholder = UploadedInputs {
            image: "pending.png".into(),
            audio: req.inputs.audio.as_ref().map(|_| "pending.wav".into()),
            video: req.inputs.video.as_ref().map(|_| "pending.mp4".into()),
            extra: Default::default(),
        };
        let preview = animatrix_workflow::bind(
            template,
            &settings,
            &placeholder,
            "00000000-0000-0000-0000-000000000000",
            &mut OsSeedSource,
        )?;
        let image = req
            .inputs
            .image
            .as_ref()
            .ok_or_else(|| CoreError::InvalidSetting {
                key: "ground_truth".into(),
                reason: "attach exactly one ground-truth image of the character".into(),
            })?;
        let target = animatrix_media::AspectTarget::new(preview.width, preview.height)?;
        let (img, w) = self.resolve_input(
            image,
            Role::GroundTruth,
            &ImportOptions {
                target: Some(target),
                ..base.clone()
            },
        )?;
        warnings.extend(w);
        inputs.push((Role::GroundTruth, 0, img));
        for (i, r) in req.inputs.references.iter().enumerate() {
            let (a, w) = self.resolve_input(r, Role::Reference, &base)?;
            warnings.extend(w);
            inputs.push((Role::Reference, i, a));
        }
        if let Some(p) = &req.inputs.pose_sheet {
            let (a, w) = self.resolve_input(p, Role::PoseSheet, &base)?;
            warnings.extend(w);
            warnings.push(POSE_SHEET_WARNING.into());
            inputs.push((Role::PoseSheet, 0, a));
        }
        warnings.extend(preview.warnings.iter().map(|w| w.message.clone()));
        // Store the request with asset ids so retry and replay never need the original files.
        req.inputs = JobInputs {
            image: Some(InputRef::Asset(asset_of(&inputs, Role::GroundTruth)?)),
            audio: req
                .inputs
                .audio
                .as_ref()
                .map(|_| asset_of(&inputs, Role::Audio).map(InputRef::Asset))
                .transpose()?,
            video: req
                .inputs
                .video
                .as_ref()
                .map(|_| asset_of(&inputs, Role::MotionVideo).map(InputRef::Asset))
                .transpose()?,
            references: inputs
                .iter()
                .filter(|(r, _, _)| *r == Role::Reference)
                .map(|(_, _, a)| InputRef::Asset(a.id.clone()))
                .collect(),
            pose_sheet: inputs
                .iter()
                .find(|(r, _, _)| *r == Role::PoseSheet)
                .map(|(_, _, a)| InputRef::Asset(a.id.clone())),
        };
        Ok(Prepared {
            template_name: template.manifest().name.clone(),
            template_version: template.manifest().version.to_string(),
            settings,
            inputs,
            preview,
            warnings,
            request: req,
        })
    }

    fn resolve_input(
        &self,
        input: &InputRef,
        role: Role,
        options: &ImportOptions,
    ) -> Result<(AssetRecord, Vec<String>), CoreError> {
        match input {
            InputRef::File(path) => self.inner.studio.import_asset(path, role, options),
            InputRef::Asset(id) => {
                let asset = crate::assets::get(&self.inner.studio.db(), id)?;
                // A replayed ground truth may need another fit (other aspect): re-import its
                // stored (already clean) file, which dedups when nothing changes.
                if role == Role::GroundTruth && options.target.is_some() {
                    return self.inner.studio.import_asset(&asset.path(), role, options);
                }
                Ok((asset, Vec::new()))
            }
        }
    }

    /// Validates and records a new job, then drives it in the background. Returns its id.
    pub async fn submit(&self, request: JobRequest) -> Result<String, CoreError> {
        self.submit_linked(request, None).await
    }

    async fn submit_linked(
        &self,
        request: JobRequest,
        parent: Option<(String, &'static str)>,
    ) -> Result<String, CoreError> {
        // Fail fast on a missing endpoint before importing anything.
        let endpoint = self
            .inner
            .studio
            .endpoint_or_default(request.endpoint.as_deref())?;
        let engine = self.clone();
        let prepared = tokio::task::spawn_blocking(move || engine.prepare(request))
            .await
            .map_err(|e| CoreError::Corrupt(format!("prepare task: {e}")))??;
        let job_id = uuid::Uuid::now_v7().to_string();
        let prompt_id = uuid::Uuid::new_v4().to_string();
        let conn = self.connection(Some(&endpoint.name)).await?;
        let new = NewJob {
            id: job_id.clone(),
            comfy_prompt_id: prompt_id.clone(),
            client_id: conn.hub.client_id().to_string(),
            endpoint_name: Some(endpoint.name.clone()),
            mode: prepared.request.mode_str().into(),
            template_name: prepared.template_name.clone(),
            template_version: prepared.template_version.clone(),
            profile: prepared.preview.profile.clone(),
            aspect: prepared.preview.aspect.clone(),
            prompt: prepared.request.prompt.clone(),
            negative_prompt: prepared.request.negative_prompt.clone().unwrap_or_default(),
            settings_json: serde_json::to_string(&prepared.request)
                .map_err(|e| CoreError::Corrupt(e.to_string()))?,
            parent_job_id: parent.as_ref().map(|(p, _)| p.clone()),
            relation: parent.as_ref().map(|(_, r)| (*r).to_string()),
            is_demo: false,
        };
        {
            let mut db = self.inner.studio.db();
            repo::insert(&mut db, &new)?;
            repo::set_seed_and_frames(
                &db,
                &job_id,
                prepared.request.seed,
                Some(i64::from(prepared.preview.frame_count)),
            )?;
            for (role, pos, asset) in &prepared.inputs {
                db.execute(
                    "INSERT INTO job_inputs (job_id, asset_id, role, position) VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![job_id, asset.id, role.as_str(), *pos as i64],
                )?;
            }
            for w in &prepared.warnings {
                repo::add_event(&db, &job_id, "warning", &json!({ "message": w }))?;
            }
        }
        info!(job_id = %job_id, comfy_prompt_id = %prompt_id, template = %prepared.template_name, "job created");
        self.emit(JobUpdate::new(&job_id, JobState::Validating));
        self.spawn_drive(job_id.clone(), Some(prepared));
        Ok(job_id)
    }

    fn spawn_drive(&self, job_id: String, prepared: Option<Prepared>) {
        {
            let mut active = self.inner.active.lock().unwrap_or_else(|p| p.into_inner());
            if !active.insert(job_id.clone()) {
                return;
            }
        }
        let engine = self.clone();
        let prompt_id = repo::get(&self.inner.studio.db(), &job_id)
            .map(|j| j.comfy_prompt_id)
            .unwrap_or_default();
        let span = info_span!("job", job_id = %job_id, comfy_prompt_id = %prompt_id);
        tokio::spawn(
            async move {
                let result = engine.drive(&job_id, prepared).await;
                if let Err(e) = result {
                    let ue = e.explain();
                    warn!(code = %ue.code, detail = %ue.detail, "job failed");
                    engine.fail(&job_id, ue);
                }
                engine
                    .inner
                    .active
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&job_id);
            }
            .instrument(span),
        );
    }

    /// Drives a job from whatever state it is in to a terminal one.
    async fn drive(&self, job_id: &str, prepared: Option<Prepared>) -> Result<(), CoreError> {
        let job = repo::get(&self.inner.studio.db(), job_id)?;
        if job.state.is_terminal() {
            return Ok(());
        }
        let conn = self.connection(job.endpoint_name.as_deref()).await?;
        let posted = self.was_posted(job_id)?;
        let tracked = match job.state {
            JobState::Draft | JobState::Validating | JobState::Uploading => {
                let prepared = match prepared {
                    Some(p) => p,
                    None => self.reprepare(&job)?,
                };
                match self.validate_upload_post(&job, &conn, prepared).await? {
                    Some(t) => t,
                    None => return Ok(()),
                }
            }
            JobState::Queued if !posted => {
                // Crashed between saving the graph and hearing back from POST /prompt: ask the
                // server before posting again, so a prompt is never queued twice.
                if conn.client.history(&job.comfy_prompt_id).await?.is_some()
                    || queue_has(&conn, &job.comfy_prompt_id).await?
                {
                    conn.hub.track(&job.comfy_prompt_id)
                } else if job.cancel_requested {
                    self.advance(job_id, JobState::Cancelled, Value::Null)?;
                    return Ok(());
                } else {
                    let graph = self.saved_graph(job_id)?;
                    self.post(&job, &conn, &graph).await?
                }
            }
            _ => conn.hub.track(&job.comfy_prompt_id),
        };
        self.follow(&job, &conn, tracked).await
    }

    /// Whether POST /prompt for this job was answered (the prompt is on the server).
    pub fn was_posted(&self, job_id: &str) -> Result<bool, CoreError> {
        Ok(repo::events(&self.inner.studio.db(), job_id)?
            .iter()
            .any(|e| e.kind == "prompt_posted"))
    }

    fn reprepare(&self, job: &JobRecord) -> Result<Prepared, CoreError> {
        let request: JobRequest = serde_json::from_value(job.settings.clone())
            .map_err(|e| CoreError::Corrupt(format!("job {} settings: {e}", job.id)))?;
        self.prepare(request)
    }

    /// validating -> uploading -> queued. `None` when the job ended on the way (cancelled or
    /// refused by preflight).
    async fn validate_upload_post(
        &self,
        job: &JobRecord,
        conn: &ServerConn,
        prepared: Prepared,
    ) -> Result<Option<Tracked>, CoreError> {
        let template = self
            .inner
            .catalog
            .get(&prepared.template_name, &prepared.template_version)?;
        let info = conn.object_info().await?;
        let models = conn.models_for(template).await?;
        let report = animatrix_workflow::preflight(template, &info, &models);
        let profile = prepared.preview.profile.clone();
        if !report.missing_nodes.is_empty() || !report.ready_profiles.contains(&profile) {
            let detail = serde_json::to_string(&report).unwrap_or_default();
            self.fail(
                &job.id,
                UserError::new(
                    "server_not_ready",
                    format!(
                        "The server is missing parts this mode needs ({} node types, {} model files).",
                        report.missing_nodes.len(),
                        report.missing_models.len()
                    ),
                    "Ask your operator to install them (animatrix templates lists what is missing), or pick another quality profile.",
                )
                .with_detail(detail),
            );
            return Ok(None);
        }
        if !self.advance(&job.id, JobState::Uploading, Value::Null)? {
            return Ok(None);
        }
        let mut uploaded = UploadedInputs::default();
        let total: u64 = prepared
            .inputs
            .iter()
            .filter(|(r, _, _)| matches!(r, Role::GroundTruth | Role::Audio | Role::MotionVideo))
            .map(|(_, _, a)| a.size_bytes.max(0) as u64)
            .sum();
        let mut done_before = 0u64;
        for (role, _, asset) in &prepared.inputs {
            if !matches!(role, Role::GroundTruth | Role::Audio | Role::MotionVideo) {
                continue;
            }
            let name = upload_name(asset);
            let updates = self.inner.updates.clone();
            let job_id = job.id.clone();
            let base = done_before;
            let last = Arc::new(StdMutex::new(Instant::now()));
            let result = conn
                .client
                .upload(&asset.path(), &UploadTarget::input(name), move |p| {
                    let mut last = last.lock().unwrap_or_else(|x| x.into_inner());
                    if last.elapsed().as_millis() >= 50 || p.total == Some(p.done) {
                        *last = Instant::now();
                        let mut u = JobUpdate::new(&job_id, JobState::Uploading);
                        u.upload = Some((base + p.done, total.max(base + p.done)));
                        let _ = updates.send(u.labelled());
                    }
                })
                .await?;
            done_before += asset.size_bytes.max(0) as u64;
            let server_name = if result.subfolder.is_empty() {
                result.name.clone()
            } else {
                format!("{}/{}", result.subfolder, result.name)
            };
            self.inner.studio.db().execute(
                "UPDATE job_inputs SET uploaded_name = ?3 WHERE job_id = ?1 AND asset_id = ?2",
                rusqlite::params![job.id, asset.id, server_name],
            )?;
            match role {
                Role::GroundTruth => uploaded.image = server_name,
                Role::Audio => uploaded.audio = Some(server_name),
                Role::MotionVideo => uploaded.video = Some(server_name),
                _ => {}
            }
        }
        let bound = animatrix_workflow::bind(
            template,
            &prepared.settings,
            &uploaded,
            &job.id,
            &mut OsSeedSource,
        )?;
        let issues = animatrix_workflow::validate(&bound.graph, &info);
        if let Err(issues) = issues {
            self.fail(
                &job.id,
                UserError::new(
                    "template_incompatible",
                    "This server's version does not accept the generation recipe.",
                    "Update the server's ComfyUI and custom nodes, or ask your operator.",
                )
                .with_detail(format!("{issues:?}")),
            );
            return Ok(None);
        }
        let dir = self.job_dir(&job.id);
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
        let graph_path = dir.join(BOUND_GRAPH_FILE);
        std::fs::write(&graph_path, bound.graph_json())
            .map_err(|e| CoreError::io(&graph_path, e))?;
        if !self.advance(
            &job.id,
            JobState::Queued,
            json!({ "prompt_id": job.comfy_prompt_id }),
        )? {
            return Ok(None);
        }
        Ok(Some(self.post(job, conn, &bound.graph).await?))
    }

    async fn post(
        &self,
        job: &JobRecord,
        conn: &ServerConn,
        graph: &Value,
    ) -> Result<Tracked, CoreError> {
        let extra = json!({ "animatrix_job_id": job.id });
        let (accepted, tracked) = conn
            .hub
            .submit(graph, &job.comfy_prompt_id, extra.as_object())
            .await?;
        repo::add_event(
            &self.inner.studio.db(),
            &job.id,
            "prompt_posted",
            &json!({ "prompt_id": accepted.prompt_id, "number": accepted.number }),
        )?;
        info!("prompt posted");
        // A cancel that arrived while the request was in flight found nothing to delete yet.
        if repo::get(&self.inner.studio.db(), &job.id)?.cancel_requested {
            conn.client
                .queue_delete(std::slice::from_ref(&job.comfy_prompt_id))
                .await?;
            conn.client.interrupt(&job.comfy_prompt_id).await?;
        }
        Ok(tracked)
    }

    fn saved_graph(&self, job_id: &str) -> Result<Value, CoreError> {
        let path = self.job_dir(job_id).join(BOUND_GRAPH_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| CoreError::io(&path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| CoreError::Corrupt(format!("{}: {e}", path.display())))
    }

    /// Follows the prompt's events to its outcome.
    async fn follow(
        &self,
        job: &JobRecord,
        conn: &ServerConn,
        mut tracked: Tracked,
    ) -> Result<(), CoreError> {
        let graph = self.saved_graph(&job.id).unwrap_or(Value::Null);
        let mut progress = GraphProgress::new(&graph);
        let median = crate::jobs::metrics::median_run_seconds(
            &self.inner.studio.db(),
            job.endpoint_name.as_deref().unwrap_or_default(),
            &job.template_name,
            &job.profile,
            job.frame_count.unwrap_or(0),
        )?;
        let mut started: Option<Instant> = None;
        let mut last_saved = Instant::now();
        let mut last_pct_event = -1i64;
        let mut preview_n = 0u32;
        let mut last_preview_saved: Option<Instant> = None;
        let mut preview_path: Option<String> = None;
        let mut node_times: Vec<(String, i64)> = Vec::new();
        while let Some(ev) = tracked.next().await {
            match ev {
                TrackedEvent::Queued { ahead } => {
                    let state = repo::get(&self.inner.studio.db(), &job.id)?.state;
                    if state == JobState::Queued {
                        let mut u = JobUpdate::new(&job.id, JobState::Queued);
                        u.queue_ahead = Some(ahead);
                        self.emit(u.labelled());
                        repo::add_event(
                            &self.inner.studio.db(),
                            &job.id,
                            "queue_position",
                            &json!({ "ahead": ahead }),
                        )?;
                    }
                    continue;
                }
                TrackedEvent::Started => {
                    started = Some(Instant::now());
                    self.advance(&job.id, JobState::Executing, Value::Null)?;
                }
                TrackedEvent::Cached { nodes } => progress.cached(&nodes),
                TrackedEvent::NodeStarted { node, .. } => {
                    if started.is_none() {
                        started = Some(Instant::now());
                        self.advance(&job.id, JobState::Executing, Value::Null)?;
                    }
                    node_times.push((node.clone(), crate::store::now_ms()));
                    progress.node_started(&node);
                }
                TrackedEvent::Progress { node, value, max } => {
                    progress.node_progress(node.as_deref(), value, max)
                }
                TrackedEvent::ProgressState(state) => {
                    for (id, n) in &state.nodes {
                        if n.state == animatrix_comfy::model::events::NodeState::Finished {
                            progress.node_finished(id);
                        }
                    }
                }
                TrackedEvent::Preview(p) => {
                    let ext = if p.mime.contains("png") { "png" } else { "jpg" };
                    let dir = self.job_dir(&job.id).join("previews");
                    let due = last_preview_saved.is_none_or(|t| t.elapsed().as_millis() >= 1000);
                    if due {
                        std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
                        preview_n += 1;
                        let path = dir.join(format!("{preview_n:05}.{ext}"));
                        std::fs::write(&path, &p.image).map_err(|e| CoreError::io(&path, e))?;
                        repo::add_event(
                            &self.inner.studio.db(),
                            &job.id,
                            "preview",
                            &json!({ "file": format!("previews/{preview_n:05}.{ext}") }),
                        )?;
                        preview_path = Some(path.display().to_string());
                        last_preview_saved = Some(Instant::now());
                    }
                }
                TrackedEvent::NodeOutput { .. } => {}
                TrackedEvent::Finished(outcome) => {
                    return self.finish(job, conn, outcome, node_times).await;
                }
            }
            let frac = progress.fraction();
            let elapsed = started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
            let mut u = JobUpdate::new(&job.id, JobState::Executing);
            u.progress = frac;
            u.eta_seconds = eta_seconds(median, elapsed, frac);
            u.preview_path = preview_path.clone();
            self.emit(u.labelled());
            let pct = (frac * 100.0).floor() as i64;
            if last_saved.elapsed().as_millis() >= 500 || pct != last_pct_event {
                let db = self.inner.studio.db();
                repo::set_progress(&db, &job.id, frac)?;
                if pct != last_pct_event {
                    repo::add_event(&db, &job.id, "progress", &json!({ "fraction": frac }))?;
                    last_pct_event = pct;
                }
                last_saved = Instant::now();
            }
        }
        // The hub was shut down (app closing): the job stays where it is for `recover`.
        Ok(())
    }

    async fn finish(
        &self,
        job: &JobRecord,
        conn: &ServerConn,
        outcome: Outcome,
        node_times: Vec<(String, i64)>,
    ) -> Result<(), CoreError> {
        let cancel_requested = repo::get(&self.inner.studio.db(), &job.id)?.cancel_requested;
        match outcome {
            Outcome::Success(entry) => {
                if !self.advance(&job.id, JobState::Collecting, Value::Null)? {
                    return Ok(());
                }
                self.emit(JobUpdate::new(&job.id, JobState::Collecting));
                collect::collect(self, job, conn, &entry, &node_times).await?;
                self.advance(&job.id, JobState::Completed, Value::Null)?;
                info!("job completed");
            }
            Outcome::Interrupted(_) | Outcome::Vanished if cancel_requested => {
                self.advance(&job.id, JobState::Cancelled, Value::Null)?;
            }
            other => {
                let err = match other.into_result(&job.comfy_prompt_id) {
                    Err(e) => e.explain(),
                    Ok(_) => {
                        UserError::new("internal_error", "Unexpected outcome.", "See the log.")
                    }
                };
                self.fail(&job.id, err);
            }
        }
        Ok(())
    }

    /// Writes a transition and tells the listeners. `false` when refused (the job already
    /// ended, e.g. cancelled meanwhile).
    fn advance(&self, job_id: &str, next: JobState, data: Value) -> Result<bool, CoreError> {
        let moved = repo::transition(&mut self.inner.studio.db(), job_id, next, &data)?;
        if moved {
            info!(state = %next, "job state");
            self.emit(JobUpdate::new(job_id, next));
        }
        Ok(moved)
    }

    fn fail(&self, job_id: &str, e: UserError) {
        let err = JobError {
            code: e.code.clone(),
            message: e.message.clone(),
            suggestion: e.suggestion.clone(),
            detail: e.detail.clone(),
        };
        warn!(code = %e.code, detail = %e.detail, "job failed");
        match repo::fail(&mut self.inner.studio.db(), job_id, &err) {
            Ok(true) => {
                let mut u = JobUpdate::new(job_id, JobState::Failed);
                u.error = Some(err);
                self.emit(u.labelled());
            }
            Ok(false) => {}
            Err(db) => warn!(error = %db, "could not record the failure"),
        }
    }

    fn emit(&self, mut update: JobUpdate) {
        update.emitted_at_ms = Some(crate::store::now_ms());
        let _ = self.inner.updates.send(update);
    }

    /// Cancels a job: before it is posted, at once; queued on the server, deleted from the
    /// queue; running, interrupted (by prompt id, so no other job is touched).
    pub async fn cancel(&self, job_id: &str) -> Result<JobRecord, CoreError> {
        let job = repo::get(&self.inner.studio.db(), job_id)?;
        if job.state.is_terminal() {
            return Ok(job);
        }
        repo::request_cancel(&self.inner.studio.db(), job_id)?;
        info!(job_id = %job_id, comfy_prompt_id = %job.comfy_prompt_id, state = %job.state, "cancel requested");
        match job.state {
            JobState::Draft | JobState::Validating | JobState::Uploading => {
                self.advance(job_id, JobState::Cancelled, Value::Null)?;
            }
            JobState::Queued | JobState::Executing | JobState::Collecting => {
                let conn = self.connection(job.endpoint_name.as_deref()).await?;
                conn.client
                    .queue_delete(std::slice::from_ref(&job.comfy_prompt_id))
                    .await?;
                conn.client.interrupt(&job.comfy_prompt_id).await?;
                // Whoever drives the job sees it vanish or get interrupted and ends it
                // cancelled; if no one does (it was submitted by a process that exited), drive
                // it from here.
                self.spawn_drive(job_id.to_string(), None);
                self.wait(job_id).await?;
            }
            _ => {}
        }
        repo::get(&self.inner.studio.db(), job_id)
    }

    /// Waits until the job is terminal (driven here or in another process).
    pub async fn wait(&self, job_id: &str) -> Result<JobRecord, CoreError> {
        let mut rx = self.subscribe();
        loop {
            let job = repo::get(&self.inner.studio.db(), job_id)?;
            if job.state.is_terminal() {
                return Ok(job);
            }
            // Updates wake us at once; the timeout covers jobs driven by another process.
            let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
                loop {
                    match rx.recv().await {
                        Ok(u) if u.job_id == job_id && u.state.is_terminal() => break,
                        Ok(_) => continue,
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            })
            .await;
        }
    }

    /// A failed or cancelled job again, same inputs and settings (same seed), as a new job.
    pub async fn retry(&self, job_id: &str) -> Result<String, CoreError> {
        let job = repo::get(&self.inner.studio.db(), job_id)?;
        if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
            return Err(CoreError::InvalidSetting {
                key: "retry".into(),
                reason: format!(
                    "only failed or cancelled runs can be retried (this one is {})",
                    job.state
                ),
            });
        }
        let mut req = self.stored_request(&job)?;
        req.seed = job.resolved_seed.unwrap_or(req.seed);
        self.submit_linked(req, Some((job.id.clone(), "retry")))
            .await
    }

    /// Any past job again with the same inputs and settings; same seed or a new one.
    pub async fn replay(&self, job_id: &str, new_seed: bool) -> Result<String, CoreError> {
        let job = repo::get(&self.inner.studio.db(), job_id)?;
        let mut req = self.stored_request(&job)?;
        req.seed = if new_seed {
            -1
        } else {
            job.resolved_seed.unwrap_or(req.seed)
        };
        self.submit_linked(req, Some((job.id.clone(), "replay")))
            .await
    }

    fn stored_request(&self, job: &JobRecord) -> Result<JobRequest, CoreError> {
        let mut req: JobRequest = serde_json::from_value(job.settings.clone())
            .map_err(|e| CoreError::Corrupt(format!("job {} settings: {e}", job.id)))?;
        // The endpoint the job ran on, unless it was removed since: then the default.
        if let Some(ep) = &job.endpoint_name
            && self.inner.studio.endpoint(ep).is_ok()
        {
            req.endpoint = Some(ep.clone());
        } else {
            req.endpoint = None;
        }
        Ok(req)
    }

    /// On start: every non-terminal job is driven again from its recorded state. Returns the
    /// ids picked up.
    pub fn recover(&self) -> Result<Vec<String>, CoreError> {
        let jobs = repo::non_terminal(&self.inner.studio.db())?;
        for job in &jobs {
            self.recover_job(&job.id)?;
        }
        Ok(jobs.into_iter().map(|j| j.id).collect())
    }

    /// Reconciles one job (no-op when it already ended or this process drives it).
    pub fn recover_job(&self, job_id: &str) -> Result<(), CoreError> {
        let job = repo::get(&self.inner.studio.db(), job_id)?;
        if job.state.is_terminal() || job.is_demo {
            return Ok(());
        }
        info!(job_id = %job.id, comfy_prompt_id = %job.comfy_prompt_id, state = %job.state, "reconciling job");
        if job.cancel_requested
            && matches!(
                job.state,
                JobState::Draft | JobState::Validating | JobState::Uploading
            )
        {
            self.advance(&job.id, JobState::Cancelled, Value::Null)?;
            return Ok(());
        }
        self.spawn_drive(job.id.clone(), None);
        Ok(())
    }

    pub fn job(&self, job_id: &str) -> Result<JobRecord, CoreError> {
        repo::get(&self.inner.studio.db(), job_id)
    }

    pub fn resolve_job_id(&self, id_or_prefix: &str) -> Result<String, CoreError> {
        repo::resolve_id(&self.inner.studio.db(), id_or_prefix)
    }

    pub fn list_jobs(&self, q: &super::JobQuery) -> Result<super::JobPage, CoreError> {
        repo::list(&self.inner.studio.db(), q)
    }

    /// A job with its inputs, outputs and event timeline.
    pub fn job_detail(&self, job_id: &str) -> Result<JobDetail, CoreError> {
        let db = self.inner.studio.db();
        let job = repo::get(&db, job_id)?;
        let mut stmt = db.prepare(
            "SELECT i.role, i.position, i.uploaded_name, i.asset_id FROM job_inputs i
             WHERE i.job_id = ?1 ORDER BY i.role, i.position",
        )?;
        let rows: Vec<(String, i64, Option<String>, String)> = stmt
            .query_map([job_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut inputs = Vec::new();
        for (role, position, uploaded_name, asset_id) in rows {
            inputs.push(JobInputView {
                role,
                position,
                uploaded_name,
                asset: crate::assets::get(&db, &asset_id)?,
            });
        }
        Ok(JobDetail {
            outputs: repo::outputs(&db, job_id)?,
            events: repo::events(&db, job_id)?,
            job_dir: self.job_dir(job_id).display().to_string(),
            job,
            inputs,
        })
    }

    /// The bound graph a request would produce, without a server (CLI `graph --dry-run`).
    pub fn dry_run(&self, request: JobRequest) -> Result<(Prepared, BoundGraph), CoreError> {
        let prepared = self.prepare(request)?;
        let names = |role: Role| {
            prepared
                .inputs
                .iter()
                .find(|(r, _, _)| *r == role)
                .map(|(_, _, a)| upload_name(a))
        };
        let uploaded = UploadedInputs {
            image: names(Role::GroundTruth).unwrap_or_default(),
            audio: names(Role::Audio),
            video: names(Role::MotionVideo),
            extra: Default::default(),
        };
        let template = self
            .inner
            .catalog
            .get(&prepared.template_name, &prepared.template_version)?;
        let bound = animatrix_workflow::bind(
            template,
            &prepared.settings,
            &uploaded,
            "00000000-0000-0000-0000-000000000000",
            &mut OsSeedSource,
        )?;
        Ok((prepared, bound))
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct JobDetail {
    pub job: JobRecord,
    pub inputs: Vec<JobInputView>,
    pub outputs: Vec<super::OutputRecord>,
    pub events: Vec<super::JobEvent>,
    pub job_dir: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct JobInputView {
    pub role: String,
    pub position: i64,
    pub uploaded_name: Option<String>,
    pub asset: AssetRecord,
}

/// Content-hash names: the same bytes always get the same server name, so the server's upload
/// dedup (same name + same bytes) applies across jobs.
pub fn upload_name(asset: &AssetRecord) -> String {
    let ext = Path::new(&asset.stored_path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("bin");
    let short = asset.sha256.get(..32).unwrap_or(&asset.sha256);
    format!("animatrix_{short}.{ext}")
}

fn asset_of(inputs: &[(Role, usize, AssetRecord)], role: Role) -> Result<String, CoreError> {
    inputs
        .iter()
        .find(|(r, _, _)| *r == role)
        .map(|(_, _, a)| a.id.clone())
        .ok_or_else(|| CoreError::Corrupt(format!("missing {} input", role.as_str())))
}

async fn queue_has(conn: &ServerConn, prompt_id: &str) -> Result<bool, CoreError> {
    let q = conn.client.queue().await?;
    Ok(q.queue_running
        .iter()
        .chain(q.queue_pending.iter())
        .any(|item| item.prompt_id == prompt_id))
}
