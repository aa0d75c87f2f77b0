//! Where the app keeps its data, and the servers (endpoints) it talks to.

pub mod endpoints;

use std::path::PathBuf;

use crate::CoreError;

/// Env var that overrides the data dir; every test sets it to a temp dir.
pub const DATA_DIR_ENV: &str = "ANIMATRIX_DATA_DIR";

/// Folder name under the OS data dir (`~/.local/share`, `%APPDATA%`, `~/Library/Application Support`).
const APP_DIR_NAME: &str = "animatrix-studio";

/// The data dir: `ANIMATRIX_DATA_DIR` if set and non-empty, else the OS convention.
pub fn resolve_data_dir() -> Result<PathBuf, CoreError> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => dirs::data_dir()
            .map(|d| d.join(APP_DIR_NAME))
            .ok_or(CoreError::NoDataDir),
    }
}
