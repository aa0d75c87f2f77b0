//! Runs: Generate, plan, the gallery pages, one run opened, cancel / retry / replay, and the
//! run's files (reveal the folder, export the MP4).

use std::path::{Path, PathBuf};

use animatrix_common::{ErrorCode, UserError};
use animatrix_core::CoreError;
use animatrix_core::api::{CardPage, JobDetail};
use animatrix_core::jobs::{JobQuery, JobRecord, JobRequest};
use animatrix_workflow::Plan;
use tauri::{AppHandle, State};

use super::{explain, internal};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn submit_job(
    state: State<'_, AppState>,
    request: JobRequest,
) -> Result<String, UserError> {
    state
        .studio()?
        .submit(request)
        .await
        .map_err(|e| explain("submit_job", e))
}

/// What Generate would produce and what stops it (the composer calls this as the user edits).
#[tauri::command]
#[specta::specta]
pub async fn plan_job(state: State<'_, AppState>, request: JobRequest) -> Result<Plan, UserError> {
    state
        .studio()?
        .plan(request)
        .await
        .map_err(|e| explain("plan_job", e))
}

#[tauri::command]
#[specta::specta]
pub async fn list_jobs(state: State<'_, AppState>, query: JobQuery) -> Result<CardPage, UserError> {
    state
        .studio()?
        .gallery(query)
        .await
        .map_err(|e| explain("list_jobs", e))
}

#[tauri::command]
#[specta::specta]
pub async fn job_detail(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<JobDetail, UserError> {
    state
        .studio()?
        .job_detail(&job_id)
        .await
        .map_err(|e| explain("job_detail", e))
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_job(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<JobRecord, UserError> {
    state
        .studio()?
        .cancel(&job_id)
        .await
        .map_err(|e| explain("cancel_job", e))
}

#[tauri::command]
#[specta::specta]
pub async fn retry_job(state: State<'_, AppState>, job_id: String) -> Result<String, UserError> {
    state
        .studio()?
        .retry(&job_id)
        .await
        .map_err(|e| explain("retry_job", e))
}

#[tauri::command]
#[specta::specta]
pub async fn replay_job(
    state: State<'_, AppState>,
    job_id: String,
    new_seed: bool,
) -> Result<String, UserError> {
    state
        .studio()?
        .replay(&job_id, new_seed)
        .await
        .map_err(|e| explain("replay_job", e))
}

#[tauri::command]
#[specta::specta]
pub async fn reveal_job(state: State<'_, AppState>, job_id: String) -> Result<(), UserError> {
    let studio = state.studio()?;
    let id = studio
        .resolve_job_id(&job_id)
        .await
        .map_err(|e| explain("reveal_job", e))?;
    open_folder("reveal_job", &studio.job_dir(&id))
}

/// Opens a folder of ours in the OS file manager.
pub fn open_folder(command: &'static str, dir: &Path) -> Result<(), UserError> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return Err(explain(
            command,
            CoreError::DataDir {
                path: dir.display().to_string(),
                source: e,
            },
        ));
    }
    opener::open(dir).map_err(|e| {
        tracing::warn!(command, dir = %dir.display(), error = %e, "could not open the folder");
        UserError::new(
            ErrorCode::FolderOpenFailed,
            "The folder could not be opened in your file manager.",
            format!("Open it yourself: {}", dir.display()),
        )
        .with_detail(e.to_string())
    })
}

#[tauri::command]
#[specta::specta]
pub async fn export_video(
    app: AppHandle,
    state: State<'_, AppState>,
    job_id: String,
) -> Result<Option<String>, UserError> {
    let job = state
        .studio()?
        .job(&job_id)
        .await
        .map_err(|e| explain("export_video", e))?;
    let Some(video) = job.video_path().map(str::to_string) else {
        return Err(UserError::new(
            ErrorCode::RunHasNoVideo,
            "This run has no finished video to export.",
            "Wait until the run is done, or Retry it.",
        )
        .with_detail(format!("job {} is {}", job.id, job.state)));
    };
    let suggested = suggested_name(&job.prompt, &job.id);
    let target = super::pickers::save_file(
        &app,
        "export_video",
        "Export the video",
        ("MP4 video", &["mp4"]),
        suggested,
    )
    .await?;
    let Some(target) = target else {
        return Ok(None);
    };
    let target = with_mp4_extension(target);
    let copied = {
        let target = target.clone();
        tauri::async_runtime::spawn_blocking(move || std::fs::copy(&video, &target))
            .await
            .map_err(|e| internal("export_video", e.to_string()))?
    };
    match copied {
        Ok(bytes) => {
            tracing::info!(job_id = %job.id, to = %target.display(), bytes, "video exported");
            Ok(Some(target.display().to_string()))
        }
        Err(e) => {
            tracing::warn!(job_id = %job.id, to = %target.display(), error = %e, "video export failed");
            Err(UserError::new(
                ErrorCode::ExportFailed,
                "The video could not be saved there.",
                "Choose another folder you can write to, with enough free space.",
            )
            .with_detail(format!("{}: {e}", target.display())))
        }
    }
}

fn suggested_name(prompt: &str, id: &str) -> String {
    let words: String = prompt
        .split_whitespace()
        .take(5)
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-')
        .collect();
    let short = id.get(..8).unwrap_or(id);
    if words.is_empty() {
        format!("animatrix-{short}.mp4")
    } else {
        format!("{}-{short}.mp4", words.to_lowercase())
    }
}

fn with_mp4_extension(path: PathBuf) -> PathBuf {
    let has_mp4 = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mp4"));
    if has_mp4 {
        path
    } else {
        let mut s = path.into_os_string();
        s.push(".mp4");
        PathBuf::from(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_readable_and_end_in_mp4() {
        assert_eq!(
            suggested_name("A knight sings: to the / camera!", "0192abcd-ef"),
            "a-knight-sings-to-the-0192abcd.mp4"
        );
        assert_eq!(
            with_mp4_extension(PathBuf::from("/tmp/clip")),
            PathBuf::from("/tmp/clip.mp4")
        );
        assert_eq!(
            with_mp4_extension(PathBuf::from("/tmp/clip.MP4")),
            PathBuf::from("/tmp/clip.MP4")
        );
    }
}
