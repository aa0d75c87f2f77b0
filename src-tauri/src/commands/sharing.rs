//! Storage, publishing, share links and the team library: thin adapters over the core's
//! sharing API (Settings > Storage, the run page, the gallery's Team filter).

use animatrix_common::UserError;
use animatrix_core::Studio;
use animatrix_core::sharing::{
    LibraryEntry, LibraryImport, Publication, PublishSummary, StorageSettings,
};
use animatrix_core::storage::{Credentials, StorageTarget, parse_expiry};
use secrecy::SecretString;
use serde::Deserialize;
use tauri::State;

use super::explain;
use crate::state::AppState;

/// Argument of `set_storage` and `test_storage`, as Settings > Storage builds it.
/// No `Debug`: it carries the secret, which must never reach a log line.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct StorageForm {
    pub target: StorageTarget,
    pub access_key_id: String,
    /// Handed to the core, which writes it to the OS keychain; never read back. `null` (left
    /// blank) keeps the secret already stored for this bucket and key id.
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub auto_publish: bool,
}

impl StorageForm {
    async fn credentials(&self, studio: &Studio) -> Result<Credentials, UserError> {
        studio
            .storage_form_credentials(
                self.target.clone(),
                self.access_key_id.clone(),
                self.secret_access_key.clone().map(SecretString::from),
            )
            .await
            .map_err(|e| explain("storage_credentials", e))
    }
}

#[tauri::command]
#[specta::specta]
pub async fn storage_settings(state: State<'_, AppState>) -> Result<StorageSettings, UserError> {
    state
        .studio()?
        .storage_settings()
        .await
        .map_err(|e| explain("storage_settings", e))
}

#[tauri::command]
#[specta::specta]
pub async fn set_storage(
    state: State<'_, AppState>,
    form: StorageForm,
) -> Result<StorageSettings, UserError> {
    let studio = state.studio()?;
    let creds = form.credentials(&studio).await?;
    studio
        .set_storage(form.target, creds, form.auto_publish)
        .await
        .map_err(|e| explain("set_storage", e))
}

/// "Test storage" on the values typed in the form (before or after saving them).
#[tauri::command]
#[specta::specta]
pub async fn test_storage(state: State<'_, AppState>, form: StorageForm) -> Result<(), UserError> {
    let studio = state.studio()?;
    let creds = form.credentials(&studio).await?;
    studio
        .test_storage_target(form.target, creds)
        .await
        .map_err(|e| explain("test_storage", e))
}

#[tauri::command]
#[specta::specta]
pub async fn clear_storage(state: State<'_, AppState>) -> Result<(), UserError> {
    state
        .studio()?
        .clear_storage()
        .await
        .map_err(|e| explain("clear_storage", e))
}

/// Publish, resume or retry publishing a run.
#[tauri::command]
#[specta::specta]
pub async fn publish_job(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<PublishSummary, UserError> {
    state
        .studio()?
        .publish(&job_id)
        .await
        .map_err(|e| explain("publish_job", e))
}

#[tauri::command]
#[specta::specta]
pub async fn unpublish_job(state: State<'_, AppState>, job_id: String) -> Result<u32, UserError> {
    state
        .studio()?
        .unpublish(&job_id)
        .await
        .map(|n| n as u32)
        .map_err(|e| explain("unpublish_job", e))
}

/// The run's storage state (`null` when never published).
#[tauri::command]
#[specta::specta]
pub async fn publication(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<Option<Publication>, UserError> {
    state
        .studio()?
        .publication(&job_id)
        .await
        .map_err(|e| explain("publication", e))
}

/// A presigned link to the published video; `expires` as typed: 1h, 24h, 7d.
#[tauri::command]
#[specta::specta]
pub async fn share_link(
    state: State<'_, AppState>,
    job_id: String,
    expires: String,
) -> Result<String, UserError> {
    let studio = state.studio()?;
    let expires_in = parse_expiry(&expires).map_err(|e| explain("share_link", e.into()))?;
    studio
        .share_link(&job_id, expires_in)
        .await
        .map_err(|e| explain("share_link", e))
}

#[tauri::command]
#[specta::specta]
pub async fn library_list(state: State<'_, AppState>) -> Result<Vec<LibraryEntry>, UserError> {
    state
        .studio()?
        .library_list()
        .await
        .map_err(|e| explain("library_list", e))
}

#[tauri::command]
#[specta::specta]
pub async fn library_import(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<LibraryImport, UserError> {
    let studio = state.studio()?;
    let imported = studio
        .library_import(&job_id)
        .await
        .map_err(|e| explain("library_import", e))?;
    if imported.imported {
        state.events.send(crate::events::AppEvent::RunsChanged);
    }
    Ok(imported)
}
