//! About the app itself: version, data folder, storage, keychain health, demo settings; and
//! the subscription to the app's event stream.

use animatrix_common::{Explain, UserError};
use animatrix_core::demo::DemoSettings;
use animatrix_core::jobs::metrics::StorageUsed;
use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;

use crate::events::AppEvent;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub log_dir: String,
    /// `None` when the OS keychain answers; otherwise what is wrong and how to fix it, so
    /// Settings can say so before the user types a secret.
    pub keychain_problem: Option<UserError>,
    pub storage: StorageUsed,
    pub demo: DemoSettings,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UserError> {
    let studio = state.studio()?;
    let keychain = tauri::async_runtime::spawn_blocking(animatrix_core::secrets::probe)
        .await
        .map_err(|e| super::internal("app_info", e.to_string()))?;
    let (storage, demo) = {
        let studio = studio.clone();
        super::blocking("app_info", move || {
            let storage = animatrix_core::jobs::metrics::storage_used(&studio.db())?;
            Ok((storage, animatrix_core::demo::settings::get(&studio)?))
        })
        .await?
    };
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: studio.data_dir().display().to_string(),
        log_dir: animatrix_core::logging::log_dir(studio.data_dir())
            .display()
            .to_string(),
        keychain_problem: keychain.err().map(|e| e.explain()),
        storage,
        demo,
    })
}

/// The UI's one event stream (job progress, drag and drop, demo steps); see `events.rs`.
#[tauri::command]
pub fn subscribe(state: State<'_, AppState>, channel: Channel<AppEvent>) {
    state.events.add(channel);
    tracing::debug!(subscribers = state.events.subscribers(), "UI subscribed");
}
