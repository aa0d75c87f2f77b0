//! The team library: runs published to the bucket by any workstation, listed from their
//! `published.json`, imported through the demo-pack importer (verified completely, all or
//! nothing) once the media published beside the pack are put back into it. An imported run is a demo run (never in metrics, never sent to a server) marked
//! with the library it came from; importing it again, or importing a run made here, adds
//! nothing.

use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};

use animatrix_storage::Bucket;

use super::pack;
use super::publish::{PACK_NAME, RUNS_FOLDER, run_folder};
use super::record::{self, LibraryRun, MAX_RECORD_BYTES, RECORD_NAME};
use super::{repo, target};
use crate::store::off_thread;
use crate::{CoreError, Studio, demo};

/// A library run as this workstation sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct LibraryEntry {
    pub run: LibraryRun,
    /// The local job that holds it: the run itself when it was made here, or its import.
    pub local_job_id: Option<String>,
    /// Made on this workstation (nothing to import).
    pub made_here: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct LibraryImport {
    /// The local job now holding the run.
    pub job_id: String,
    /// False when it was already here (imported before, or made here): nothing was written.
    pub imported: bool,
    /// The library it came from (`<url>/<bucket>/<prefix>`).
    pub location: String,
}

/// Every complete publish in the bucket, newest first.
pub async fn list(studio: &Studio) -> Result<Vec<LibraryEntry>, CoreError> {
    let s = studio.clone();
    let bucket = off_thread(move || target::open_bucket(s.db())).await?;
    let location = target::location(bucket.target());
    let mut runs = Vec::new();
    for id in bucket.list_folders(RUNS_FOLDER).await? {
        let key = format!("{}/{RECORD_NAME}", run_folder(&id));
        // No record yet: a publish in progress (or interrupted) elsewhere.
        let Some(bytes) = bucket.read_small(&key, MAX_RECORD_BYTES).await? else {
            continue;
        };
        match record::parse(&bytes) {
            Some(r) if r.run.job_id == id => runs.push(r.run),
            _ => tracing::warn!(%key, "skipping a library record this build cannot read"),
        }
    }
    let s = studio.clone();
    let mut entries = off_thread(move || {
        s.db().read_blocking(|c| {
            runs.into_iter()
                .map(|run| {
                    let (local, made_here) = local_copy(c, &location, &run.job_id)?;
                    Ok(LibraryEntry {
                        run,
                        local_job_id: local,
                        made_here,
                    })
                })
                .collect::<Result<Vec<_>, CoreError>>()
        })
    })
    .await?;
    entries.sort_by_key(|e| std::cmp::Reverse(e.run.published_at));
    Ok(entries)
}

/// (local job id, made here) for a library run.
fn local_copy(
    c: &rusqlite::Connection,
    location: &str,
    source_id: &str,
) -> Result<(Option<String>, bool), CoreError> {
    if let Some(id) = repo::imported_from(c, location, source_id)? {
        return Ok((Some(id), false));
    }
    let made_here =
        crate::jobs::repo::exists(c, source_id)? && !crate::jobs::repo::get(c, source_id)?.is_demo;
    Ok((made_here.then(|| source_id.to_string()), made_here))
}

/// Downloads the run's pack (and the media it leaves out), puts it back together and imports
/// it like a demo pack, then marks where it came from.
pub async fn import(studio: &Studio, source_job_id: &str) -> Result<LibraryImport, CoreError> {
    let s = studio.clone();
    let bucket = off_thread(move || target::open_bucket(s.db())).await?;
    let location = target::location(bucket.target());
    let (s, loc, id) = (studio.clone(), location.clone(), source_job_id.to_string());
    let existing = off_thread(move || s.db().read_blocking(|c| local_copy(c, &loc, &id))).await?;
    if let (Some(job_id), _) = existing {
        return Ok(LibraryImport {
            job_id,
            imported: false,
            location,
        });
    }
    let tmp = studio.data_dir().join("tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| CoreError::io(&tmp, e))?;
    let mut scratch = Scratch(Vec::new());
    let pack = fetch(&bucket, source_job_id, &tmp, &mut scratch).await?;
    let (s, loc, id) = (studio.clone(), location.clone(), source_job_id.to_string());
    off_thread(move || import_pack(&s, &pack, &loc, &id)).await
}

/// Temporary files of one import, removed whatever happens.
struct Scratch(Vec<PathBuf>);

impl Scratch {
    fn file(&mut self, dir: &Path, what: &str) -> PathBuf {
        let path = dir.join(format!("library-{}-{what}", uuid::Uuid::new_v4().simple()));
        self.0.push(path.clone());
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The run's whole pack on local disk: the published pack with the objects it leaves out
/// (named by `published.json`) put back. Sizes are capped by what the record declares, so a
/// bucket cannot make us fill the disk; checksums are the importer's to verify.
async fn fetch(
    bucket: &Bucket,
    source_job_id: &str,
    tmp: &Path,
    scratch: &mut Scratch,
) -> Result<PathBuf, CoreError> {
    let folder = run_folder(source_job_id);
    let record_key = format!("{folder}/{RECORD_NAME}");
    let detached = match bucket.read_small(&record_key, MAX_RECORD_BYTES).await? {
        Some(bytes) => {
            record::parse(&bytes)
                .map(|r| r.detached)
                .ok_or_else(|| CoreError::DemoPackCorrupt {
                    detail: format!("{record_key} is not a record this build can read"),
                })?
        }
        None => {
            return Err(animatrix_storage::StorageError::ObjectMissing { key: record_key }.into());
        }
    };
    let limit = demo::ImportLimits::default().max_total_bytes;
    let pack = scratch.file(tmp, &format!("pack.{}", demo::PACK_EXTENSION));
    bucket
        .download(&format!("{folder}/{PACK_NAME}"), &pack, limit)
        .await?;
    if detached.is_empty() {
        // Published whole (a version-1 record).
        return Ok(pack);
    }
    let mut media = Vec::with_capacity(detached.len());
    for d in detached {
        pack::check_object_name(&d)?;
        let local = scratch.file(tmp, "media");
        bucket
            .download(&format!("{folder}/{}", d.object), &local, d.size.min(limit))
            .await?;
        media.push((d, local));
    }
    let whole = scratch.file(tmp, &format!("whole.{}", demo::PACK_EXTENSION));
    let mut parts: Vec<PathBuf> = media.iter().map(|(_, f)| f.clone()).collect();
    parts.push(pack.clone());
    let w = whole.clone();
    off_thread(move || pack::reassemble(&pack, &media, &w)).await?;
    // The parts are no longer needed: free their room before the import stages the members.
    for part in parts {
        let _ = std::fs::remove_file(part);
    }
    Ok(whole)
}

fn import_pack(
    studio: &Studio,
    pack: &std::path::Path,
    location: &str,
    source_job_id: &str,
) -> Result<LibraryImport, CoreError> {
    let summary = demo::import(studio, pack)?;
    let run = summary
        .runs
        .iter()
        .find(|r| r.original_id == source_job_id)
        .ok_or_else(|| CoreError::DemoPackTampered {
            member: PACK_NAME.into(),
            detail: format!("the pack does not hold run {source_job_id}"),
        })?;
    studio
        .db()
        .write_blocking(|c| repo::record_import(c, &run.job_id, source_job_id, location))?;
    Ok(LibraryImport {
        job_id: run.job_id.clone(),
        imported: run.imported,
        location: location.to_string(),
    })
}
