//! Collecting a finished prompt: every output downloaded into the job's folder (names from the
//! server are sanitized by the client), sizes verified, hashed, recorded; then the two manifests.

use std::path::Path;

use animatrix_comfy::model::history::HistoryEntry;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::conn::ServerConn;
use super::engine::Engine;
use super::repo::{self, JobRecord, OutputRecord};
use crate::CoreError;

pub const JOB_MANIFEST: &str = "job_manifest.json";
pub const DEBUG_METADATA: &str = "debug_metadata.json";

pub async fn collect(
    engine: &Engine,
    job: &JobRecord,
    conn: &ServerConn,
    entry: &HistoryEntry,
    node_times: &[(String, i64)],
) -> Result<(), CoreError> {
    let dir = engine.job_dir(&job.id);
    let out_dir = dir.join("outputs");
    std::fs::create_dir_all(&out_dir).map_err(|e| CoreError::io(&out_dir, e))?;
    let mut outputs = Vec::new();
    for file in entry.files() {
        // Only what this job saved: temp previews of other nodes are not results.
        if file.file.file_type.as_str() != "output" {
            continue;
        }
        let name = animatrix_comfy::sanitize::safe_component(&file.file.filename)?.to_string();
        let kind = output_kind(&file.file.subfolder, &name);
        // Names are unique within a job: the templates save each kind under its own prefix.
        let dest = out_dir.join(&name);
        let got = conn.client.view_to_file(&file.file, &dest, |_| {}).await?;
        let size = std::fs::metadata(&dest)
            .map_err(|e| CoreError::io(&dest, e))?
            .len();
        if size != got.bytes || size == 0 {
            return Err(CoreError::Corrupt(format!(
                "output {} is {size} bytes on disk, {} received",
                dest.display(),
                got.bytes
            )));
        }
        let record = OutputRecord {
            kind: kind.to_string(),
            path: dest.display().to_string(),
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256: sha256_file(&dest)?,
            server_filename: Some(file.file.filename.clone()),
            server_subfolder: Some(file.file.subfolder.clone()),
            node_id: Some(file.node_id.clone()),
        };
        repo::add_output(&engine.studio().db(), &job.id, &record)?;
        outputs.push(record);
    }
    if !outputs.iter().any(|o| o.kind == "video") {
        return Err(CoreError::Corrupt(
            "the server reported success but produced no video".into(),
        ));
    }
    write_manifests(engine, job, conn, entry, node_times, &outputs).await
}

fn output_kind(subfolder: &str, name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".mp4") || lower.ends_with(".webm") || lower.ends_with(".mov") {
        "video"
    } else if subfolder.ends_with("/poster") || subfolder == "poster" || lower.starts_with("poster")
    {
        "poster"
    } else if lower.ends_with(".png") || lower.ends_with(".jpg") || lower.ends_with(".webp") {
        "image"
    } else if lower.ends_with(".flac") || lower.ends_with(".wav") || lower.ends_with(".mp3") {
        "audio"
    } else {
        "other"
    }
}

pub fn sha256_file(path: &Path) -> Result<String, CoreError> {
    let mut f = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| CoreError::io(path, e))?;
    Ok(hex::encode(h.finalize()))
}

async fn write_manifests(
    engine: &Engine,
    job: &JobRecord,
    conn: &ServerConn,
    entry: &HistoryEntry,
    node_times: &[(String, i64)],
    outputs: &[OutputRecord],
) -> Result<(), CoreError> {
    let dir = engine.job_dir(&job.id);
    let fresh = repo::get(&engine.studio().db(), &job.id)?;
    let (inputs, events) = {
        let db = engine.studio().db();
        let mut stmt = db.prepare(
            "SELECT i.role, i.position, i.uploaded_name, a.sha256, a.original_name, a.mime, a.size_bytes
             FROM job_inputs i JOIN assets a ON a.id = i.asset_id WHERE i.job_id = ?1 ORDER BY i.role, i.position",
        )?;
        let inputs: Vec<Value> = stmt
            .query_map([&job.id], |r| {
                Ok(json!({
                    "role": r.get::<_, String>(0)?,
                    "position": r.get::<_, i64>(1)?,
                    "uploaded_name": r.get::<_, Option<String>>(2)?,
                    "sha256": r.get::<_, String>(3)?,
                    "original_name": r.get::<_, String>(4)?,
                    "mime": r.get::<_, String>(5)?,
                    "size_bytes": r.get::<_, i64>(6)?,
                }))
            })?
            .collect::<Result<_, _>>()?;
        (inputs, repo::events(&db, &job.id)?)
    };
    let timings: Vec<Value> = events
        .iter()
        .filter_map(|e| e.state.map(|s| json!({ "state": s, "at_ms": e.at })))
        .collect();
    let warnings: Vec<Value> = events
        .iter()
        .filter(|e| e.kind == "warning")
        .map(|e| e.data.get("message").cloned().unwrap_or(Value::Null))
        .collect();
    let bound: Value = std::fs::read_to_string(dir.join("bound_graph.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let manifest = json!({
        "schema": 1,
        "job_id": job.id,
        "app_version": env!("CARGO_PKG_VERSION"),
        "mode": job.mode,
        "template": { "name": job.template_name, "version": job.template_version },
        "profile": job.profile,
        "aspect": job.aspect,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "settings": job.settings,
        "resolved_seed": fresh.resolved_seed,
        "frame_count": fresh.frame_count,
        "endpoint": job.endpoint_name,
        "comfy_prompt_id": job.comfy_prompt_id,
        "inputs": inputs,
        "timings": timings,
        "outputs": outputs.iter().map(|o| json!({
            "kind": o.kind,
            "file": Path::new(&o.path).file_name().map(|n| n.to_string_lossy().to_string()),
            "size_bytes": o.size_bytes,
            "sha256": o.sha256,
        })).collect::<Vec<_>>(),
        "bound_graph": bound,
    });
    let stats = conn.client.system_stats().await.ok();
    let debug = json!({
        "server": stats.as_ref().map(|s| json!({
            "comfyui_version": s.system.comfyui_version,
            "devices": s.devices.iter().map(|d| json!({ "name": d.name, "vram_total": d.vram_total, "vram_free": d.vram_free })).collect::<Vec<_>>(),
        })),
        "node_started_at_ms": node_times.iter().map(|(n, t)| json!({ "node": n, "at_ms": t })).collect::<Vec<_>>(),
        "history_entry": serde_json::to_value(entry).unwrap_or(Value::Null),
        "warnings": warnings,
    });
    write_json(&dir.join(JOB_MANIFEST), &manifest)?;
    write_json(&dir.join(DEBUG_METADATA), &debug)?;
    Ok(())
}

fn write_json(path: &Path, value: &Value) -> Result<(), CoreError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CoreError::Corrupt(e.to_string()))?;
    let tmp = path.with_extension("json.part");
    std::fs::write(&tmp, text).map_err(|e| CoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CoreError::io(path, e))
}
