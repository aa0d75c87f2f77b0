//! The zip itself: members written with their size and sha256 recorded for the manifest,
//! already-compressed media stored as is, every JSON member scrubbed of the server's address.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::super::format::{
    MANIFEST_NAME, PACK_FORMAT, PACK_VERSION, PackManifest, PackMember, PackRun, RUN_RECORD,
    RUNS_DIR, TIMELINE, safe_component,
};
use super::{ExportOptions, RunExport, label_of, not_exportable};
use crate::CoreError;
use crate::jobs::JOB_MANIFEST;

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

    /// Adds `src` as member `name`; with `write == false` the member is only listed (size and
    /// sha256 in the manifest) and its bytes travel beside the pack.
    fn add_file(&mut self, name: &str, src: &Path, write: bool) -> Result<(), CoreError> {
        let mut f = File::open(src).map_err(|e| CoreError::io(src, e))?;
        let size = f.metadata().map_err(|e| CoreError::io(src, e))?.len();
        if write {
            let opts = Self::options(name, size);
            self.zip
                .start_file(name, opts)
                .map_err(|e| self.zip_err(e))?;
        }
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(|e| CoreError::io(src, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if write {
                self.zip
                    .write_all(&buf[..n])
                    .map_err(|e| CoreError::io(&self.path, e))?;
            }
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

pub(super) fn write_pack(
    path: &Path,
    runs: &[RunExport],
    opts: &ExportOptions,
    leave_out: &HashSet<PathBuf>,
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
            w.add_file(&format!("{dir}/{member}"), src, !leave_out.contains(src))?;
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
        created_at: opts.created_at.unwrap_or_else(crate::store::now_ms),
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
