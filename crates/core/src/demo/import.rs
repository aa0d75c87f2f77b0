//! Import: all or nothing.
//!
//! 1. The zip's central directory is read (damaged or cut short: `demo_pack_corrupt`), every
//!    member name checked (`demo_pack_unsafe_path`) and every declared size and compression
//!    ratio capped (`demo_pack_too_large`) before a byte is decompressed.
//! 2. `manifest.json` is read (size-capped) and its format and version checked
//!    (`demo_pack_unsupported_version`); its member list must match the zip exactly.
//! 3. Every member is extracted into a staging folder inside the data dir, counting bytes as
//!    they come (a member that inflates past its declared size is a bomb, whatever the header
//!    said) and hashing them; any size or sha256 mismatch is `demo_pack_tampered`.
//! 4. Only then: one SQLite transaction inserts the jobs (`is_demo = 1`), assets, inputs,
//!    outputs and events; the staged files are renamed into place; the transaction commits.
//!    On any error the renamed files are removed again, the transaction rolls back, and the
//!    staging folder is deleted: nothing is imported partially.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::format::{
    MANIFEST_NAME, PACK_FORMAT, PackManifest, READABLE_VERSIONS, RUN_RECORD, RUNS_DIR, RunRecord,
    TIMELINE, Timeline, check_member_path,
};
use super::format_v1;
use crate::assets::{self, AssetRecord};
use crate::jobs::{
    EventData, InputSource, JOBS_DIR, JobInputRecord, JobState, OutputKind, Role, repo,
};
use crate::{CoreError, Studio};

