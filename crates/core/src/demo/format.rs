//! The `.animatrix-demo` pack format, version 2 (docs/DEMO_PACKS.md is the reference).
//!
//! A zip (deflate or stored members) holding `manifest.json` at its root and one folder per run
//! under `runs/<run id>/`: `run.json` ([`RunRecord`]: the job model's own records),
//! `timeline.json` ([`Timeline`]),
//! `job_manifest.json`, `inputs/` (normalized inputs), `outputs/` (video, poster) and
//! `previews/` (live preview frames). The manifest lists every other member with its size and
//! sha256; the importer refuses a pack whose members do not match it exactly.

use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::jobs::{JobEvent, JobInputRecord, JobRecord, OutputRecord, TemplateRef};

/// `manifest.json`'s `format` value.
pub const PACK_FORMAT: &str = "animatrix-demo";
/// The pack version this build writes.
pub const PACK_VERSION: u64 = 2;
/// The pack versions this build reads (version 1 through [`super::format_v1`]).
pub const READABLE_VERSIONS: [u64; 2] = [1, 2];
/// File extension of a pack (without the dot).
pub const PACK_EXTENSION: &str = "animatrix-demo";
pub const MANIFEST_NAME: &str = "manifest.json";
pub const RUN_RECORD: &str = "run.json";
pub const TIMELINE: &str = "timeline.json";
pub const RUNS_DIR: &str = "runs";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackManifest {
    pub format: String,
    pub version: u64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub app_version: String,
    /// Shown to the user, e.g. "Sample (recorded against a fake test server)".
    pub label: String,
    /// True only when the exporter opted in to endpoint names and URLs.
    #[serde(default)]
    pub includes_endpoint: bool,
    pub runs: Vec<PackRun>,
    /// Every member except `manifest.json` itself.
    pub members: Vec<PackMember>,
}

/// A run as listed in the manifest (enough to show the pack's contents before importing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackRun {
    /// The run's job id on the machine that exported it.
    pub id: String,
    /// Its folder in the pack, `runs/<id>`.
    pub dir: String,
    pub mode: String,
    pub template: TemplateRef,
    pub prompt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackMember {
    pub path: String,
    pub size: u64,
    /// Lowercase hex sha256 of the member's uncompressed bytes.
    pub sha256: String,
}

/// `runs/<id>/run.json`: the job, its inputs and its outputs exactly as the job model stores
/// them, with every path on the exporting machine replaced by the member it was packed as
/// (relative to the run's folder: `inputs/ground_truth-0.png`, `outputs/video_00001_.mp4`).
/// The request names inputs by the exporting machine's asset ids; the importer maps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub job: JobRecord,
    pub inputs: Vec<JobInputRecord>,
    pub outputs: Vec<OutputRecord>,
    /// Only with `includes_endpoint`.
    #[serde(default)]
    pub endpoint_url: Option<String>,
}

/// `runs/<id>/timeline.json`: the job's events as recorded, oldest first (preview frames as
/// `previews/<name>` members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub events: Vec<JobEvent>,
}

/// A member name is safe when every component is a plain name of `[A-Za-z0-9._-]` (not `.` or
/// `..`, not a Windows device name), separated by `/`, at most 8 deep and 255 bytes: this
/// refuses absolute paths, drive letters, backslashes, traversal and control characters in one
/// rule, and it is all the exporter ever writes.
pub fn check_member_path(name: &str) -> Result<(), CoreError> {
    let unsafe_path = || CoreError::DemoPackUnsafePath {
        member: name.chars().take(200).collect(),
    };
    if name.is_empty() || name.len() > 255 {
        return Err(unsafe_path());
    }
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 8 {
        return Err(unsafe_path());
    }
    for part in parts {
        if !is_safe_component(part) {
            return Err(unsafe_path());
        }
    }
    Ok(())
}

fn is_safe_component(part: &str) -> bool {
    const DEVICES: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "COM", "LPT"];
    if part.is_empty() || part == "." || part == ".." || part.len() > 128 {
        return false;
    }
    if !part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return false;
    }
    let stem = part
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    !DEVICES
        .iter()
        .any(|d| stem == *d || (stem.len() == 4 && stem.starts_with(d)))
}

/// Makes any file name safe as one member component (the exporter's side of the rule above).
pub fn safe_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if !is_safe_component(&out) {
        out = format!("file_{out}").replace("..", "__");
    }
    if !is_safe_component(&out) {
        out = "file".into();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths() {
        for ok in [
            "manifest.json",
            "runs/0199-abc/outputs/video_00001_.mp4",
            "runs/x/previews/00001.png",
        ] {
            assert!(check_member_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "../x",
            "runs/../../x",
            "/etc/passwd",
            "C:/x",
            "C:\\x",
            "runs\\x",
            "runs//x",
            "runs/./x",
            "",
            "a/b/c/d/e/f/g/h/i",
            "runs/x y",
            "runs/CON.txt",
            "runs/com1",
            "runs/\u{202e}gpj.exe",
        ] {
            assert!(
                matches!(
                    check_member_path(bad),
                    Err(CoreError::DemoPackUnsafePath { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn safe_components_pass_the_check() {
        for name in ["video 1.mp4", "..", ".", "", "CON", "é.png", "a/b"] {
            let s = safe_component(name);
            assert!(check_member_path(&s).is_ok(), "{name:?} -> {s:?}");
        }
    }
}
