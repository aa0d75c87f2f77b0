//! Export: completed runs into one `.animatrix-demo` file, written beside the target and renamed
//! into place so a half-written pack never carries the final name.
//!
//! What leaves the machine is chosen field by field (no row or event is copied blindly): no
//! secret is ever read here, and endpoint names and URLs only with `include_endpoint`. Event data
//! is reduced to known keys, and every JSON member is finally scrubbed of the endpoint's URL and
//! host in case some free text (a warning) quoted it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::format::{RunRecord, Timeline, safe_component};
use crate::jobs::manifests::JOB_MANIFEST_SCHEMA;
use crate::jobs::{
    BOUND_GRAPH_FILE, EventData, JobInputRecord, JobManifest, JobRecord, JobState, OutputKind, repo,
};
use crate::{CoreError, Studio};

mod pack_writer;

use pack_writer::write_pack;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Shown on import; "Demo pack" when empty.
    pub label: Option<String>,
    /// Opt in to endpoint names and URLs (never secrets).
    pub include_endpoint: bool,
    /// The pack's date (ms since the Unix epoch); now when `None`. A fixed date makes the same
    /// runs export to the same bytes, which a resumed or repeated publish relies on.
    #[serde(default)]
    pub created_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ExportSummary {
    pub path: String,
    pub label: String,
    pub job_ids: Vec<String>,
    pub members: usize,
    /// Size of the pack file.
    pub bytes: u64,
    /// Sum of the members' sizes.
    pub uncompressed_bytes: u64,
    pub includes_endpoint: bool,
}

/// Writes the runs `job_ids` (full ids or unique prefixes) into a pack at `out`.
pub fn export(
    studio: &Studio,
    job_ids: &[String],
    out: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, CoreError> {
    export_leaving_out(studio, job_ids, out, opts, &HashSet::new())
}

/// [`export`], with the files in `leave_out` (local paths, as the runs record them) listed in
/// the manifest with their size and sha256 but not written: a published run ships its video
/// and poster beside the pack, and the library import puts them back before the usual checks.
pub(crate) fn export_leaving_out(
    studio: &Studio,
    job_ids: &[String],
    out: &Path,
    opts: &ExportOptions,
    leave_out: &HashSet<PathBuf>,
) -> Result<ExportSummary, CoreError> {
    if job_ids.is_empty() {
        return Err(CoreError::InvalidSetting {
            key: "runs".into(),
            reason: "choose at least one run to export".into(),
        });
    }
    let runs = collect_runs(studio, job_ids, opts)?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pack".into());
    let partial = dir.join(format!(
        ".{file_name}.{}.partial",
        uuid::Uuid::new_v4().simple()
    ));
    let written = write_pack(&partial, &runs, opts, leave_out);
    let (members, uncompressed) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&partial, out) {
        let _ = std::fs::remove_file(&partial);
        return Err(CoreError::io(out, e));
    }
    let bytes = std::fs::metadata(out)
        .map_err(|e| CoreError::io(out, e))?
        .len();
    tracing::info!(pack = %out.display(), runs = runs.len(), bytes, "demo pack exported");
    Ok(ExportSummary {
        path: out.display().to_string(),
        label: label_of(opts),
        job_ids: runs.iter().map(|r| r.record.job.id.clone()).collect(),
        members,
        bytes,
        uncompressed_bytes: uncompressed,
        includes_endpoint: opts.include_endpoint,
    })
}

fn label_of(opts: &ExportOptions) -> String {
    opts.label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("Demo pack")
        .chars()
        .take(200)
        .collect()
}

/// One run ready to write: its record, timeline, job manifest and the files to copy
/// (member path relative to the run folder, source on disk).
pub(super) struct RunExport {
    record: RunRecord,
    timeline: Timeline,
    job_manifest: JobManifest,
    files: Vec<(String, PathBuf)>,
    /// Strings that must not leave the machine (endpoint URL and host) unless opted in.
    scrub: Vec<String>,
}

fn collect_runs(
    studio: &Studio,
    job_ids: &[String],
    opts: &ExportOptions,
) -> Result<Vec<RunExport>, CoreError> {
    studio.db().read_blocking(|db| {
        let mut seen = HashSet::new();
        let mut runs = Vec::new();
        for given in job_ids {
            let id = repo::resolve_id(db, given)?;
            if !seen.insert(id.clone()) {
                continue;
            }
            runs.push(collect_run(studio, db, &id, opts)?);
        }
        Ok(runs)
    })
}

fn not_exportable(id: &str, reason: impl Into<String>) -> CoreError {
    CoreError::DemoRunNotExportable {
        id: id.into(),
        reason: reason.into(),
    }
}