/// Caps that keep a hostile pack from filling the disk or memory. The defaults fit real packs
/// (a few runs of generated MP4s) with room to spare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportLimits {
    /// Size of the pack file itself.
    pub max_pack_bytes: u64,
    /// Sum of the members' uncompressed sizes.
    pub max_total_bytes: u64,
    pub max_member_bytes: u64,
    pub max_members: usize,
    /// Uncompressed / compressed, checked for members above `ratio_floor_bytes` (tiny JSON
    /// members legitimately compress very well).
    pub max_ratio: u64,
    pub ratio_floor_bytes: u64,
    /// `manifest.json`, `run.json`, `timeline.json` and `job_manifest.json` are parsed in memory.
    pub max_json_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_pack_bytes: 8 << 30,
            max_total_bytes: 8 << 30,
            max_member_bytes: 4 << 30,
            max_members: 20_000,
            max_ratio: 100,
            ratio_floor_bytes: 1 << 20,
            max_json_bytes: 32 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ImportSummary {
    pub label: String,
    /// When the pack was made (ms since the Unix epoch).
    pub created_at: i64,
    pub runs: Vec<ImportedRun>,
    /// Runs added now.
    pub imported: usize,
    /// Runs that were already here from an earlier import of the same pack.
    pub already_present: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ImportedRun {
    /// The demo job's id here.
    pub job_id: String,
    /// Its id on the machine that exported it.
    pub original_id: String,
    pub mode: String,
    pub prompt: String,
    /// False when it was already present (nothing written for it).
    pub imported: bool,
}

pub fn import(studio: &Studio, pack: &Path) -> Result<ImportSummary, CoreError> {
    import_with_limits(studio, pack, &ImportLimits::default())
}

pub fn import_with_limits(
    studio: &Studio,
    pack: &Path,
    limits: &ImportLimits,
) -> Result<ImportSummary, CoreError> {
    let result = import_inner(studio, pack, limits);
    match &result {
        Ok(s) => tracing::info!(
            pack = %pack.display(),
            imported = s.imported,
            already_present = s.already_present,
            "demo pack imported"
        ),
        Err(e) => tracing::warn!(pack = %pack.display(), error = %e, "demo pack refused"),
    }
    result
}

/// The pack's manifest (label, runs), after the same name, size and version checks as an import
/// but without extracting anything: for showing what a dropped file holds before importing it.
pub fn inspect(pack: &Path) -> Result<PackManifest, CoreError> {
    let limits = ImportLimits::default();
    let mut zip = open_pack(pack, &limits)?;
    let entries = scan_entries(&mut zip, &limits)?;
    let manifest = read_manifest(&mut zip, &entries, &limits)?;
    check_members_match(&manifest, &entries)?;
    Ok(manifest)
}

fn open_pack(pack: &Path, limits: &ImportLimits) -> Result<ZipArchive<BufReader<File>>, CoreError> {
    let size = std::fs::metadata(pack)
        .map_err(|e| CoreError::io(pack, e))?
        .len();
    if size > limits.max_pack_bytes {
        return Err(too_large(format!(
            "the file is {size} bytes, the limit is {}",
            limits.max_pack_bytes
        )));
    }
    let file = File::open(pack).map_err(|e| CoreError::io(pack, e))?;
    ZipArchive::new(BufReader::new(file)).map_err(|e| corrupt(format!("not a readable zip: {e}")))
}

fn corrupt(detail: impl Into<String>) -> CoreError {
    CoreError::DemoPackCorrupt {
        detail: detail.into(),
    }
}

fn too_large(detail: impl Into<String>) -> CoreError {
    CoreError::DemoPackTooLarge {
        detail: detail.into(),
    }
}

fn tampered(member: &str, detail: impl Into<String>) -> CoreError {
    CoreError::DemoPackTampered {
        member: member.into(),
        detail: detail.into(),
    }
}

fn import_inner(
    studio: &Studio,
    pack: &Path,
    limits: &ImportLimits,
) -> Result<ImportSummary, CoreError> {
    let mut zip = open_pack(pack, limits)?;
    let size = std::fs::metadata(pack)
        .map_err(|e| CoreError::io(pack, e))?
        .len();
    let entries = scan_entries(&mut zip, limits)?;
    let manifest = read_manifest(&mut zip, &entries, limits)?;
    check_members_match(&manifest, &entries)?;

    let staging = Staging::new(studio.data_dir())?;
    extract_all(&mut zip, &manifest, &staging.root, limits)?;
    let runs = load_runs(&manifest, &staging.root, limits)?;

    let summary = apply(studio, &manifest, &runs, &staging.root)?;
    Ok(ImportSummary {
        bytes: size,
        ..summary
    })
}

/// A member as the central directory declares it.
struct Entry {
    declared: u64,
}

fn scan_entries(
    zip: &mut ZipArchive<BufReader<File>>,
    limits: &ImportLimits,
) -> Result<BTreeMap<String, Entry>, CoreError> {
    if zip.len() > limits.max_members {
        return Err(too_large(format!(
            "{} members, the limit is {}",
            zip.len(),
            limits.max_members
        )));
    }
    let mut entries = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| corrupt(format!("member {i}: {e}")))?;
        let name = std::str::from_utf8(f.name_raw())
            .map_err(|_| CoreError::DemoPackUnsafePath {
                member: String::from_utf8_lossy(f.name_raw())
                    .chars()
                    .take(200)
                    .collect(),
            })?
            .to_string();
        if f.is_dir() {
            check_member_path(name.trim_end_matches('/'))?;
            continue;
        }
        check_member_path(&name)?;
        if f.is_symlink() {
            return Err(CoreError::DemoPackUnsafePath { member: name });
        }
        if f.encrypted() {
            return Err(corrupt(format!("{name} is encrypted")));
        }
        if !matches!(
            f.compression(),
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
        ) {
            return Err(corrupt(format!(
                "{name} uses an unsupported compression ({:?})",
                f.compression()
            )));
        }
        let declared = f.size();
        if declared > limits.max_member_bytes {
            return Err(too_large(format!(
                "{name} declares {declared} bytes, the limit per member is {}",
                limits.max_member_bytes
            )));
        }
        if declared > limits.ratio_floor_bytes
            && declared / f.compressed_size().max(1) > limits.max_ratio
        {
            return Err(too_large(format!(
                "{name} expands {declared} bytes from {} (more than {}x)",
                f.compressed_size(),
                limits.max_ratio
            )));
        }
        total = total.saturating_add(declared);
        if total > limits.max_total_bytes {
            return Err(too_large(format!(
                "the members add up to more than {} bytes",
                limits.max_total_bytes
            )));
        }
        if entries.insert(name.clone(), Entry { declared }).is_some() {
            return Err(corrupt(format!("{name} appears twice")));
        }
    }
    Ok(entries)
}

