//! Step 4: one transaction writes every run through the job repository.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, Transaction};
use sha2::{Digest, Sha256};

use super::super::format::{PackManifest, check_member_path};
use super::place::{Placed, place_input, rename};
use super::staged::StagedRun;
use super::{ImportSummary, ImportedRun};
use crate::assets;
use crate::jobs::{InputSource, JOBS_DIR, JobInputRecord, OutputKind, repo};
use crate::{CoreError, Studio};

pub(super) fn apply(
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
