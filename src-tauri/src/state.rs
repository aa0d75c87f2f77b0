//! What the commands share: the core's `Studio` and job `Engine` (or the reason they could not
//! be opened), the event sink the UI subscribed to, the dialogs, and the demo performance.

use std::path::Path;
use std::sync::Mutex;

use animatrix_common::{Explain, UserError};
use animatrix_core::Studio;
use animatrix_core::jobs::Engine;

use crate::dialogs::Dialogs;
use crate::events::EventSink;

/// Managed Tauri state. A failed open is kept rather than fatal: the window still shows, and
/// every command answers with the same explained error instead of the app vanishing.
pub struct AppState {
    core: Result<Core, UserError>,
    pub events: EventSink,
    pub dialogs: Dialogs,
    /// The running demo performance, so a second one (or Stop) ends it first.
    pub performance: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

#[derive(Clone)]
pub struct Core {
    pub studio: Studio,
    pub engine: Engine,
}

impl AppState {
    /// Opens the data dir from `ANIMATRIX_DATA_DIR` or the OS convention.
    pub fn open() -> AppState {
        let core = Studio::open_default()
            .and_then(|studio| {
                let engine = Engine::new(studio.clone())?;
                Ok(Core { studio, engine })
            })
            .map_err(|e| e.explain());
        AppState::with_core(core)
    }

    fn with_core(core: Result<Core, UserError>) -> AppState {
        AppState {
            core,
            events: EventSink::default(),
            dialogs: Dialogs::from_env(),
            performance: Mutex::new(None),
        }
    }

    /// A handle for one command call (`Studio` and `Engine` are `Arc`s inside).
    pub fn studio(&self) -> Result<Studio, UserError> {
        self.core
            .as_ref()
            .map(|c| c.studio.clone())
            .map_err(Clone::clone)
    }

    pub fn core(&self) -> Result<Core, UserError> {
        self.core.clone()
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.core.as_ref().ok().map(|c| c.studio.data_dir())
    }
}
