//! The operator view: server health, the server's queue (ours and others'), metrics, logs.

use animatrix_comfy::DoctorReport;
use animatrix_common::UserError;
use animatrix_core::api::ServerQueue;
use animatrix_core::jobs::metrics::Metrics;
use animatrix_core::jobs::server_metrics::ServerMetrics;
use tauri::State;

use super::explain;
use crate::state::AppState;

/// Reachable, signed in, version, GPU, VRAM, queue: one server's health (the default when
/// `name` is `None`). A server that does not answer is a report saying so, not a failed call.
#[tauri::command]
#[specta::specta]
pub async fn test_endpoint(
    state: State<'_, AppState>,
    name: Option<String>,
) -> Result<DoctorReport, UserError> {
    let (_, report) = state
        .studio()?
        .test_endpoint(name.as_deref())
        .await
        .map_err(|e| explain("test_endpoint", e))?;
    Ok(report)
}

#[tauri::command]
#[specta::specta]
pub async fn server_queue(
    state: State<'_, AppState>,
    endpoint: Option<String>,
) -> Result<ServerQueue, UserError> {
    state
        .studio()?
        .server_queue(endpoint.as_deref())
        .await
        .map_err(|e| explain("server_queue", e))
}

#[tauri::command]
#[specta::specta]
pub async fn metrics(state: State<'_, AppState>, days: i64) -> Result<Metrics, UserError> {
    state
        .studio()?
        .metrics(days)
        .await
        .map_err(|e| explain("metrics", e))
}

/// Every server's runs, failure rate and median run time per template, from the history.
#[tauri::command]
#[specta::specta]
pub async fn server_metrics(state: State<'_, AppState>) -> Result<Vec<ServerMetrics>, UserError> {
    state
        .studio()?
        .server_metrics()
        .await
        .map_err(|e| explain("server_metrics", e))
}

#[tauri::command]
#[specta::specta]
pub async fn open_log_folder(state: State<'_, AppState>) -> Result<(), UserError> {
    let dir = state.studio()?.log_dir();
    super::jobs::open_folder("open_log_folder", &dir)
}
