//! Demo packs and performances: export runs, import a pack (dialog or drop), the demo-mode
//! settings, and performing a recorded run in the window with no network.

use std::path::PathBuf;

use animatrix_common::{ErrorCode, UserError};
use animatrix_core::demo::{
    self, DemoSettings, DemoTimeline, ExportOptions, ExportSummary, ImportSummary, PerformOutcome,
};
use tauri::{AppHandle, Manager, State};

use super::explain;
use crate::events::AppEvent;
use crate::state::AppState;

const PACK_FILTER: crate::dialogs::Filter = ("Animatrix demo pack", &["animatrix-demo"]);

/// Demo mode and pace: the studio reads them at start (without `app_info`'s keychain probe).
#[tauri::command]
#[specta::specta]
pub async fn demo_settings(state: State<'_, AppState>) -> Result<DemoSettings, UserError> {
    state
        .studio()?
        .demo_settings()
        .await
        .map_err(|e| explain("demo_settings", e))
}

#[tauri::command]
#[specta::specta]
pub async fn set_demo_settings(
    state: State<'_, AppState>,
    settings: DemoSettings,
) -> Result<DemoSettings, UserError> {
    let studio = state.studio()?;
    studio
        .set_demo_settings(settings)
        .await
        .map_err(|e| explain("set_demo_settings", e))?;
    tracing::info!(
        demo_mode = settings.demo_mode,
        pace = ?settings.demo_pace_seconds,
        "demo settings changed"
    );
    studio
        .demo_settings()
        .await
        .map_err(|e| explain("set_demo_settings", e))
}

#[tauri::command]
#[specta::specta]
pub async fn demo_export(
    app: AppHandle,
    state: State<'_, AppState>,
    job_ids: Vec<String>,
    label: Option<String>,
    include_endpoint: bool,
) -> Result<Option<ExportSummary>, UserError> {
    let studio = state.studio()?;
    if job_ids.is_empty() {
        return Err(UserError::new(
            ErrorCode::DemoExportEmpty,
            "Choose at least one finished run to put in the demo pack.",
            "Tick the runs you want to show, then export again.",
        ));
    }
    let suggested = format!(
        "{}.{}",
        label
            .as_deref()
            .map(demo::format::safe_component)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "showroom".into()),
        demo::PACK_EXTENSION
    );
    let target = super::pickers::save_file(
        &app,
        "demo_export",
        "Save the demo pack",
        PACK_FILTER,
        suggested,
    )
    .await?;
    let Some(target) = target else {
        return Ok(None);
    };
    let options = ExportOptions {
        label: label.filter(|l| !l.trim().is_empty()),
        include_endpoint,
        created_at: None,
    };
    studio
        .demo_export(job_ids, target, options)
        .await
        .map(Some)
        .map_err(|e| explain("demo_export", e))
}

/// Imports a pack from a dropped `path`, or from the open dialog when `path` is `None`
/// (`None` back when the user cancelled). Verified completely before anything lands.
#[tauri::command]
#[specta::specta]
pub async fn demo_import(
    app: AppHandle,
    state: State<'_, AppState>,
    path: Option<String>,
) -> Result<Option<ImportSummary>, UserError> {
    let studio = state.studio()?;
    let path = match path {
        Some(p) => PathBuf::from(p),
        None => {
            let picked = super::pickers::pick_files(
                &app,
                "demo_import",
                "Import a demo pack",
                PACK_FILTER,
                false,
            )
            .await?;
            match picked.into_iter().next() {
                Some(p) => p,
                None => return Ok(None),
            }
        }
    };
    let summary = studio
        .demo_import(&path)
        .await
        .map_err(|e| explain("demo_import", e))?;
    Ok(Some(summary))
}

#[tauri::command]
#[specta::specta]
pub async fn demo_timeline(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<DemoTimeline, UserError> {
    state
        .studio()?
        .demo_timeline(&job_id)
        .await
        .map_err(|e| explain("demo_timeline", e))
}

/// Performs a recorded run: its steps go out on the `subscribe` Channel as `demo` events at
/// the pace set in Settings; resolves when the last step was sent. Starting another
/// performance (or `demo_stop`) ends the one before.
#[tauri::command]
#[specta::specta]
pub async fn demo_perform(
    app: AppHandle,
    state: State<'_, AppState>,
    job_id: String,
) -> Result<PerformOutcome, UserError> {
    let studio = state.studio()?;
    let pace = studio
        .demo_settings()
        .await
        .map_err(|e| explain("demo_perform", e))?
        .pace();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let sender = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        let events = &sender.state::<AppState>().events;
        let outcome = studio
            .demo_perform(&job_id, pace, |u| {
                events.send(AppEvent::Demo(u));
            })
            .await;
        let _ = done_tx.send(outcome);
    });
    if let Some(previous) = state
        .performance
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(task)
    {
        previous.abort();
    }
    match done_rx.await {
        Ok(result) => result.map_err(|e| explain("demo_perform", e)),
        Err(_) => Err(UserError::new(
            ErrorCode::DemoStopped,
            "The demo performance was stopped.",
            "Press Generate to perform it again.",
        )),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn demo_stop(state: State<'_, AppState>) -> Result<(), UserError> {
    if let Some(task) = state
        .performance
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    {
        task.abort();
    }
    Ok(())
}
