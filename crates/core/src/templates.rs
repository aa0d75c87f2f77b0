//! The built-in workflow templates, embedded in the binary and written to
//! `<data dir>/app-templates` on start (rewritten when they differ, so a released version is
//! never edited in place by accident), plus the folders an operator drops into
//! `<data dir>/workflows/<name>/<version>/`: they appear in the catalog with no code change. A
//! dropped folder that does not load is left out and logged; it never stops the app.

use std::path::{Path, PathBuf};

use animatrix_workflow::Catalog;
use include_dir::{Dir, include_dir};

use crate::CoreError;

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../workflows");

/// Where users drop their own template folders.
pub const WORKFLOWS_DIR: &str = "workflows";
/// Where the app writes its own templates.
pub const APP_TEMPLATES_DIR: &str = "app-templates";

/// The catalog: the app's templates (from `ANIMATRIX_WORKFLOWS_DIR` when set, for development
/// against the repo's folder) and the user's.
pub fn load_catalog(data_dir: &Path) -> Result<Catalog, CoreError> {
    let bundled = match std::env::var_os("ANIMATRIX_WORKFLOWS_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = data_dir.join(APP_TEMPLATES_DIR);
            write_dir(&BUILTIN, &dir)?;
            dir
        }
    };
    let user = data_dir.join(WORKFLOWS_DIR);
    remove_release_0_1_copies(&BUILTIN, &user);
    let (catalog, rejected) = Catalog::load_with_user_dirs(&bundled, &[user])?;
    for r in rejected {
        tracing::warn!(folder = %r.folder.display(), code = %r.code, reason = %r.reason, "template folder left out");
    }
    Ok(catalog)
}

/// Release 0.1 wrote the built-in templates into the users' folder: those exact copies are
/// removed (a folder the user changed is theirs and stays).
fn remove_release_0_1_copies(src: &Dir<'_>, root: &Path) {
    for file in src.files() {
        let dest = root.join(file.path());
        if std::fs::read(&dest).ok().as_deref() == Some(file.contents()) {
            let _ = std::fs::remove_file(&dest);
            // Empty version and name folders go too; a non-empty one fails harmlessly.
            if let Some(version_dir) = dest.parent() {
                let _ = std::fs::remove_dir(version_dir);
                if let Some(name_dir) = version_dir.parent() {
                    let _ = std::fs::remove_dir(name_dir);
                }
            }
        }
    }
    for sub in src.dirs() {
        remove_release_0_1_copies(sub, root);
    }
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
