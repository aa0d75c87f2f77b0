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

mod apply;
mod archive;
mod place;
mod staged;

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::format::PackManifest;
use crate::{CoreError, Studio};
use archive::{check_members_match, extract_all, open_pack, read_manifest, scan_entries};
use place::Staging;
use staged::load_runs;

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

pub(super) fn corrupt(detail: impl Into<String>) -> CoreError {
    CoreError::DemoPackCorrupt {
        detail: detail.into(),
    }
}

pub(super) fn too_large(detail: impl Into<String>) -> CoreError {
    CoreError::DemoPackTooLarge {
        detail: detail.into(),
    }
}

pub(super) fn tampered(member: &str, detail: impl Into<String>) -> CoreError {
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

    let summary = apply::apply(studio, &manifest, &runs, &staging.root)?;
    Ok(ImportSummary {
        bytes: size,
        ..summary
    })
}
