//! The run's demo pack as published: without the media published beside it as their own
//! objects (the video would otherwise be in the bucket twice, once to stream and once inside
//! the pack), and put back together on import.
//!
//! The exporter writes the pack without them (`demo::export_leaving_out`), but its manifest
//! still lists them with their sizes and sha256: the import rebuilds a whole pack from the
//! stripped one and the downloaded objects, and the demo-pack importer then verifies every
//! member as it does for any pack (a changed video object is refused as tampered, all or
//! nothing).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::record::Detached;
use crate::CoreError;
use crate::demo::PackManifest;
use crate::demo::format::MANIFEST_NAME;

/// The manifest of a real pack is a few KiB per run; this only bounds a hostile one.
const MAX_MANIFEST_BYTES: u64 = 32 << 20;

/// A file published beside the pack: its object name, size and sha256 (as the run recorded it).
pub(crate) struct Media {
    /// Where the run keeps it (the path its output row records).
    pub local: PathBuf,
    pub object: String,
    pub size: u64,
    pub sha256: String,
}

fn corrupt(pack: &Path, detail: impl std::fmt::Display) -> CoreError {
    CoreError::DemoPackCorrupt {
        detail: format!("{}: {detail}", pack.display()),
    }
}

fn open(pack: &Path) -> Result<ZipArchive<BufReader<File>>, CoreError> {
    let file = File::open(pack).map_err(|e| CoreError::io(pack, e))?;
    ZipArchive::new(BufReader::new(file)).map_err(|e| corrupt(pack, e))
}

fn manifest(zip: &mut ZipArchive<BufReader<File>>, pack: &Path) -> Result<PackManifest, CoreError> {
    let entry = zip.by_name(MANIFEST_NAME).map_err(|e| corrupt(pack, e))?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::io(pack, e))?;
    serde_json::from_slice(&bytes).map_err(|e| corrupt(pack, e))
}

/// The pack members (of the run in `dir`, e.g. `runs/<id>`) that hold `media`: matched by
/// checksum and size, which the exporter has already checked against the run's records.
pub(crate) fn detached_members(
    pack: &Path,
    dir: &str,
    media: &[Media],
) -> Result<Vec<Detached>, CoreError> {
    let manifest = manifest(&mut open(pack)?, pack)?;
    let outputs = format!("{dir}/outputs/");
    let mut found = Vec::new();
    for m in media {
        let member = manifest
            .members
            .iter()
            .find(|p| p.path.starts_with(&outputs) && p.sha256 == m.sha256 && p.size == m.size);
        if let Some(p) = member {
            found.push(Detached {
                member: p.path.clone(),
                object: m.object.clone(),
                size: m.size,
            });
        }
    }
    Ok(found)
}

/// Writes to `out` the pack `stripped` with `media` (a detached member and the downloaded
/// object holding it) put back as stored entries. Members the pack already holds (a pack
/// published whole) are not added twice.
pub(crate) fn reassemble(
    stripped: &Path,
    media: &[(Detached, PathBuf)],
    out: &Path,
) -> Result<(), CoreError> {
    let mut zip = open(stripped)?;
    let partial = partial_of(out);
    let result = (|| {
        let held: HashSet<String> = zip
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect();
        let mut w = writer(&partial)?;
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).map_err(|e| corrupt(stripped, e))?;
            w.raw_copy_file(entry).map_err(|e| corrupt(&partial, e))?;
        }
        for (d, file) in media.iter().filter(|(d, _)| !held.contains(&d.member)) {
            let mut src = File::open(file).map_err(|e| CoreError::io(file, e))?;
            let size = src.metadata().map_err(|e| CoreError::io(file, e))?.len();
            // Stored like the exporter stores media: the importer hashes what it extracts.
            let opts = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Stored)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(0o644)
                .large_file(size >= u64::from(u32::MAX));
            w.start_file(d.member.as_str(), opts)
                .map_err(|e| corrupt(&partial, e))?;
            std::io::copy(&mut src, &mut w).map_err(|e| CoreError::io(&partial, e))?;
        }
        finish(w, &partial)
    })();
    place(result, &partial, out)
}

/// The names a pack's members cannot be pulled from the bucket under: anything but one plain
/// file name (the run folder's objects are never nested).
pub(crate) fn check_object_name(d: &Detached) -> Result<(), CoreError> {
    let plain = !d.object.contains('/')
        && crate::demo::format::check_member_path(&d.object).is_ok()
        && crate::demo::format::check_member_path(&d.member).is_ok();
    if plain {
        Ok(())
    } else {
        Err(CoreError::DemoPackUnsafePath {
            member: d.object.chars().take(200).collect(),
        })
    }
}

fn partial_of(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.partial", uuid::Uuid::new_v4().simple()));
    out.with_file_name(name)
}

fn writer(path: &Path) -> Result<ZipWriter<BufWriter<File>>, CoreError> {
    let file = File::create(path).map_err(|e| CoreError::io(path, e))?;
    Ok(ZipWriter::new(BufWriter::new(file)))
}

fn finish(w: ZipWriter<BufWriter<File>>, path: &Path) -> Result<(), CoreError> {
    let buffered = w.finish().map_err(|e| corrupt(path, e))?;
    let file = buffered
        .into_inner()
        .map_err(|e| CoreError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| CoreError::io(path, e))
}

/// Renames a finished partial file into place; removes it on any failure.
fn place(result: Result<(), CoreError>, partial: &Path, out: &Path) -> Result<(), CoreError> {
    let placed =
        result.and_then(|()| std::fs::rename(partial, out).map_err(|e| CoreError::io(out, e)));
    if placed.is_err() {
        let _ = std::fs::remove_file(partial);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detached(member: &str, object: &str) -> Detached {
        Detached {
            member: member.into(),
            object: object.into(),
            size: 1,
        }
    }

    #[test]
    fn only_plain_object_names_are_fetched() {
        assert!(check_object_name(&detached("runs/j/outputs/v.mp4", "v.mp4")).is_ok());
        for (member, object) in [
            ("runs/j/outputs/v.mp4", "../v.mp4"),
            ("runs/j/outputs/v.mp4", "x/v.mp4"),
            ("runs/j/outputs/v.mp4", ""),
            ("../outputs/v.mp4", "v.mp4"),
        ] {
            assert!(
                check_object_name(&detached(member, object)).is_err(),
                "{member} {object}"
            );
        }
    }
}
