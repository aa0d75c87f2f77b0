//! The steps from a recorded job to a prompt on the server: preflight (`validating`), upload
//! (`uploading`), bind and validate, save the graph, `queued`, POST /prompt.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use animatrix_comfy::{ComfyError, Tracked, UploadTarget};
use animatrix_workflow::{OsSeedSource, Template};
use serde_json::{Value, json};
use tracing::{info, warn};

use super::binding;
use super::conn::ServerConn;
use super::lifecycle::JobCtx;
use super::model::{EventData, JobInputRecord, JobRecord, JobState, JobUpdate, Role};
use super::prepare::Prepared;
use super::repo;
use crate::CoreError;
use crate::assets::AssetRecord;

pub const BOUND_GRAPH_FILE: &str = "bound_graph.json";

/// validating -> uploading -> queued -> posted. `None` when the job ended on the way
/// (cancelled meanwhile); a refusal by preflight or validation is an error.
pub async fn to_server(
    ctx: &JobCtx,
    template: &Template,
    job: &JobRecord,
    conn: &ServerConn,
    prepared: &Prepared,
) -> Result<Option<Tracked>, CoreError> {
    let facts = conn.server_facts(template).await?;
    let report = animatrix_workflow::preflight(template, &facts);
    if !report.missing_nodes.is_empty() || !report.ready_profiles.contains(&prepared.plan.profile) {
        return Err(CoreError::ServerNotReady {
            verdict: report.verdict.clone(),
            detail: serde_json::to_string(&report).unwrap_or_default(),
        });
    }
    if !ctx.enter(JobState::Uploading).await? {
        return Ok(None);
    }
    let uploads: Vec<&JobInputRecord> = prepared
        .inputs
        .iter()
        .filter(|i| binding::declared(template, i.role.as_str()).is_some_and(|d| d.bound))
        .collect();
    let names = upload_all(ctx, conn, &uploads).await?;
    let uploaded = binding::uploaded_inputs(&names);
    let bound = animatrix_workflow::bind(
        template,
        &prepared.request.settings,
        &uploaded,
        Some(&facts),
        &job.id,
        &mut OsSeedSource,
    )?;
    for w in &bound.warnings {
        ctx.event(EventData::Warning {
            message: w.message.clone(),
        })
        .await?;
    }
    let info = conn.object_info().await?;
    if let Err(issues) = animatrix_workflow::validate(&bound.graph, &info) {
        return Err(CoreError::TemplateIncompatible {
            detail: format!("{issues:?}"),
        });
    }
    std::fs::create_dir_all(&ctx.dir).map_err(|e| CoreError::io(&ctx.dir, e))?;
    let graph_path = ctx.dir.join(BOUND_GRAPH_FILE);
    std::fs::write(&graph_path, bound.graph_json()).map_err(|e| CoreError::io(&graph_path, e))?;
    if !ctx.enter(JobState::Queued).await? {
        return Ok(None);
    }
    Ok(Some(post(ctx, job, conn, &bound.graph).await?))
}

/// Uploads the bound inputs under content-hash names, with byte progress. Returns each role's
/// server name (`subfolder/name`).
async fn upload_all(
    ctx: &JobCtx,
    conn: &ServerConn,
    uploads: &[&JobInputRecord],
) -> Result<Vec<(Role, String)>, CoreError> {
    let total: u64 = uploads
        .iter()
        .map(|i| i.asset.size_bytes.max(0) as u64)
        .sum();
    let mut done_before = 0u64;
    let mut names = Vec::new();
    for input in uploads {
        let progress_ctx = ctx.clone();
        let base = done_before;
        let last = Arc::new(Mutex::new(Instant::now()));
        let result = conn
            .client
            .upload(
                &input.asset.path(),
                &UploadTarget::input(upload_name(&input.asset)),
                move |p| {
                    let mut last = last.lock().unwrap_or_else(|x| x.into_inner());
                    if last.elapsed().as_millis() >= 50 || p.total == Some(p.done) {
                        *last = Instant::now();
                        let mut u = JobUpdate::new(&progress_ctx.job_id, JobState::Uploading);
                        u.upload = Some((base + p.done, total.max(base + p.done)));
                        progress_ctx.emit(u.labelled());
                    }
                },
            )
            .await?;
        done_before += input.asset.size_bytes.max(0) as u64;
        let server_name = if result.subfolder.is_empty() {
            result.name.clone()
        } else {
            format!("{}/{}", result.subfolder, result.name)
        };
        let (id, role, position, name) = (
            ctx.job_id.clone(),
            input.role.clone(),
            input.position,
            server_name.clone(),
        );
        ctx.db
            .write(move |c| repo::set_uploaded_name(c, &id, &role, position, &name))
            .await?;
        names.push((input.role.clone(), server_name));
    }
    Ok(names)
}

/// POST /prompt with our prompt id; records `prompt_posted`. When the answer is lost (a
/// timeout, garbage, another prompt id) although the server may have queued it, the server is
/// asked before anything else happens: found, it is followed; never seen, it is posted once
/// more; the server cannot tell, the job fails with `prompt_answer_lost` and `recover` asks
/// again later. A cancel that arrived while the request was in flight is applied now.
pub async fn post(
    ctx: &JobCtx,
    job: &JobRecord,
    conn: &ServerConn,
    graph: &Value,
) -> Result<Tracked, CoreError> {
    let extra = json!({ "animatrix_job_id": job.id });
    let mut attempts = 0;
    let tracked = loop {
        attempts += 1;
        match conn
            .hub
            .submit(graph, &job.prompt_id, extra.as_object())
            .await
        {
            Ok((accepted, tracked)) => {
                ctx.event(EventData::PromptPosted {
                    prompt_id: accepted.prompt_id.clone(),
                    number: accepted.number.as_i64(),
                })
                .await?;
                info!("prompt posted");
                break tracked;
            }
            Err(lost @ ComfyError::PromptAnswerLost { .. }) => {
                warn!(error = %lost, "the answer to POST /prompt was lost; asking the server");
                match conn.hub.reconcile(&job.prompt_id).await? {
                    Some(tracked) => {
                        ctx.event(EventData::PromptPosted {
                            prompt_id: job.prompt_id.clone(),
                            number: None,
                        })
                        .await?;
                        ctx.event(EventData::Reconciled {
                            how: "The server's answer was lost, but it had queued the prompt."
                                .into(),
                        })
                        .await?;
                        break tracked;
                    }
                    // Never queued: posting again cannot run it twice.
                    None if attempts < 2 => continue,
                    None => return Err(lost.into()),
                }
            }
            Err(other) => return Err(other.into()),
        }
    };
    if ctx.job().await?.cancel_requested {
        conn.hub.cancel(&job.prompt_id).await?;
    }
    Ok(tracked)
}

/// The graph saved before posting (what a recovered job re-posts or follows).
pub fn saved_graph(ctx: &JobCtx) -> Result<Value, CoreError> {
    let path = ctx.dir.join(BOUND_GRAPH_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| CoreError::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| CoreError::Corrupt(format!("{}: {e}", path.display())))
}

/// Content-hash names: the same bytes always get the same server name, so the server's upload
/// dedup (same name + same bytes) applies across jobs.
pub fn upload_name(asset: &AssetRecord) -> String {
    let ext = std::path::Path::new(&asset.stored_path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("bin");
    let short = asset.sha256.get(..32).unwrap_or(&asset.sha256);
    format!("animatrix_{short}.{ext}")
}
