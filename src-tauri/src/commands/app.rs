//! About the app itself: version, data folder, keychain health.

use animatrix_common::{Explain, UserError};
use serde::Serialize;
use tauri::State;

use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    /// `None` when the OS keychain answers; otherwise what is wrong and how to fix it, so
    /// Settings can say so before the user types a secret.
    pub keychain_problem: Option<UserError>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UserError> {
    let studio = state.studio()?;
    let keychain = tauri::async_runtime::spawn_blocking(animatrix_core::secrets::probe)
        .await
        .map_err(|e| super::internal("app_info", e.to_string()))?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: studio.data_dir().display().to_string(),
        keychain_problem: keychain.err().map(|e| e.explain()),
    })
}
