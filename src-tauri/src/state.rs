//! What the commands share: the core's `Studio` and job `Engine` (or the reason they could not
//! be opened), the event sink the UI subscribed to, the dialogs, and the demo performance.

use std::path::Path;
use std::sync::Mutex;

use animatrix_common::{Explain, UserError};
use animatrix_core::Studio;

use crate::dialogs::Dialogs;
use crate::events::EventSink;

/// Managed Tauri state. A failed open is kept rather than fatal: the window still shows, and
/// every command answers with the same explained error instead of the app vanishing.
pub struct AppState {
    core: Result<Studio, UserError>,
    pub events: EventSink,
    pub dialogs: Dialogs,
    /// The running demo performance, so a second one (or Stop) ends it first.
    pub performance: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

impl AppState {
    /// Opens the data dir from `ANIMATRIX_DATA_DIR` or the OS convention.
    pub fn open() -> AppState {
        let core = Studio::open_default().map_err(|e| e.explain());
        AppState::with_core(core)
    }

    fn with_core(core: Result<Studio, UserError>) -> AppState {
        AppState {
            core,
            events: EventSink::default(),
            dialogs: Dialogs::from_env(),
            performance: Mutex::new(None),
        }
    }

    /// A handle for one command call (`Studio` is an `Arc` inside).
    pub fn studio(&self) -> Result<Studio, UserError> {
        self.core.clone()
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.core.as_ref().ok().map(|c| c.data_dir())
    }
}
