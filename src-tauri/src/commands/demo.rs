//! Demo packs and performances: export runs, import a pack (dialog or drop), the demo-mode
//! settings, and performing a recorded run in the window with no network.

use std::path::PathBuf;

use animatrix_common::UserError;
use animatrix_core::demo::{
    self, DemoSettings, DemoTimeline, ExportOptions, ExportSummary, ImportSummary, PerformOutcome,
};
use tauri::{AppHandle, Manager, State};

use super::{blocking, explain};
use crate::events::AppEvent;
use crate::state::AppState;

const PACK_FILTER: crate::dialogs::Filter = ("Animatrix demo pack", &["animatrix-demo"]);

/// Demo mode and pace: the studio reads them at start (without `app_info`'s keychain probe).
#[tauri::command]
pub async fn demo_settings(state: State<'_, AppState>) -> Result<DemoSettings, UserError> {
    let studio = state.studio()?;
    blocking("demo_settings", move || demo::settings::get(&studio)).await
}

#[tauri::command]
pub async fn set_demo_settings(
    state: State<'_, AppState>,
    settings: DemoSettings,
) -> Result<DemoSettings, UserError> {
    let studio = state.studio()?;
    blocking("set_demo_settings", move || {
        demo::settings::set_demo_pace(&studio, settings.demo_pace_seconds)?;
        demo::settings::set_demo_mode(&studio, settings.demo_mode)?;
        tracing::info!(
            demo_mode = settings.demo_mode,
            pace = ?settings.demo_pace_seconds,
            "demo settings changed"
        );
        demo::settings::get(&studio)
    })
    .await
}

#[tauri::command]
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
            "demo_export_empty",
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
    let target = crate::dialogs::save_file(
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
    };
    blocking("demo_export", move || {
        demo::export(&studio, &job_ids, &target, &options).map(Some)
    })
    .await
}

/// Imports a pack from a dropped `path`, or from the open dialog when `path` is `None`
/// (`None` back when the user cancelled). Verified completely before anything lands.
#[tauri::command]
pub async fn demo_import(
    app: AppHandle,
    state: State<'_, AppState>,
    path: Option<String>,
) -> Result<Option<ImportSummary>, UserError> {
    let studio = state.studio()?;
    let path = match path {
        Some(p) => PathBuf::from(p),
        None => {
            let picked = crate::dialogs::pick_files(
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
    blocking("demo_import", move || {
        let summary = demo::import(&studio, &path)?;
        tracing::info!(
            pack = %path.display(),
            imported = summary.imported,
            already_present = summary.already_present,
            "demo pack imported"
        );
        Ok(Some(summary))
    })
    .await
}

#[tauri::command]
pub async fn demo_timeline(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<DemoTimeline, UserError> {
    let studio = state.studio()?;
    blocking("demo_timeline", move || demo::timeline(&studio, &job_id)).await
}

/// Performs a recorded run: its steps go out on the `subscribe` Channel as `demo` events at
/// the pace set in Settings; resolves when the last step was sent. Starting another
/// performance (or `demo_stop`) ends the one before.
#[tauri::command]
pub async fn demo_perform(
    app: AppHandle,
    state: State<'_, AppState>,
    job_id: String,
) -> Result<PerformOutcome, UserError> {
    let studio = state.studio()?;
    let pace = {
        let studio = studio.clone();
        blocking("demo_perform", move || demo::settings::get(&studio)).await?
    }
    .pace();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let sender = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        let events = &sender.state::<AppState>().events;
        let outcome = demo::perform(&studio, &job_id, pace, |u| {
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
            "demo_stopped",
            "The demo performance was stopped.",
            "Press Generate to perform it again.",
        )),
    }
}

#[tauri::command]
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
