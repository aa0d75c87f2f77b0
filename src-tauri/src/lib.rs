//! Animatrix Studio desktop app: opens the window and exposes the core to the web UI through
//! a thin layer of Tauri commands (see `commands`). No product logic lives here.

pub mod commands;
pub mod state;

use animatrix_core::logging::{self, Console};
use tauri::RunEvent;

use crate::state::AppState;

/// Starts the app and blocks until the last window closes.
pub fn run() {
    let state = AppState::open();
    // Keep the log writer's guard until the app exits so the last lines are flushed.
    let mut log_guard = match state.data_dir() {
        Some(dir) => {
            let console = if cfg!(debug_assertions) {
                Console::Quiet
            } else {
                Console::Off
            };
            match logging::init(dir, console) {
                Ok(guard) => Some(guard),
                Err(e) => {
                    eprintln!("animatrix-studio: file logging is off: {e}");
                    None
                }
            }
        }
        None => None,
    };
    if let Err(e) = state.studio() {
        // The window still opens and every command returns this error, so the user sees it.
        eprintln!("animatrix-studio: {}: {}", e.code, e.detail);
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "app starting");

    let app = tauri::Builder::default()
        .manage(state)
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "the window could not be created");
            eprintln!("animatrix-studio: the window could not be created: {e}");
            std::process::exit(1);
        }
    };
    app.run(move |_handle, event| {
        if let RunEvent::Exit = event {
            tracing::info!("app exiting");
            drop(log_guard.take());
        }
    });
}
