//! Animatrix Studio desktop app: opens the window and exposes the core to the web UI through
//! a thin layer of Tauri commands (see `commands`). No product logic lives here.

pub mod commands;
pub mod dialogs;
pub mod events;
pub mod state;

use animatrix_core::logging::{self, Console};
use tauri::{DragDropEvent, Manager, RunEvent, WindowEvent};

use crate::events::AppEvent;
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
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            start_core(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::DragDrop(drop) = event {
                forward_drag_drop(window.app_handle(), drop);
            }
        })
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

/// Once the window exists: let the web view read the data dir (only it), import the sample
/// pack on a fresh data dir, reconcile unfinished runs, and forward job progress to the UI.
fn start_core(app: &tauri::AppHandle) {
    let state = app.state::<AppState>();
    let Ok(studio) = state.studio() else {
        return;
    };
    if let Err(e) = app
        .asset_protocol_scope()
        .allow_directory(studio.data_dir(), true)
    {
        tracing::error!(error = %e, "the data dir could not be opened to the web view");
    }
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = handle.state::<AppState>();
        let mut updates = studio.subscribe();
        // Settings > Storage "publish automatically": runs completed here go to the bucket.
        studio.spawn_auto_publish();
        match studio.import_sample_on_first_run().await {
            Ok(Some(s)) => {
                tracing::info!(runs = s.imported, "sample demo pack imported");
                // The gallery may have loaded before the sample landed.
                state.events.send(AppEvent::RunsChanged);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "sample demo pack not imported"),
        }
        match studio.recover().await {
            Ok(ids) if !ids.is_empty() => tracing::info!(jobs = ids.len(), "reconciling runs"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unfinished runs could not be reconciled"),
        }
        loop {
            match updates.recv().await {
                Ok(update) => state.events.send(AppEvent::Job(update)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    // The UI reloads the gallery on its next update; nothing is lost on disk.
                    tracing::warn!(skipped = n, "UI fell behind on job updates");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

fn forward_drag_drop(app: &tauri::AppHandle, event: &DragDropEvent) {
    let state = app.state::<AppState>();
    match event {
        // `Over` repeats on every mouse move: `Enter` alone says the drag arrived.
        DragDropEvent::Enter { .. } => state.events.send(AppEvent::Drag { over: true }),
        DragDropEvent::Leave => state.events.send(AppEvent::Drag { over: false }),
        DragDropEvent::Drop { paths, .. } => {
            state.events.send(AppEvent::Drag { over: false });
            let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            let handle = app.clone();
            tauri::async_runtime::spawn_blocking(move || {
                let probed = paths.iter().map(|p| commands::inputs::probe(p)).collect();
                handle
                    .state::<AppState>()
                    .events
                    .send(AppEvent::Drop { paths: probed });
            });
        }
        _ => {}
    }
}
