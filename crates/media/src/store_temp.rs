//! The store's temporary files (`.incoming-*`, renamed into place when complete). Each is
//! locked by the import writing it, so one left by a killed import (unlocked, old) can be told
//! from one another process is still writing, and is removed when a store opens.

use std::path::Path;
use std::time::{Duration, SystemTime};

use tempfile::NamedTempFile;

use crate::error::MediaError;

pub(crate) const INCOMING_PREFIX: &str = ".incoming-";
/// An unlocked incoming file younger than this is left alone: it covers the instant between
/// creating a file and locking it, and file systems without locks (where a long import of a
/// big video must not lose its file to another process opening the store).
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// A new temporary file in `root`, locked for as long as it is open.
pub(crate) fn incoming(root: &Path) -> Result<NamedTempFile, MediaError> {
    let temp = tempfile::Builder::new()
        .prefix(INCOMING_PREFIX)
        .tempfile_in(root)
        .map_err(|e| MediaError::io(root, e))?;
    // Advisory; a file system without locks only loses the "in use" signal (the age guard
    // still protects the file). Fully qualified: std's own `try_lock` is newer than our MSRV.
    let _ = fs4::FileExt::try_lock(temp.as_file());
    Ok(temp)
}

/// Removes incoming files left behind by killed imports: named like ours, regular files,
/// older than [`STALE_AFTER`], and not locked by a live import. Returns how many it removed.
/// Best effort: a file it cannot judge is left alone.
pub(crate) fn clean_stale(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(INCOMING_PREFIX));
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if !ours || !regular {
            continue;
        }
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if !old {
            continue;
        }
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        if fs4::FileExt::try_lock(&file).is_err() {
            continue; // a live import holds it
        }
        drop(file);
        if std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn aged(path: &Path, age: Duration) {
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn only_old_unlocked_incoming_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let stale = root.join(".incoming-killed");
        std::fs::write(&stale, b"").unwrap();
        aged(&stale, STALE_AFTER * 2);
        let recent = root.join(".incoming-recent");
        std::fs::write(&recent, b"x").unwrap();
        let not_ours = root.join("aa");
        std::fs::create_dir(&not_ours).unwrap();
        let asset = root.join("keep.png");
        std::fs::write(&asset, b"x").unwrap();
        aged(&asset, STALE_AFTER * 2);
        // An old file still being written by a live import (it holds the lock).
        let live = incoming(root).unwrap();
        aged(live.path(), STALE_AFTER * 2);

        assert_eq!(clean_stale(root), 1);
        assert!(!stale.exists());
        assert!(recent.exists() && not_ours.exists() && asset.exists());
        assert!(live.path().exists(), "a locked file is never removed");
        let live_path = live.path().to_owned();
        drop(live);
        assert!(
            !live_path.exists(),
            "tempfile removes its own file when dropped"
        );
    }
}
