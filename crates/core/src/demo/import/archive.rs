//! Steps 1-3: the zip's directory and manifest are checked, then members are streamed into
//! staging with their sizes and checksums verified.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::super::format::{
    MANIFEST_NAME, PACK_FORMAT, PackManifest, READABLE_VERSIONS, RUNS_DIR, check_member_path,
};
use super::{ImportLimits, corrupt, tampered, too_large};
use crate::CoreError;

pub(super) fn open_pack(
    pack: &Path,
    limits: &ImportLimits,
) -> Result<ZipArchive<BufReader<File>>, CoreError> {
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

/// A member as the central directory declares it.
pub(super) struct Entry {
    pub(super) declared: u64,
}

pub(super) fn scan_entries(
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

pub(super) fn read_manifest(
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

pub(super) fn check_members_match(
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
pub(super) fn extract_all(
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