/// Reads one member fully into memory, capped at `cap` bytes and at its declared size.
fn read_small(
    zip: &mut ZipArchive<BufReader<File>>,
    name: &str,
    declared: u64,
    cap: u64,
) -> Result<Vec<u8>, CoreError> {
    if declared > cap {
        return Err(too_large(format!(
            "{name} is {declared} bytes, the limit is {cap}"
        )));
    }
    let f = zip
        .by_name(name)
        .map_err(|e| corrupt(format!("{name}: {e}")))?;
    let mut buf = Vec::new();
    f.take(declared.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| read_error(name, &e))?;
    if buf.len() as u64 > declared {
        return Err(too_large(format!(
            "{name} expands beyond its declared size"
        )));
    }
    Ok(buf)
}

fn read_error(name: &str, e: &std::io::Error) -> CoreError {
    let text = e.to_string();
    if text.contains("declared uncompressed size") {
        too_large(format!("{name}: {text}"))
    } else {
        corrupt(format!("{name}: {text}"))
    }
}

fn read_manifest(
    zip: &mut ZipArchive<BufReader<File>>,
    entries: &BTreeMap<String, Entry>,
    limits: &ImportLimits,
) -> Result<PackManifest, CoreError> {
    let entry = entries
        .get(MANIFEST_NAME)
        .ok_or_else(|| corrupt("no manifest.json: this is not an Animatrix demo pack"))?;
    let bytes = read_small(zip, MANIFEST_NAME, entry.declared, limits.max_json_bytes)?;
    let raw: Value = serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(format!("manifest.json is not JSON: {e}")))?;
    let format = raw
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let version = raw.get("version").cloned().unwrap_or(Value::Null);
    let readable = version
        .as_u64()
        .is_some_and(|v| READABLE_VERSIONS.contains(&v));
    if format != PACK_FORMAT || !readable {
        return Err(CoreError::DemoPackUnsupportedVersion {
            format,
            version: version.to_string(),
        });
    }
    serde_json::from_value(raw).map_err(|e| corrupt(format!("manifest.json: {e}")))
}

fn check_members_match(
    manifest: &PackManifest,
    entries: &BTreeMap<String, Entry>,
) -> Result<(), CoreError> {
    let mut listed = HashSet::new();
    for m in &manifest.members {
        check_member_path(&m.path)?;
        if m.path == MANIFEST_NAME || !listed.insert(m.path.as_str()) {
            return Err(tampered(&m.path, "listed twice in the manifest"));
        }
        let valid_sha = m.sha256.len() == 64
            && m.sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid_sha {
            return Err(tampered(&m.path, "the manifest's checksum is malformed"));
        }
        let entry = entries
            .get(&m.path)
            .ok_or_else(|| tampered(&m.path, "listed in the manifest but missing"))?;
        if entry.declared != m.size {
            return Err(tampered(
                &m.path,
                format!(
                    "the manifest says {} bytes, the archive {}",
                    m.size, entry.declared
                ),
            ));
        }
    }
    if let Some(extra) = entries
        .keys()
        .find(|k| k.as_str() != MANIFEST_NAME && !listed.contains(k.as_str()))
    {
        return Err(tampered(extra, "not listed in the manifest"));
    }
    let mut dirs = HashSet::new();
    for run in &manifest.runs {
        check_member_path(&run.dir)?;
        let ok = run
            .dir
            .strip_prefix(RUNS_DIR)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|r| !r.contains('/'));
        if !ok || !dirs.insert(run.dir.as_str()) {
            return Err(corrupt(format!("run folder {:?} is not valid", run.dir)));
        }
    }
    Ok(())
}

