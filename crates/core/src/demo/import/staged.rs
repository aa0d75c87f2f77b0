//! The runs read back from staging and checked against the manifest before anything is written.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::super::format::{
    PackManifest, PackMember, RUN_RECORD, RunRecord, TIMELINE, Timeline, check_member_path,
};
use super::super::format_v1;
use super::{ImportLimits, corrupt, tampered, too_large};
use crate::CoreError;
use crate::jobs::{EventData, JobState, OutputKind, Role};

/// A run read back from the staging folder, checked against the manifest.
pub(super) struct StagedRun {
    pub(super) dir: String,
    pub(super) record: RunRecord,
    pub(super) timeline: Timeline,
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

pub(super) fn load_runs(
    manifest: &PackManifest,
    root: &Path,
    limits: &ImportLimits,
) -> Result<Vec<StagedRun>, CoreError> {
    let members: HashMap<&str, &PackMember> = manifest
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
    members: &HashMap<&str, &PackMember>,
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

pub(super) fn extension(file: &str) -> Option<&str> {
    let name = file.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty()).then_some(ext)
}
