//! Export: completed runs into one `.animatrix-demo` file, written beside the target and renamed
//! into place so a half-written pack never carries the final name.
//!
//! What leaves the machine is chosen field by field (no row or event is copied blindly): no
//! secret is ever read here, and endpoint names and URLs only with `include_endpoint`. Event data
//! is reduced to known keys, and every JSON member is finally scrubbed of the endpoint's URL and
//! host in case some free text (a warning) quoted it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::format::{
    MANIFEST_NAME, PACK_FORMAT, PACK_VERSION, PackManifest, PackMember, PackRun, RUN_RECORD,
    RUNS_DIR, RunRecord, TIMELINE, Timeline, safe_component,
};
use crate::jobs::manifests::JOB_MANIFEST_SCHEMA;
use crate::jobs::{
    BOUND_GRAPH_FILE, EventData, JOB_MANIFEST, JobInputRecord, JobManifest, JobRecord, JobState,
    OutputKind, repo,
};
use crate::{CoreError, Studio};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Shown on import; "Demo pack" when empty.
    pub label: Option<String>,
    /// Opt in to endpoint names and URLs (never secrets).
    pub include_endpoint: bool,
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
    let written = write_pack(&partial, &runs, opts);
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
struct RunExport {
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

/// Media that is already compressed is stored as is: deflating it again costs time and gains
/// nothing. Everything else (JSON, WAV) is deflated.
fn method_for(name: &str) -> CompressionMethod {
    let lower = name.to_ascii_lowercase();
    let stored = [
        ".mp4", ".mov", ".webm", ".png", ".jpg", ".jpeg", ".webp", ".mp3", ".m4a", ".ogg", ".flac",
    ];
    if stored.iter().any(|ext| lower.ends_with(ext)) {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    }
}

struct PackWriter {
    zip: ZipWriter<BufWriter<File>>,
    path: PathBuf,
    members: Vec<PackMember>,
}

impl PackWriter {
    fn options(name: &str, size: u64) -> SimpleFileOptions {
        // A fixed timestamp keeps packs of the same runs byte-identical.
        SimpleFileOptions::default()
            .compression_method(method_for(name))
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
            .large_file(size >= u64::from(u32::MAX))
    }

    fn zip_err(&self, e: zip::result::ZipError) -> CoreError {
        match e {
            zip::result::ZipError::Io(io) => CoreError::io(&self.path, io),
            other => CoreError::Corrupt(format!("writing {}: {other}", self.path.display())),
        }
    }

    fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), CoreError> {
        let opts = Self::options(name, bytes.len() as u64);
        self.zip
            .start_file(name, opts)
            .map_err(|e| self.zip_err(e))?;
        self.zip
            .write_all(bytes)
            .map_err(|e| CoreError::io(&self.path, e))?;
        self.members.push(PackMember {
            path: name.to_string(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        });
        Ok(())
    }

    fn add_file(&mut self, name: &str, src: &Path) -> Result<(), CoreError> {
        let mut f = File::open(src).map_err(|e| CoreError::io(src, e))?;
        let size = f.metadata().map_err(|e| CoreError::io(src, e))?.len();
        let opts = Self::options(name, size);
        self.zip
            .start_file(name, opts)
            .map_err(|e| self.zip_err(e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(|e| CoreError::io(src, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            self.zip
                .write_all(&buf[..n])
                .map_err(|e| CoreError::io(&self.path, e))?;
            total += n as u64;
        }
        self.members.push(PackMember {
            path: name.to_string(),
            size: total,
            sha256: hex::encode(hasher.finalize()),
        });
        Ok(())
    }
}

fn json_bytes<T: Serialize>(value: &T, scrub: &[String]) -> Result<Vec<u8>, CoreError> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| CoreError::Internal(e.to_string()))?;
    for s in scrub.iter().filter(|s| !s.is_empty()) {
        text = text.replace(s.as_str(), "[server]");
    }
    Ok(text.into_bytes())
}

fn write_pack(
    path: &Path,
    runs: &[RunExport],
    opts: &ExportOptions,
) -> Result<(usize, u64), CoreError> {
    let file = File::create(path).map_err(|e| CoreError::io(path, e))?;
    let mut w = PackWriter {
        zip: ZipWriter::new(BufWriter::new(file)),
        path: path.to_path_buf(),
        members: Vec::new(),
    };
    let mut listed = Vec::new();
    for run in runs {
        let dir = format!("{RUNS_DIR}/{}", safe_component(&run.record.job.id));
        for (member, src) in &run.files {
            w.add_file(&format!("{dir}/{member}"), src)?;
        }
        // Outputs and inputs must be what the database says they are: a file changed on disk
        // since the run would otherwise travel under a checksum that lies.
        let by_name: BTreeMap<&str, &PackMember> =
            w.members.iter().map(|m| (m.path.as_str(), m)).collect();
        let checks = run
            .record
            .outputs
            .iter()
            .map(|o| (&o.path, &o.sha256))
            .chain(
                run.record
                    .inputs
                    .iter()
                    .map(|i| (&i.asset.stored_path, &i.asset.sha256)),
            );
        for (file, sha) in checks {
            let full = format!("{dir}/{file}");
            if by_name.get(full.as_str()).map(|m| &m.sha256) != Some(sha) {
                return Err(not_exportable(
                    &run.record.job.id,
                    format!("{file} changed on disk since the run recorded it"),
                ));
            }
        }
        w.add_bytes(
            &format!("{dir}/{RUN_RECORD}"),
            &json_bytes(&run.record, &run.scrub)?,
        )?;
        w.add_bytes(
            &format!("{dir}/{TIMELINE}"),
            &json_bytes(&run.timeline, &run.scrub)?,
        )?;
        w.add_bytes(
            &format!("{dir}/{JOB_MANIFEST}"),
            &json_bytes(&run.job_manifest, &run.scrub)?,
        )?;
        let job = &run.record.job;
        listed.push(PackRun {
            id: job.id.clone(),
            dir,
            mode: job.mode.clone(),
            template: job.template.clone(),
            prompt: job.prompt.clone(),
        });
    }
    let scrub_all: Vec<String> = runs.iter().flat_map(|r| r.scrub.clone()).collect();
    let manifest = PackManifest {
        format: PACK_FORMAT.into(),
        version: PACK_VERSION,
        created_at: crate::store::now_ms(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        label: label_of(opts),
        includes_endpoint: opts.include_endpoint,
        runs: listed,
        members: w.members.clone(),
    };
    let count = w.members.len();
    let uncompressed: u64 = w.members.iter().map(|m| m.size).sum();
    let bytes = json_bytes(&manifest, &scrub_all)?;
    w.add_bytes(MANIFEST_NAME, &bytes)?;
    let path_buf = w.path.clone();
    let inner = w.zip.finish().map_err(|e| match e {
        zip::result::ZipError::Io(io) => CoreError::io(&path_buf, io),
        other => CoreError::Corrupt(other.to_string()),
    })?;
    let file = inner
        .into_inner()
        .map_err(|e| CoreError::io(&path_buf, e.into_error()))?;
    file.sync_all().map_err(|e| CoreError::io(&path_buf, e))?;
    Ok((count, uncompressed))
}