/// Streams every listed member into the staging folder, counting and hashing.
fn extract_all(
    zip: &mut ZipArchive<BufReader<File>>,
    manifest: &PackManifest,
    root: &Path,
    limits: &ImportLimits,
) -> Result<(), CoreError> {
    let mut total = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    for m in &manifest.members {
        let dest = root.join(&m.path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| CoreError::io(parent, e))?;
        }
        let f = zip
            .by_name(&m.path)
            .map_err(|e| corrupt(format!("{}: {e}", m.path)))?;
        // One byte past the declared size is enough to know it lies.
        let mut reader = f.take(m.size.saturating_add(1));
        let mut out = File::create(&dest).map_err(|e| CoreError::io(&dest, e))?;
        let mut hasher = Sha256::new();
        let mut count = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(|e| read_error(&m.path, &e))?;
            if n == 0 {
                break;
            }
            count += n as u64;
            total += n as u64;
            if count > m.size {
                return Err(too_large(format!(
                    "{} expands beyond its declared {} bytes",
                    m.path, m.size
                )));
            }
            if total > limits.max_total_bytes {
                return Err(too_large(format!(
                    "the members expand to more than {} bytes",
                    limits.max_total_bytes
                )));
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| CoreError::io(&dest, e))?;
        }
        if count != m.size {
            return Err(tampered(
                &m.path,
                format!("{count} bytes, the manifest says {}", m.size),
            ));
        }
        let sha = hex::encode(hasher.finalize());
        if sha != m.sha256 {
            return Err(tampered(
                &m.path,
                format!("sha256 {sha}, the manifest says {}", m.sha256),
            ));
        }
    }
    Ok(())
}

/// A run read back from the staging folder, checked against the manifest.
struct StagedRun {
    dir: String,
    record: RunRecord,
    timeline: Timeline,
}

fn read_json<T: serde::de::DeserializeOwned>(
    root: &Path,
    member: &str,
    limits: &ImportLimits,
) -> Result<T, CoreError> {
    let path = root.join(member);
    let len = std::fs::metadata(&path)
        .map_err(|_| corrupt(format!("{member} is missing")))?
        .len();
    if len > limits.max_json_bytes {
        return Err(too_large(format!("{member} is {len} bytes")));
    }
    let bytes = std::fs::read(&path).map_err(|e| CoreError::io(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("{member}: {e}")))
}

fn load_runs(
    manifest: &PackManifest,
    root: &Path,
    limits: &ImportLimits,
) -> Result<Vec<StagedRun>, CoreError> {
    let members: HashMap<&str, &super::format::PackMember> = manifest
        .members
        .iter()
        .map(|m| (m.path.as_str(), m))
        .collect();
    let mut runs = Vec::new();
    for run in &manifest.runs {
        let record: Value = read_json(root, &format!("{}/{RUN_RECORD}", run.dir), limits)?;
        let timeline: Value = read_json(root, &format!("{}/{TIMELINE}", run.dir), limits)?;
        let (record, timeline) = if manifest.version == 1 {
            (
                format_v1::run_record(&record)?,
                format_v1::timeline(&timeline),
            )
        } else {
            let record: RunRecord = serde_json::from_value(record)
                .map_err(|e| corrupt(format!("{}/{RUN_RECORD}: {e}", run.dir)))?;
            let timeline: Timeline = serde_json::from_value(timeline)
                .map_err(|e| corrupt(format!("{}/{TIMELINE}: {e}", run.dir)))?;
            (record, timeline)
        };
        validate_run(&run.dir, &record, &timeline, &members)?;
        runs.push(StagedRun {
            dir: run.dir.clone(),
            record,
            timeline,
        });
    }
    Ok(runs)
}

