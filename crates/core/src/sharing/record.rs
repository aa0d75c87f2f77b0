//! `published.json`: what the team library lists for a published run without downloading it.
//! Small and versioned; the run itself (inputs, outputs, timeline, checksums) is in the run's
//! demo pack beside it, which is what an import verifies.
//!
//! Version 2: the pack no longer holds the media published beside it (the video once in the
//! bucket, not twice); `detached` says which pack member each of those objects is, so an import
//! puts them back before verifying. A version-1 record's pack is whole. Builds that only read
//! version 1 skip version-2 records instead of failing on a pack they cannot complete.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::jobs::{JobRecord, TemplateRef};

pub const RECORD_NAME: &str = "published.json";
pub const RECORD_FORMAT: &str = "animatrix-published-run";
pub const RECORD_VERSION: u32 = 2;
/// Version 1 (a whole pack) is still read: runs published by earlier builds.
const READABLE_VERSIONS: [u32; 2] = [1, RECORD_VERSION];
/// A listing record larger than this is not ours.
pub(crate) const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// One run of the team library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct LibraryRun {
    pub format: String,
    pub version: u32,
    pub job_id: String,
    pub mode: String,
    pub template: TemplateRef,
    pub prompt: String,
    /// The video's file name in the run folder.
    pub video: String,
    pub video_bytes: u64,
    pub poster: Option<String>,
    pub seconds: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// When the run finished (ms since the Unix epoch).
    pub finished_at: Option<i64>,
    pub published_at: i64,
    pub app_version: String,
}

fn file_name(path: &str) -> Option<String> {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

/// A pack member left out of the published pack because its bytes are their own object in the
/// run folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Detached {
    /// The member's path in the pack (`runs/<id>/outputs/<name>`).
    pub member: String,
    /// The object's name in the run folder (`<prefix>/runs/<id>/<object>`).
    pub object: String,
    pub size: u64,
}

/// `published.json` as written: the listing fields, and what the pack leaves out. Kept apart
/// from [`LibraryRun`] so the listing type (shown by the window) does not carry pack plumbing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PublishedRecord {
    #[serde(flatten)]
    pub run: LibraryRun,
    #[serde(default)]
    pub detached: Vec<Detached>,
}

pub(crate) fn of(job: &JobRecord) -> LibraryRun {
    let clip = job.clip.as_ref();
    LibraryRun {
        format: RECORD_FORMAT.into(),
        version: RECORD_VERSION,
        job_id: job.id.clone(),
        mode: job.mode.clone(),
        template: job.template.clone(),
        prompt: job.prompt.clone(),
        video: job.video_path().and_then(file_name).unwrap_or_default(),
        video_bytes: clip.map_or(0, |c| c.bytes.max(0) as u64),
        poster: job.poster_path().and_then(file_name),
        seconds: clip.and_then(|c| c.seconds),
        width: clip.and_then(|c| c.width),
        height: clip.and_then(|c| c.height),
        finished_at: job.times.finished_at,
        published_at: crate::store::now_ms(),
        app_version: env!("CARGO_PKG_VERSION").into(),
    }
}

pub(crate) fn write(path: &Path, job: &JobRecord, detached: &[Detached]) -> Result<(), CoreError> {
    let record = PublishedRecord {
        run: of(job),
        detached: detached.to_vec(),
    };
    let bytes = serde_json::to_vec_pretty(&record)
        .map_err(|e| CoreError::Internal(format!("published.json: {e}")))?;
    std::fs::write(path, bytes).map_err(|e| CoreError::io(path, e))
}

/// Parses a downloaded listing record; `None` for one this build cannot read (another format
/// or a newer version), which the library skips rather than failing the whole listing.
pub(crate) fn parse(bytes: &[u8]) -> Option<PublishedRecord> {
    let record: PublishedRecord = serde_json::from_slice(bytes).ok()?;
    let run = &record.run;
    (run.format == RECORD_FORMAT && READABLE_VERSIONS.contains(&run.version)).then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(version: u32, detached: &str) -> Vec<u8> {
        format!(
            r#"{{"format":"{RECORD_FORMAT}","version":{version},"job_id":"j","mode":"audio",
            "template":{{"name":"t","version":"1"}},"prompt":"p","video":"v.mp4","video_bytes":1,
            "poster":null,"seconds":null,"width":null,"height":null,"finished_at":null,
            "published_at":1,"app_version":"0"{detached}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn whole_pack_records_still_read_and_newer_ones_are_skipped() {
        let v1 = parse(&json(1, "")).expect("version 1");
        assert!(v1.detached.is_empty(), "a version-1 pack is whole");
        let v2 = parse(&json(
            2,
            r#","detached":[{"member":"runs/j/outputs/v.mp4","object":"v.mp4","size":1}]"#,
        ))
        .expect("version 2");
        assert_eq!(v2.detached[0].object, "v.mp4");
        assert!(parse(&json(3, "")).is_none(), "a newer record is skipped");
    }
}
