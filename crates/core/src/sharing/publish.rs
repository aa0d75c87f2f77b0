//! Publishing a completed run to the bucket, unpublishing it, and share links.
//!
//! Layout under `<prefix>/runs/<job id>/`: the video and poster (their own file names),
//! `job_manifest.json`, `debug_metadata.json`, `run.animatrix-demo` (the run as a one-run demo
//! pack, less the video and poster beside it: see [`super::pack`]; the verified record the team
//! library imports) and, written last, `published.json` (the listing record, which also names
//! the media the pack leaves out). A run folder without `published.json` is an unfinished
//! publish and is not listed. The bucket holds the video once.
//!
//! Resuming: every file is recorded in SQLite before anything is sent, and marked once sent.
//! Publishing again (after a failure, a crash or kill -9) skips every file the bucket already
//! holds at its full size (HEAD), so only what is missing goes up again. A multipart upload's
//! id is recorded before its first part; the next publish (or unpublish) aborts an upload a
//! kill left open, so its parts are not kept (and billed) forever.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use animatrix_common::Explain;
use animatrix_storage::{Bucket, MULTIPART_THRESHOLD, content_type_for};
use serde::{Deserialize, Serialize};

use super::pack::{self, Media};
use super::{record, repo, target};
use crate::jobs::{DEBUG_METADATA, JOB_MANIFEST, JobRecord, JobState};
use crate::store::{Db, off_thread};
use crate::{CoreError, Studio, demo};

pub const RUNS_FOLDER: &str = "runs";
pub const PACK_NAME: &str = "run.animatrix-demo";

/// What one publish did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PublishSummary {
    pub publication: repo::Publication,
    /// Files sent now.
    pub uploaded: u32,
    /// Files the bucket already held at full size (an earlier, interrupted publish).
    pub skipped: u32,
    pub bytes_uploaded: u64,
}

struct PublishFile {
    name: String,
    path: PathBuf,
    size: u64,
}

struct Prepared {
    db: Db,
    bucket: Bucket,
    job_id: String,
    files: Vec<PublishFile>,
    scratch: PathBuf,
}

pub(crate) fn run_folder(job_id: &str) -> String {
    format!("{RUNS_FOLDER}/{job_id}")
}

pub async fn publish(studio: &Studio, job_id: &str) -> Result<PublishSummary, CoreError> {
    let (s, id) = (studio.clone(), job_id.to_string());
    let prep = off_thread(move || prepare(&s, &id)).await?;
    let outcome = send(&prep).await;
    let (s, id) = (studio.clone(), prep.job_id.clone());
    let user = outcome.as_ref().err().map(|e| e.explain());
    off_thread(move || {
        s.db()
            .write_blocking(|c| repo::finish(c, &id, user.as_ref().map_or(Ok(()), Err)))
    })
    .await?;
    let (uploaded, skipped, bytes_uploaded) = outcome?;
    let _ = std::fs::remove_dir_all(&prep.scratch);
    let (s, id) = (studio.clone(), prep.job_id.clone());
    let publication = off_thread(move || s.db().read_blocking(|c| repo::get(c, &id)))
        .await?
        .ok_or_else(|| CoreError::Internal("publication vanished".into()))?;
    tracing::info!(job = %prep.job_id, uploaded, skipped, bytes_uploaded, "run published");
    Ok(PublishSummary {
        publication,
        uploaded,
        skipped,
        bytes_uploaded,
    })
}

