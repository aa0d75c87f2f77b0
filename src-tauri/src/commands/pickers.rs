//! Native file dialogs for async commands: a dialog blocks, so it runs on the blocking pool,
//! reaching the app's [`crate::dialogs::Dialogs`] (real or scripted) through the managed state.

use std::path::PathBuf;

use animatrix_common::UserError;
use tauri::{AppHandle, Manager};

use crate::dialogs::Filter;
use crate::state::AppState;

/// [`Dialogs::pick`] for an async command: the dialog blocks, so it runs on the blocking pool.
pub async fn pick_files(
    app: &AppHandle,
    command: &'static str,
    title: impl Into<String>,
    filter: Filter,
    multiple: bool,
) -> Result<Vec<PathBuf>, UserError> {
    let app = app.clone();
    let title = title.into();
    tauri::async_runtime::spawn_blocking(move || {
        app.state::<AppState>()
            .dialogs
            .pick(&app, &title, filter, multiple)
    })
    .await
    .map_err(|e| super::internal(command, e.to_string()))
}

/// [`Dialogs::save`] for an async command, on the blocking pool.
pub async fn save_file(
    app: &AppHandle,
    command: &'static str,
    title: &'static str,
    filter: Filter,
    suggested_name: String,
) -> Result<Option<PathBuf>, UserError> {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        app.state::<AppState>()
            .dialogs
            .save(&app, title, filter, &suggested_name)
    })
    .await
    .map_err(|e| super::internal(command, e.to_string()))
}
