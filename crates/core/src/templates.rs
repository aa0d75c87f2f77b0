//! The built-in workflow templates, embedded in the binary and written to
//! `<data dir>/workflows` on start, where an operator may also drop new template folders
//! (they appear in the catalog without code changes). Built-in files are rewritten when they
//! differ, so a released version is never edited in place by accident.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::CoreError;

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../workflows");

pub const WORKFLOWS_DIR: &str = "workflows";

/// `ANIMATRIX_WORKFLOWS_DIR` when set (development against the repo's folder), else the data
/// dir's copy, refreshed from the embedded templates.
pub fn workflows_dir(data_dir: &Path) -> Result<PathBuf, CoreError> {
    if let Some(dir) = std::env::var_os("ANIMATRIX_WORKFLOWS_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let dir = data_dir.join(WORKFLOWS_DIR);
    write_dir(&BUILTIN, &dir)?;
    Ok(dir)
}

fn write_dir(src: &Dir<'_>, root: &Path) -> Result<(), CoreError> {
    for file in src.files() {
        let dest = root.join(file.path());
        if std::fs::read(&dest).ok().as_deref() == Some(file.contents()) {
            continue;
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| CoreError::io(parent, e))?;
        }
        std::fs::write(&dest, file.contents()).map_err(|e| CoreError::io(&dest, e))?;
    }
    for sub in src.dirs() {
        write_dir(sub, root)?;
    }
    Ok(())
}