/// Checks the run, gathers its files (writing the pack and the listing record to a scratch
/// folder) and records the publish before anything is sent.
fn prepare(studio: &Studio, job_id: &str) -> Result<Prepared, CoreError> {
    let db = studio.db();
    let job = db.read_blocking(|c| {
        let id = crate::jobs::repo::resolve_id(c, job_id)?;
        crate::jobs::repo::get(c, &id)
    })?;
    publishable(&job)?;
    let bucket = target::open_bucket(db)?;
    let location = target::location(bucket.target());
    let dir = studio.job_dir(&job.id);
    let scratch = studio
        .data_dir()
        .join("tmp")
        .join(format!("publish-{}", job.id));
    std::fs::create_dir_all(&scratch).map_err(|e| CoreError::io(&scratch, e))?;

    let mut paths: Vec<PathBuf> = Vec::new();
    for local in [job.poster_path(), job.video_path()].into_iter().flatten() {
        paths.push(PathBuf::from(local));
    }
    for name in [JOB_MANIFEST, DEBUG_METADATA] {
        if dir.join(name).is_file() {
            paths.push(dir.join(name));
        }
    }
    // The pack is made once per publish attempt series: a resumed publish reuses it, so the
    // bytes already in the bucket stay valid.
    let media = published_media(db, &job)?;
    let run_dir = format!(
        "{}/{}",
        demo::format::RUNS_DIR,
        demo::format::safe_component(&job.id)
    );
    let pack = scratch.join(PACK_NAME);
    if !pack.is_file() {
        let opts = demo::ExportOptions {
            label: Some(format!("Team library ({location})")),
            include_endpoint: false,
            // Dated by the run, not the clock: publishing again exports the same bytes, so the
            // bucket's copy is recognised (by size) and not sent twice.
            created_at: Some(job.times.finished_at.unwrap_or(job.times.created_at)),
        };
        // The video and poster are listed in the pack but not copied into it: they go up
        // beside it (once), and a library import puts them back before verifying.
        let leave_out: HashSet<PathBuf> = media.iter().map(|m| m.local.clone()).collect();
        demo::export_leaving_out(
            studio,
            std::slice::from_ref(&job.id),
            &pack,
            &opts,
            &leave_out,
        )?;
    }
    let detached = pack::detached_members(&pack, &run_dir, &media)?;
    paths.push(pack);
    let listing = scratch.join(record::RECORD_NAME);
    record::write(&listing, &job, &detached)?;
    // The listing record goes last: its presence marks a complete publish.
    paths.push(listing);

    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let size = std::fs::metadata(&path)
            .map_err(|e| CoreError::io(&path, e))?
            .len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| CoreError::Internal(format!("no file name in {}", path.display())))?;
        files.push(PublishFile { name, path, size });
    }
    let rows: Vec<(String, u64)> = files.iter().map(|f| (f.name.clone(), f.size)).collect();
    db.write_blocking(|c| repo::begin(c, &job.id, &location, &rows))?;
    Ok(Prepared {
        db: db.clone(),
        bucket,
        job_id: job.id,
        files,
        scratch,
    })
}

/// The video and poster as the run recorded them (name, size, sha256): what the pack leaves
/// out because they are published beside it.
fn published_media(db: &Db, job: &JobRecord) -> Result<Vec<Media>, CoreError> {
    let outputs = db.read_blocking(|c| crate::jobs::repo::outputs(c, &job.id))?;
    let mut media = Vec::new();
    for local in [job.video_path(), job.poster_path()].into_iter().flatten() {
        let (Some(o), Some(name)) = (
            outputs.iter().find(|o| o.path == local),
            PathBuf::from(local)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
        ) else {
            continue;
        };
        media.push(Media {
            local: PathBuf::from(local),
            object: name,
            size: o.size_bytes.max(0) as u64,
            sha256: o.sha256.clone(),
        });
    }
    Ok(media)
}

fn publishable(job: &JobRecord) -> Result<(), CoreError> {
    let reason = if job.is_demo {
        "it is a demo or team-library run, already published where it came from"
    } else if job.state != JobState::Completed {
        "it has not completed"
    } else if job.video_path().is_none() {
        "it has no video"
    } else {
        return Ok(());
    };
    Err(CoreError::RunNotPublishable {
        id: job.id.clone(),
        reason: reason.into(),
    })
}

async fn send(prep: &Prepared) -> Result<(u32, u32, u64), CoreError> {
    let folder = run_folder(&prep.job_id);
    abort_open_uploads(&prep.db, &prep.bucket, &prep.job_id).await?;
    let (mut uploaded, mut skipped, mut bytes) = (0u32, 0u32, 0u64);
    for file in &prep.files {
        let key = format!("{folder}/{}", file.name);
        if prep.bucket.size_of(&key).await? == Some(file.size) {
            skipped += 1;
        } else {
            upload(prep, file, &key).await?;
            uploaded += 1;
            bytes += file.size;
        }
        let (db, id, name) = (prep.db.clone(), prep.job_id.clone(), file.name.clone());
        off_thread(move || db.write_blocking(|c| repo::mark_uploaded(c, &id, &name))).await?;
    }
    Ok((uploaded, skipped, bytes))
}

