//! Attachments: the native file dialog, dropped files, and their import into the asset store
//! (sniffed by content, normalized, thumbnailed) before they become chips in the composer.

use std::path::PathBuf;

use animatrix_common::UserError;
use animatrix_core::api::{ImportedInput, ProbedPath};
use animatrix_core::media::FitMode;
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::dialogs::Filter;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PickResult {
    pub inputs: Vec<ImportedInput>,
    pub errors: Vec<UserError>,
}

/// The dialog's file types for a kind of input (image, audio, video).
fn filter_for(kind: &str) -> Filter {
    match kind {
        "audio" => (
            "Audio",
            &["wav", "mp3", "m4a", "aac", "flac", "ogg", "opus"],
        ),
        "video" => ("Videos", &["mp4", "mov", "m4v", "webm", "mkv"]),
        _ => ("Images", &["png", "jpg", "jpeg", "webp"]),
    }
}

/// Opens the native file dialog for one input of a template and imports what was picked.
#[tauri::command]
#[specta::specta]
pub async fn pick_inputs(
    app: AppHandle,
    state: State<'_, AppState>,
    template: String,
    role: String,
    kind: String,
    label: String,
    multiple: bool,
) -> Result<PickResult, UserError> {
    let studio = state.studio()?;
    let picked = super::pickers::pick_files(
        &app,
        "pick_inputs",
        format!("Choose: {label}"),
        filter_for(&kind),
        multiple,
    )
    .await?;
    let mut result = PickResult {
        inputs: Vec::new(),
        errors: Vec::new(),
    };
    for path in picked {
        match studio
            .import_input(&path, Some(&template), &role, None, FitMode::Crop)
            .await
        {
            Ok(input) => result.inputs.push(input),
            Err(e) => result.errors.push(super::explain("pick_inputs", e)),
        }
    }
    Ok(result)
}

/// Imports a dropped file for one input of a template.
#[tauri::command]
#[specta::specta]
pub async fn import_input(
    state: State<'_, AppState>,
    path: String,
    template: String,
    role: String,
) -> Result<ImportedInput, UserError> {
    let studio = state.studio()?;
    studio
        .import_input(
            &PathBuf::from(path),
            Some(&template),
            &role,
            None,
            FitMode::Crop,
        )
        .await
        .map_err(|e| super::explain("import_input", e))
}

/// What a dropped path is (see `animatrix_core::api::probe_path`).
pub fn probe(path: &str) -> ProbedPath {
    animatrix_core::api::probe_path(path)
}