/// Everything the database's constraints and the player rely on, checked up front so a bad
/// record is a clear `demo_pack_corrupt`, not a storage error half-way.
fn validate_run(
    dir: &str,
    r: &RunRecord,
    timeline: &Timeline,
    members: &HashMap<&str, &super::format::PackMember>,
) -> Result<(), CoreError> {
    let bad = |what: String| corrupt(format!("{dir}/{RUN_RECORD}: {what}"));
    let job = &r.job;
    if !Role::is_valid(&job.mode) {
        return Err(bad(format!("unknown mode {:?}", job.mode)));
    }
    if job.state != JobState::Completed {
        return Err(bad(format!(
            "state {:?} is not completed",
            job.state.as_str()
        )));
    }
    if job.id.is_empty() || job.id.len() > 128 {
        return Err(bad("missing id".into()));
    }
    let file_ok = |file: &str, sha: &str| -> Result<(), CoreError> {
        check_member_path(file)?;
        let full = format!("{dir}/{file}");
        match members.get(full.as_str()) {
            Some(m) if m.sha256 == sha => Ok(()),
            Some(_) => Err(tampered(&full, "does not match the run's own checksum")),
            None => Err(bad(format!("{file} is not in the pack"))),
        }
    };
    for o in &r.outputs {
        if !o.path.starts_with("outputs/") {
            return Err(bad(format!("output {:?} outside outputs/", o.path)));
        }
        file_ok(&o.path, &o.sha256)?;
    }
    if !r.outputs.iter().any(|o| o.kind == OutputKind::Video) {
        return Err(bad("no video".into()));
    }
    for i in &r.inputs {
        let file = &i.asset.stored_path;
        if !Role::is_valid(i.role.as_str()) {
            return Err(bad(format!("unknown input role {:?}", i.role.as_str())));
        }
        if !matches!(i.asset.kind.as_str(), "image" | "audio" | "video") {
            return Err(bad(format!(
                "input {file} is of unknown kind {:?}",
                i.asset.kind
            )));
        }
        if !file.starts_with("inputs/") || extension(file).is_none() {
            return Err(bad(format!(
                "input {file:?} is not a plain file in inputs/"
            )));
        }
        file_ok(file, &i.asset.sha256)?;
        if let Some(t) = &i.asset.thumbnail_path {
            check_member_path(t)?;
            if !t.starts_with("inputs/") || !members.contains_key(format!("{dir}/{t}").as_str()) {
                return Err(bad(format!("thumbnail {t:?} is not in the pack")));
            }
        }
    }
    for e in &timeline.events {
        if let EventData::Preview { file } = &e.data {
            check_member_path(file)?;
            if !file.starts_with("previews/")
                || !members.contains_key(format!("{dir}/{file}").as_str())
            {
                return Err(corrupt(format!(
                    "{dir}/{TIMELINE}: preview {file:?} is not in the pack"
                )));
            }
        }
    }
    Ok(())
}

fn extension(file: &str) -> Option<&str> {
    let name = file.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty()).then_some(ext)
}

/// A folder under `<data dir>/tmp/` removed on drop, whatever happened.
struct Staging {
    root: PathBuf,
}