/// The run's own records with every path on this machine replaced by its member name, and the
/// server's name and address left out unless opted in.
fn collect_run(
    studio: &Studio,
    db: &Connection,
    id: &str,
    opts: &ExportOptions,
) -> Result<RunExport, CoreError> {
    let mut job = repo::get(db, id)?;
    if job.state != JobState::Completed {
        return Err(not_exportable(
            id,
            format!("it is {}, only completed runs can be performed", job.state),
        ));
    }
    let job_dir = studio.job_dir(id);
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut used_names = HashSet::new();
    let mut members: HashMap<String, String> = HashMap::new();

    let mut outputs = repo::outputs(db, id)?;
    for o in &mut outputs {
        let src = PathBuf::from(&o.path);
        if !src.is_file() {
            return Err(not_exportable(
                id,
                format!(
                    "its {} file is missing ({})",
                    o.kind.as_str(),
                    src.display()
                ),
            ));
        }
        let base = src
            .file_name()
            .map(|n| safe_component(&n.to_string_lossy()))
            .unwrap_or_else(|| "output".into());
        let file = unique(&mut used_names, "outputs", &base);
        members.insert(o.path.clone(), file.clone());
        files.push((file.clone(), src));
        o.path = file;
    }
    if !outputs.iter().any(|o| o.kind == OutputKind::Video) {
        return Err(not_exportable(id, "it has no video"));
    }
    if let Some(clip) = &mut job.clip {
        clip.path = members.get(&clip.path).cloned().unwrap_or_default();
        clip.poster_path = clip
            .poster_path
            .as_ref()
            .and_then(|p| members.get(p).cloned());
    }
    let inputs = collect_inputs(db, id, &mut files, &mut used_names)?;
    let (endpoint_url, scrub) = endpoint_fields(db, &job, opts);
    if !opts.include_endpoint {
        job.endpoint = None;
        job.request.target = None;
    }
    let mut events = Vec::new();
    for mut e in repo::events(db, id)? {
        match &e.data {
            EventData::Preview { file } => {
                let src = job_dir.join(file);
                let Some(name) = file.strip_prefix("previews/") else {
                    continue;
                };
                if !src.is_file() {
                    // A preview that was never written (or cleaned up) is dropped, not faked.
                    continue;
                }
                let member = unique(&mut used_names, "previews", &safe_component(name));
                files.push((member.clone(), src));
                e.data = EventData::Preview { file: member };
            }
            EventData::Routed { .. } if !opts.include_endpoint => continue,
            _ => {}
        }
        events.push(e);
    }
    let bound_graph = std::fs::read_to_string(job_dir.join(BOUND_GRAPH_FILE))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let job_manifest = JobManifest {
        schema: JOB_MANIFEST_SCHEMA,
        app_version: env!("CARGO_PKG_VERSION").into(),
        job: job.clone(),
        inputs: inputs.clone(),
        outputs: outputs.clone(),
        events: events.clone(),
        bound_graph,
    };
    Ok(RunExport {
        record: RunRecord {
            job,
            inputs,
            outputs,
            endpoint_url,
        },
        timeline: Timeline { events },
        job_manifest,
        files,
        scrub,
    })
}

fn endpoint_fields(
    db: &Connection,
    job: &JobRecord,
    opts: &ExportOptions,
) -> (Option<String>, Vec<String>) {
    let view = job
        .endpoint
        .as_deref()
        .and_then(|n| crate::store::endpoints::get(db, n).ok());
    let url = view.as_ref().map(|v| v.base_url.clone());
    if opts.include_endpoint {
        return (url, Vec::new());
    }
    let mut scrub = Vec::new();
    if let Some(u) = &url {
        scrub.push(u.clone());
        if let Some(host) = url::Url::parse(u)
            .ok()
            .and_then(|p| p.host_str().map(str::to_string))
        {
            scrub.push(host);
        }
    }
    (None, scrub)
}

/// The run's inputs with their files packed as `inputs/<role>-<position>.<ext>` (and thumbnails
/// beside them); the asset's paths become those members.
fn collect_inputs(
    db: &Connection,
    job_id: &str,
    files: &mut Vec<(String, PathBuf)>,
    used: &mut HashSet<String>,
) -> Result<Vec<JobInputRecord>, CoreError> {
    let mut inputs = repo::inputs(db, job_id)?;
    for input in &mut inputs {
        let a = &mut input.asset;
        let src = a.path();
        if !src.is_file() {
            return Err(not_exportable(
                job_id,
                format!("its {} input is missing ({})", input.role, src.display()),
            ));
        }
        let ext = src
            .extension()
            .map(|e| safe_component(&e.to_string_lossy()))
            .unwrap_or_else(|| "bin".into());
        let stem = safe_component(&format!("{}-{}", input.role, input.position));
        let file = unique(used, "inputs", &format!("{stem}.{ext}"));
        files.push((file.clone(), src));
        a.stored_path = file;
        a.thumbnail_path = a
            .thumbnail_path
            .as_deref()
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .map(|p| {
                let text = p.to_string_lossy().to_ascii_lowercase();
                let ext = if text.ends_with(".webp") {
                    "webp"
                } else if text.ends_with(".png") {
                    "png"
                } else {
                    "jpg"
                };
                let member = unique(used, "inputs", &format!("{stem}.thumb.{ext}"));
                files.push((member.clone(), p));
                member
            });
    }
    Ok(inputs)
}

/// `folder/name`, made unique within the run (`name-2`, ...).
fn unique(used: &mut HashSet<String>, folder: &str, name: &str) -> String {
    let mut candidate = format!("{folder}/{name}");
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{folder}/{n}-{name}");
        n += 1;
    }
    candidate
}
