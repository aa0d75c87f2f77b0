//! The template catalog as the composer needs it, and whether a server can run each template.

use animatrix_common::UserError;
use animatrix_core::api::PreflightResult;
use animatrix_workflow::StudioMode;
use tauri::State;

use super::explain;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn list_templates(state: State<'_, AppState>) -> Result<Vec<StudioMode>, UserError> {
    Ok(state.studio()?.studios())
}

/// Preflight of every latest template against one server (the default when `None`). An
/// unreachable server is a result with `error`, not a failed call: the composer still works.
#[tauri::command]
#[specta::specta]
pub async fn preflight(
    state: State<'_, AppState>,
    endpoint: Option<String>,
) -> Result<PreflightResult, UserError> {
    state
        .studio()?
        .preflight(endpoint.as_deref())
        .await
        .map_err(|e| explain("preflight", e))
}