/// One file: a PUT, or a multipart upload whose id is in SQLite while it is open.
async fn upload(prep: &Prepared, file: &PublishFile, key: &str) -> Result<(), CoreError> {
    let content_type = content_type_for(&file.name);
    if file.size < MULTIPART_THRESHOLD {
        prep.bucket
            .upload_file(&file.path, key, content_type)
            .await?;
        return Ok(());
    }
    let upload_id = prep.bucket.begin_multipart(key, content_type).await?;
    let record = |upload_id: Option<String>| {
        let (db, id, name) = (prep.db.clone(), prep.job_id.clone(), file.name.clone());
        off_thread(move || {
            db.write_blocking(|c| repo::record_multipart(c, &id, &name, upload_id.as_deref()))
        })
    };
    record(Some(upload_id.clone())).await?;
    prep.bucket
        .send_multipart(&file.path, key, &upload_id)
        .await?;
    // Completed: nothing left to abort. (A failed send aborted it already; should that abort
    // have failed too, the record stays and the next publish aborts it.)
    record(None).await
}

/// Aborts the multipart uploads a killed publish of `job_id` left open (recorded in SQLite),
/// then forgets them. An upload the server no longer knows is fine; any other failure stops
/// here with the record kept, so it is tried again.
async fn abort_open_uploads(db: &Db, bucket: &Bucket, job_id: &str) -> Result<(), CoreError> {
    let (d, id) = (db.clone(), job_id.to_string());
    let open = off_thread(move || d.read_blocking(|c| repo::open_multiparts(c, &id))).await?;
    for (name, upload_id) in open {
        let key = format!("{}/{name}", run_folder(job_id));
        let was_open = bucket.abort_multipart(&key, &upload_id).await?;
        tracing::info!(job = %job_id, %key, was_open, "aborted an interrupted multipart upload");
        let (d, id) = (db.clone(), job_id.to_string());
        off_thread(move || d.write_blocking(|c| repo::record_multipart(c, &id, &name, None)))
            .await?;
    }
    Ok(())
}

/// The current bucket, refusing when the run was published to another one (the objects are
/// there, not where storage points now).
fn bucket_of_publication(studio: &Studio, job_id: &str) -> Result<(Bucket, String), CoreError> {
    let db = studio.db();
    let (id, publication) = db.read_blocking(|c| {
        let id = crate::jobs::repo::resolve_id(c, job_id)?;
        let p = repo::get(c, &id)?;
        Ok((id, p))
    })?;
    let publication = publication.ok_or_else(|| CoreError::RunNotPublished { id: id.clone() })?;
    let bucket = target::open_bucket(db)?;
    let here = target::location(bucket.target());
    if publication.location != here {
        return Err(CoreError::InvalidSetting {
            key: "storage".into(),
            reason: format!(
                "run {id} was published to {}, but storage now points at {here}",
                publication.location
            ),
        });
    }
    Ok((bucket, id))
}

/// Deletes the run's objects from the bucket, then its publication record.
pub async fn unpublish(studio: &Studio, job_id: &str) -> Result<usize, CoreError> {
    let (s, id) = (studio.clone(), job_id.to_string());
    let (bucket, id) = off_thread(move || bucket_of_publication(&s, &id)).await?;
    abort_open_uploads(studio.db(), &bucket, &id).await?;
    let deleted = bucket.delete_prefix(&run_folder(&id)).await?;
    let s = studio.clone();
    off_thread(move || s.db().write_blocking(|c| repo::remove(c, &id))).await?;
    Ok(deleted)
}

/// A presigned HTTPS GET link to the published video, valid for `expires_in`.
pub async fn share_link(
    studio: &Studio,
    job_id: &str,
    expires_in: Duration,
) -> Result<String, CoreError> {
    let (s, id) = (studio.clone(), job_id.to_string());
    let (bucket, video) = off_thread(move || {
        let (bucket, id) = bucket_of_publication(&s, &id)?;
        let (job, publication) = s
            .db()
            .read_blocking(|c| Ok((crate::jobs::repo::get(c, &id)?, repo::get(c, &id)?)))?;
        if publication.map(|p| p.state) != Some(repo::PublishState::Published) {
            return Err(CoreError::RunNotPublished { id });
        }
        let name = record::of(&job).video;
        Ok((bucket, format!("{}/{name}", run_folder(&id))))
    })
    .await?;
    Ok(bucket.presigned_get(&video, expires_in).await?.to_string())
}