impl Staging {
    fn new(data_dir: &Path) -> Result<Staging, CoreError> {
        let root = data_dir
            .join("tmp")
            .join(format!("demo-import-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).map_err(|e| CoreError::io(&root, e))?;
        Ok(Staging { root })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
        // Leave no empty `tmp/` behind either (it fails harmlessly when something else is there).
        if let Some(parent) = self.root.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// Files and folders moved into the data dir so far, removed again unless committed.
struct Placed {
    paths: Vec<PathBuf>,
    committed: bool,
}

impl Drop for Placed {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for p in self.paths.iter().rev() {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
        }
    }
}

fn rename(from: &Path, to: &Path, placed: &mut Placed) -> Result<(), CoreError> {
    if let Some(parent) = to.parent() {
        // Folders created here are ours to remove on rollback, from the outermost new one.
        let mut first_new = None;
        let mut p = Some(parent);
        while let Some(dir) = p {
            if dir.exists() {
                break;
            }
            first_new = Some(dir.to_path_buf());
            p = dir.parent();
        }
        std::fs::create_dir_all(parent).map_err(|e| CoreError::io(parent, e))?;
        if let Some(dir) = first_new {
            placed.paths.push(dir);
        }
    }
    std::fs::rename(from, to).map_err(|e| CoreError::io(to, e))?;
    placed.paths.push(to.to_path_buf());
    Ok(())
}

fn apply(
    studio: &Studio,
    manifest: &PackManifest,
    runs: &[StagedRun],
    staging: &Path,
) -> Result<ImportSummary, CoreError> {
    let jobs_dir = studio.data_dir().join(JOBS_DIR);
    let store = assets::store(studio.data_dir())?;
    let out = studio.db().write_blocking(|db| {
        let tx = crate::store::write_tx(db)?;
        let mut placed = Placed {
            paths: Vec::new(),
            committed: false,
        };
        let mut out = Vec::new();
        for run in runs {
            out.push(apply_run(
                &tx,
                &store,
                &jobs_dir,
                run,
                staging,
                &mut placed,
            )?);
        }
        tx.commit()?;
        placed.committed = true;
        Ok(out)
    })?;
    let imported = out.iter().filter(|r| r.imported).count();
    Ok(ImportSummary {
        label: manifest.label.clone(),
        created_at: manifest.created_at,
        already_present: out.len() - imported,
        imported,
        runs: out,
        bytes: 0,
    })
}

/// One run into the open transaction: its inputs join the asset store, the job and its
/// records are written through the repository, the run folder becomes the job folder.
fn apply_run(
    tx: &Transaction<'_>,
    store: &animatrix_media::AssetStore,
    jobs_dir: &Path,
    run: &StagedRun,
    staging: &Path,
    placed: &mut Placed,
) -> Result<ImportedRun, CoreError> {
    let r = &run.record;
    let video_sha = r
        .outputs
        .iter()
        .find(|o| o.kind == OutputKind::Video)
        .map(|o| o.sha256.clone())
        .unwrap_or_default();
    let summary = |job_id: String, imported: bool| ImportedRun {
        job_id,
        original_id: r.job.id.clone(),
        mode: r.job.mode.clone(),
        prompt: r.job.prompt.clone(),
        imported,
    };
    for id in [r.job.id.clone(), derived_id(&r.job.id, &video_sha)] {
        if repo::demo_run_with_video(tx, &id, &video_sha)? {
            return Ok(summary(id, false));
        }
    }
    let job_id = choose_job_id(tx, jobs_dir, &r.job.id, &video_sha)?;
    let run_dir = staging.join(&run.dir);
    let job_dir = jobs_dir.join(&job_id);

    // Inputs join the content-addressed store (deduplicated by sha256 and role).
    let mut inputs = Vec::new();
    let mut asset_ids: HashMap<String, String> = HashMap::new();
    for input in &r.inputs {
        let asset = place_input(tx, store, &run_dir, input, placed)?;
        asset_ids.insert(input.asset.id.clone(), asset.id.clone());
        inputs.push(JobInputRecord {
            asset,
            ..input.clone()
        });
    }
    let mut job = r.job.clone();
    job.id = job_id.clone();
    job.prompt_id = if repo::prompt_id_taken(tx, &job.prompt_id)? || job.prompt_id.is_empty() {
        format!("demo-{}", uuid::Uuid::new_v4())
    } else {
        job.prompt_id
    };
    job.client_id = "demo".into();
    job.is_demo = true;
    job.progress = 1.0;
    job.parent_job_id = None;
    job.relation = None;
    job.cancel_requested = false;
    job.times.updated_at = crate::store::now_ms();
    // The request names inputs by asset id: point them at this machine's assets so a demo run
    // can be copied to the composer and generated for real later.
    for input in &mut job.request.inputs {
        if let InputSource::Asset(id) = &input.source
            && let Some(new) = asset_ids.get(id)
        {
            input.source = InputSource::Asset(new.clone());
        }
    }
    repo::insert_imported(tx, &job)?;
    for input in &inputs {
        repo::insert_input(tx, &job_id, input)?;
    }
    for o in &r.outputs {
        let mut output = o.clone();
        let path = job_dir.join(&o.path);
        output.path = path.display().to_string();
        if o.kind == OutputKind::Video
            && let Ok(facts) = crate::jobs::clip_facts(&run_dir.join(&o.path))
        {
            output.duration_seconds = facts.seconds;
            output.width = facts.width;
            output.height = facts.height;
        }
        repo::add_output(tx, &job_id, &output)?;
    }
    for e in &run.timeline.events {
        repo::insert_event(tx, &job_id, e.at, &e.data)?;
    }
    // The run folder becomes the job folder (its inputs now live in the asset store;
    // run.json stays as the record of where the run came from).
    let _ = std::fs::remove_dir_all(run_dir.join("inputs"));
    rename(&run_dir, &job_dir, placed)?;
    Ok(summary(job_id, true))
}

/// A stable second id for a run whose own id is taken here (e.g. imported on the machine that
/// made it), so a re-import finds it again.
fn derived_id(run_id: &str, video_sha: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"animatrix-demo-run\0");
    h.update(run_id.as_bytes());
    h.update(b"\0");
    h.update(video_sha.as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn job_id_free(tx: &Connection, jobs_dir: &Path, id: &str) -> Result<bool, CoreError> {
    Ok(!repo::exists(tx, id)? && !jobs_dir.join(id).exists())
}

fn choose_job_id(
    tx: &Connection,
    jobs_dir: &Path,
    run_id: &str,
    video_sha: &str,
) -> Result<String, CoreError> {
    // The pack's own id is a path component here: only a safe one is reused.
    let own_ok = check_member_path(run_id).is_ok() && !run_id.contains('/');
    if own_ok && job_id_free(tx, jobs_dir, run_id)? {
        return Ok(run_id.to_string());
    }
    let derived = derived_id(run_id, video_sha);
    if job_id_free(tx, jobs_dir, &derived)? {
        return Ok(derived);
    }
    Ok(uuid::Uuid::now_v7().to_string())
}

fn place_input(
    tx: &Transaction<'_>,
    store: &animatrix_media::AssetStore,
    run_dir: &Path,
    input: &JobInputRecord,
    placed: &mut Placed,
) -> Result<AssetRecord, CoreError> {
    let packed = &input.asset;
    let ext = extension(&packed.stored_path)
        .unwrap_or("bin")
        .to_ascii_lowercase();
    let target = store.path_for(&packed.sha256, &ext);
    if !target.exists() {
        rename(&run_dir.join(&packed.stored_path), &target, placed)?;
    }
    let thumb_target = match &packed.thumbnail_path {
        Some(t) => {
            let suffix = format!(
                "thumb.{}",
                extension(t).unwrap_or("jpg").to_ascii_lowercase()
            );
            let target = store.path_for(&packed.sha256, &suffix);
            if !target.exists() {
                rename(&run_dir.join(t), &target, placed)?;
            }
            Some(target.display().to_string())
        }
        None => None,
    };
    if let Some(existing) = assets::find(tx, &packed.sha256, input.role.as_str())? {
        return Ok(existing);
    }
    let record = AssetRecord {
        id: uuid::Uuid::now_v7().to_string(),
        role: input.role.to_string(),
        stored_path: target.display().to_string(),
        thumbnail_path: thumb_target,
        created_at: crate::store::now_ms(),
        ..packed.clone()
    };
    assets::insert(tx, &record)?;
    Ok(record)
}
