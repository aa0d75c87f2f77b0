//! About the app itself: version, data folder, storage, keychain health, demo settings; and
//! the subscription to the app's event stream.

use animatrix_common::UserError;
use animatrix_core::api::AppInfo;
use tauri::State;
use tauri::ipc::Channel;

use crate::events::AppEvent;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UserError> {
    let studio = state.studio()?;
    studio
        .app_info()
        .await
        .map_err(|e| super::explain("app_info", e))
}

/// The UI's one event stream (job progress, drag and drop, demo steps); see `events.rs`.
#[tauri::command]
#[specta::specta]
pub fn subscribe(state: State<'_, AppState>, channel: Channel<AppEvent>) {
    state.events.add(channel);
    tracing::debug!(subscribers = state.events.subscribers(), "UI subscribed");
}
