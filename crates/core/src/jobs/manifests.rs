//! The two files every ended run leaves in its folder: `job_manifest.json` (what was asked, with
//! what, the result, when) and `debug_metadata.json` (the server's side: version, devices, node
//! timings, the raw history entry or the error). Written when the job reaches its terminal state,
//! so the manifest carries the completion time and a failed run explains itself on disk too.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lifecycle::JobCtx;
use super::model::{JobEvent, JobInputRecord, JobRecord, OutputRecord};
use super::repo;
use super::run::BOUND_GRAPH_FILE;
use crate::CoreError;

pub const JOB_MANIFEST: &str = "job_manifest.json";
pub const DEBUG_METADATA: &str = "debug_metadata.json";
/// Version of the `job_manifest.json` layout.
pub const JOB_MANIFEST_SCHEMA: u32 = 2;

/// `job_manifest.json`: the job as the model stores it, nothing re-typed by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobManifest {
    pub schema: u32,
    pub app_version: String,
    pub job: JobRecord,
    pub inputs: Vec<JobInputRecord>,
    pub outputs: Vec<OutputRecord>,
    pub events: Vec<JobEvent>,
    pub bound_graph: Value,
}

/// `debug_metadata.json`: what operators need to explain a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DebugMetadata {
    pub server: Option<ServerFacts>,
    /// When each node started, milliseconds since the Unix epoch.
    pub node_started_at_ms: Vec<(String, i64)>,
    /// The server's raw history entry (success or execution error), when there was one.
    pub history_entry: Option<Value>,
    pub warnings: Vec<String>,
    /// The failure's exact cause, for failed runs.
    pub error_detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerFacts {
    pub comfyui_version: Option<String>,
    pub devices: Vec<DeviceFacts>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceFacts {
    pub name: String,
    pub vram_total: u64,
    pub vram_free: u64,
}

/// Writes both files for the job as it is stored now.
pub async fn write(ctx: &JobCtx, mut debug: DebugMetadata) -> Result<(), CoreError> {
    let id = ctx.job_id.clone();
    let (job, inputs, outputs, events) = ctx
        .db
        .read(move |c| {
            Ok((
                repo::get(c, &id)?,
                repo::inputs(c, &id)?,
                repo::outputs(c, &id)?,
                repo::events(c, &id)?,
            ))
        })
        .await?;
    debug.warnings = events
        .iter()
        .filter_map(|e| match &e.data {
            super::model::EventData::Warning { message } => Some(message.clone()),
            _ => None,
        })
        .collect();
    debug.error_detail = job.error.as_ref().map(|e| e.detail.clone());
    let bound_graph = std::fs::read_to_string(ctx.dir.join(BOUND_GRAPH_FILE))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let manifest = JobManifest {
        schema: JOB_MANIFEST_SCHEMA,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        job,
        inputs,
        outputs,
        events,
        bound_graph,
    };
    std::fs::create_dir_all(&ctx.dir).map_err(|e| CoreError::io(&ctx.dir, e))?;
    write_json(&ctx.dir.join(JOB_MANIFEST), &manifest)?;
    write_json(&ctx.dir.join(DEBUG_METADATA), &debug)
}

/// Atomic: a reader never sees half a file.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CoreError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CoreError::Internal(format!("{}: {e}", path.display())))?;
    let tmp = path.with_extension("json.part");
    std::fs::write(&tmp, text).map_err(|e| CoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CoreError::io(path, e))
}
