//! What the commands share: the core's `Studio`, or the reason it could not be opened.

use std::path::Path;

use animatrix_common::{Explain, UserError};
use animatrix_core::Studio;

/// Managed Tauri state. A failed open is kept rather than fatal: the window still shows, and
/// every command answers with the same explained error instead of the app vanishing.
pub struct AppState {
    studio: Result<Studio, UserError>,
}

impl AppState {
    /// Opens the data dir from `ANIMATRIX_DATA_DIR` or the OS convention.
    pub fn open() -> AppState {
        AppState {
            studio: Studio::open_default().map_err(|e| e.explain()),
        }
    }

    pub fn from_studio(studio: Studio) -> AppState {
        AppState { studio: Ok(studio) }
    }

    /// A handle for one command call (`Studio` is an `Arc` inside).
    pub fn studio(&self) -> Result<Studio, UserError> {
        self.studio.clone()
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.studio.as_ref().ok().map(Studio::data_dir)
    }
}
