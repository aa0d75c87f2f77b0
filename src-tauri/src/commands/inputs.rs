//! Attachments: the native file dialog, dropped files, and their import into the asset store
//! (sniffed by content, normalized, thumbnailed) before they become chips in the composer.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use animatrix_common::{Explain, UserError};
use animatrix_core::assets::AssetRecord;
use animatrix_core::media::{self, ImportOptions, MediaKind, Role};
use animatrix_core::{CoreError, Studio};
use serde::Serialize;
use tauri::{AppHandle, State};

use super::blocking;
use crate::dialogs::Filter;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct ImportedInput {
    pub asset: AssetRecord,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PickResult {
    pub inputs: Vec<ImportedInput>,
    /// One per refused file; the others still import.
    pub errors: Vec<UserError>,
}

/// A dropped file before it gets a role: what it is, by content (never by name alone).
#[derive(Debug, Clone, Serialize)]
pub struct ProbedPath {
    pub path: String,
    /// `image` | `audio` | `video` | `demo_pack`; `None` with `error` when it is none of them.
    pub kind: Option<&'static str>,
    pub error: Option<UserError>,
}

pub fn parse_role(role: &str) -> Result<Role, UserError> {
    Role::from_str(role).map_err(|e| {
        tracing::warn!(role, error = %e, "unknown input role from the UI");
        e.explain()
    })
}

fn filter_for(role: Role) -> Filter {
    match role.kind() {
        MediaKind::Image => ("Images", &["png", "jpg", "jpeg", "webp"]),
        MediaKind::Audio => (
            "Audio",
            &["wav", "mp3", "m4a", "aac", "flac", "ogg", "opus"],
        ),
        MediaKind::Video => ("Videos", &["mp4", "mov", "m4v", "webm", "mkv"]),
    }
}

fn dialog_title(role: Role) -> &'static str {
    match role {
        Role::GroundTruth => "Choose the character image",
        Role::Reference => "Choose reference images",
        Role::PoseSheet => "Choose a pose sheet (soft guidance)",
        Role::MotionVideo => "Choose the motion video",
        Role::Audio => "Choose the audio",
    }
}

/// Imports one file for a role. A file of the wrong kind is refused with the media layer's
/// typed error (e.g. "This is an audio file; the Ground Truth needs an image").
pub fn import(studio: &Studio, path: &Path, role: Role) -> Result<ImportedInput, CoreError> {
    let (asset, warnings) = studio.import_asset(path, role, &ImportOptions::default())?;
    Ok(ImportedInput { asset, warnings })
}

#[tauri::command]
pub async fn pick_inputs(
    app: AppHandle,
    state: State<'_, AppState>,
    role: String,
    multiple: bool,
) -> Result<PickResult, UserError> {
    let role = parse_role(&role)?;
    let studio = state.studio()?;
    let multiple = multiple && role == Role::Reference;
    let picked = crate::dialogs::pick_files(
        &app,
        "pick_inputs",
        dialog_title(role),
        filter_for(role),
        multiple,
    )
    .await?;
    blocking("pick_inputs", move || {
        let mut result = PickResult {
            inputs: Vec::new(),
            errors: Vec::new(),
        };
        for path in picked {
            match import(&studio, &path, role) {
                Ok(input) => result.inputs.push(input),
                Err(e) => result.errors.push(super::explain("pick_inputs", e)),
            }
        }
        Ok(result)
    })
    .await
}

#[tauri::command]
pub async fn import_input(
    state: State<'_, AppState>,
    path: String,
    role: String,
) -> Result<ImportedInput, UserError> {
    let role = parse_role(&role)?;
    let studio = state.studio()?;
    blocking("import_input", move || {
        import(&studio, &PathBuf::from(path), role)
    })
    .await
}

/// What a dropped path is. Demo packs are recognized by their extension and ZIP magic; media
/// by the sniffer's magic bytes.
pub fn probe(path: &str) -> ProbedPath {
    let p = Path::new(path);
    let is_pack = p
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(animatrix_core::demo::PACK_EXTENSION));
    if is_pack {
        return ProbedPath {
            path: path.to_string(),
            kind: Some("demo_pack"),
            error: None,
        };
    }
    match media::sniff(p) {
        Ok(s) => ProbedPath {
            path: path.to_string(),
            kind: Some(match s.kind {
                MediaKind::Image => "image",
                MediaKind::Audio => "audio",
                MediaKind::Video => "video",
            }),
            error: None,
        },
        Err(e) => {
            tracing::warn!(file = %path, error = %e, "dropped file refused");
            ProbedPath {
                path: path.to_string(),
                kind: None,
                error: Some(e.explain()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures")
            .join(name)
            .display()
            .to_string()
    }

    #[test]
    fn dropped_files_are_recognized_by_content() {
        assert_eq!(probe(&fixture("character.png")).kind, Some("image"));
        assert_eq!(probe(&fixture("speech.mp3")).kind, Some("audio"));
        assert_eq!(probe(&fixture("motion.mp4")).kind, Some("video"));
        let elf = probe(&fixture("bad/executable_renamed.png"));
        assert_eq!(elf.kind, None);
        let err = elf.error.expect("a typed error");
        assert!(
            !err.code.is_empty() && !err.suggestion.is_empty(),
            "{err:?}"
        );
        assert_eq!(
            probe("/nowhere/showroom.animatrix-demo").kind,
            Some("demo_pack")
        );
        assert!(probe("/nowhere/missing.png").error.is_some());
    }

    #[test]
    fn roles_parse_and_unknown_ones_are_user_errors() {
        assert_eq!(parse_role("motion_video").expect("role"), Role::MotionVideo);
        let err = parse_role("start_frame").expect_err("not a role today");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn an_audio_file_is_refused_as_ground_truth_and_nothing_is_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let studio = Studio::open(dir.path().to_path_buf()).expect("open");
        let err = import(
            &studio,
            Path::new(&fixture("speech.wav")),
            Role::GroundTruth,
        )
        .expect_err("wrong kind");
        let user = err.explain();
        assert!(!user.suggestion.is_empty(), "{user:?}");
        let ok = import(
            &studio,
            Path::new(&fixture("character.png")),
            Role::GroundTruth,
        )
        .expect("image imports");
        assert!(ok.asset.thumbnail_path.is_some());
        let count: i64 = studio
            .db()
            .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 1, "the refused file left no row");
    }
}
