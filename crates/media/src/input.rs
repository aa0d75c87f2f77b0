//! What a path given as input must be before anything opens it: an existing regular file
//! (symbolic links followed). A folder, a pipe (opening one blocks until a writer comes), a
//! device, a socket, or a link that loops or points nowhere is bad input with its own code,
//! not an I/O failure that suggests the disk is full.

use std::path::Path;

use crate::error::MediaError;

/// The size of the regular file at `path`.
pub(crate) fn regular_file(path: &Path) -> Result<u64, MediaError> {
    let shown = || path.display().to_string();
    let not_a_file = |what| MediaError::NotAFile {
        path: shown(),
        what,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(m.len()),
        Ok(m) if m.is_dir() => Err(not_a_file("a folder")),
        Ok(_) => Err(not_a_file("a pipe, socket or device")),
        Err(e) => {
            // `metadata` follows links; `symlink_metadata` does not: a link whose target cannot
            // be resolved loops (or is nested too deep) unless the target is simply missing.
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            match (is_link, e.kind()) {
                (true, std::io::ErrorKind::NotFound) => Err(not_a_file(
                    "a shortcut (symbolic link) to a file that does not exist",
                )),
                (true, _) => Err(not_a_file("a shortcut (symbolic link) that loops")),
                (false, std::io::ErrorKind::NotFound) => {
                    Err(MediaError::FileNotFound { path: shown() })
                }
                _ => Err(MediaError::io(path, e)),
            }
        }
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn folders_pipes_loops_and_missing_files_get_their_codes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.wav");
        std::fs::write(&file, b"RIFF").unwrap();
        assert_eq!(regular_file(&file).unwrap(), 4);
        assert_eq!(
            regular_file(dir.path()).unwrap_err().code(),
            "file_not_regular"
        );
        let a = dir.path().join("loop_a");
        let b = dir.path().join("loop_b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = regular_file(&a).unwrap_err();
        assert_eq!(e.code(), "file_not_regular");
        assert!(e.to_string().contains("loops"), "{e}");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("gone"), &dangling).unwrap();
        assert_eq!(
            regular_file(&dangling).unwrap_err().code(),
            "file_not_regular"
        );
        assert_eq!(
            regular_file(&dir.path().join("missing.wav"))
                .unwrap_err()
                .code(),
            "file_not_found"
        );
        let link = dir.path().join("link.wav");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(regular_file(&link).unwrap(), 4, "a good link is followed");
    }
}
