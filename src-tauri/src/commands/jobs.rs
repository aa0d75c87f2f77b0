//! Runs: Generate, the gallery pages, one run opened, cancel / retry / replay, and the run's
//! files (reveal the folder, export the MP4).

use std::path::{Path, PathBuf};

use animatrix_common::UserError;
use animatrix_core::jobs::{Cursor, JobDetail, JobQuery, JobRecord, JobRequest, JobState};
use animatrix_core::{CoreError, media};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use super::{blocking, explain, internal};
use crate::state::AppState;

/// A gallery card: the record plus what the card shows without another call.
#[derive(Debug, Clone, Serialize)]
pub struct JobCard {
    pub job: JobRecord,
    /// Length of the finished clip, read from the MP4's header.
    pub clip_seconds: Option<f64>,
    /// The newest live preview frame of a running job.
    pub preview_path: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardPage {
    pub cards: Vec<JobCard>,
    pub next: Option<Cursor>,
}

/// `list_jobs` argument (`ui/src/lib/types.ts` `JobQuery`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GalleryQuery {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub state: Option<JobState>,
    #[serde(default)]
    pub demo: Option<bool>,
    #[serde(default)]
    pub before: Option<Cursor>,
    #[serde(default)]
    pub limit: Option<u32>,
}

impl GalleryQuery {
    fn into_query(self) -> JobQuery {
        JobQuery {
            search: self.search.filter(|s| !s.trim().is_empty()),
            mode: self.mode.filter(|m| !m.is_empty()),
            state: self.state,
            demo: self.demo,
            before: self.before,
            limit: self.limit,
            ..JobQuery::default()
        }
    }
}

pub fn card(job: JobRecord, job_dir: &Path) -> JobCard {
    let clip_seconds = match (&job.state, &job.video_path) {
        (JobState::Completed, Some(video)) => {
            media::probe(Path::new(video), &media::Limits::default())
                .ok()
                .and_then(|f| f.duration_seconds)
        }
        _ => None,
    };
    let preview_path = if job.state.is_terminal() {
        None
    } else {
        latest_file(&job_dir.join("previews"))
    };
    JobCard {
        job,
        clip_seconds,
        preview_path,
    }
}

/// Preview frames are numbered `00001.png`, `00002.png`, …: the greatest name is the newest.
fn latest_file(dir: &Path) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .max()
        .map(|p| p.display().to_string())
}

#[tauri::command]
pub async fn submit_job(
    state: State<'_, AppState>,
    request: JobRequest,
) -> Result<String, UserError> {
    let core = state.core()?;
    core.engine
        .submit(request)
        .await
        .map_err(|e| explain("submit_job", e))
}

#[tauri::command]
pub async fn list_jobs(
    state: State<'_, AppState>,
    query: GalleryQuery,
) -> Result<CardPage, UserError> {
    let core = state.core()?;
    blocking("list_jobs", move || {
        let page = core.engine.list_jobs(&query.into_query())?;
        Ok(CardPage {
            cards: page
                .jobs
                .into_iter()
                .map(|j| {
                    let dir = core.engine.job_dir(&j.id);
                    card(j, &dir)
                })
                .collect(),
            next: page.next,
        })
    })
    .await
}

#[tauri::command]
pub async fn job_detail(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<JobDetail, UserError> {
    let core = state.core()?;
    blocking("job_detail", move || {
        let id = core.engine.resolve_job_id(&job_id)?;
        core.engine.job_detail(&id)
    })
    .await
}

#[tauri::command]
pub async fn cancel_job(
    state: State<'_, AppState>,
    job_id: String,
) -> Result<JobRecord, UserError> {
    let core = state.core()?;
    core.engine
        .cancel(&job_id)
        .await
        .map_err(|e| explain("cancel_job", e))
}

#[tauri::command]
pub async fn retry_job(state: State<'_, AppState>, job_id: String) -> Result<String, UserError> {
    let core = state.core()?;
    refuse_demo(
        &core
            .engine
            .job(&job_id)
            .map_err(|e| explain("retry_job", e))?,
    )?;
    core.engine
        .retry(&job_id)
        .await
        .map_err(|e| explain("retry_job", e))
}

#[tauri::command]
pub async fn replay_job(
    state: State<'_, AppState>,
    job_id: String,
    new_seed: bool,
) -> Result<String, UserError> {
    let core = state.core()?;
    refuse_demo(
        &core
            .engine
            .job(&job_id)
            .map_err(|e| explain("replay_job", e))?,
    )?;
    core.engine
        .replay(&job_id, new_seed)
        .await
        .map_err(|e| explain("replay_job", e))
}

/// Demo runs are never sent to a server: they are performed (see `demo_perform`).
fn refuse_demo(job: &JobRecord) -> Result<(), UserError> {
    if job.is_demo {
        return Err(UserError::new(
            "demo_run_not_sendable",
            "This is a demo run: it is performed from its recording, never sent to a server.",
            "Use Perform to show it, or copy its settings to the composer and Generate with your own server.",
        )
        .with_detail(format!("job {}", job.id)));
    }
    Ok(())
}

#[tauri::command]
pub async fn reveal_job(state: State<'_, AppState>, job_id: String) -> Result<(), UserError> {
    let core = state.core()?;
    let dir = blocking("reveal_job", move || {
        let id = core.engine.resolve_job_id(&job_id)?;
        Ok(core.engine.job_dir(&id))
    })
    .await?;
    open_folder("reveal_job", &dir)
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
            "folder_open_failed",
            "The folder could not be opened in your file manager.",
            format!("Open it yourself: {}", dir.display()),
        )
        .with_detail(e.to_string())
    })
}

#[tauri::command]
pub async fn export_video(
    app: AppHandle,
    state: State<'_, AppState>,
    job_id: String,
) -> Result<Option<String>, UserError> {
    let core = state.core()?;
    let job = blocking("export_video", move || {
        let id = core.engine.resolve_job_id(&job_id)?;
        core.engine.job(&id)
    })
    .await?;
    let Some(video) = job.video_path.clone() else {
        return Err(UserError::new(
            "run_has_no_video",
            "This run has no finished video to export.",
            "Wait until the run is done, or Retry it.",
        )
        .with_detail(format!("job {} is {}", job.id, job.state)));
    };
    let suggested = suggested_name(&job);
    let target = crate::dialogs::save_file(
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
                "export_failed",
                "The video could not be saved there.",
                "Choose another folder you can write to, with enough free space.",
            )
            .with_detail(format!("{}: {e}", target.display())))
        }
    }
}

fn suggested_name(job: &JobRecord) -> String {
    let words: String = job
        .prompt
        .split_whitespace()
        .take(5)
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-')
        .collect();
    let short = job.id.get(..8).unwrap_or(&job.id);
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
    fn gallery_query_accepts_what_the_ui_sends() {
        let q: GalleryQuery = serde_json::from_str(
            r#"{"search":"  ","mode":"","state":"failed","demo":null,"before":null,"limit":24}"#,
        )
        .expect("query");
        let q = q.into_query();
        assert_eq!(q.search, None, "blank search = no search");
        assert_eq!(q.mode, None, "'' = every mode");
        assert_eq!(q.state, Some(JobState::Failed));
        assert_eq!(q.limit, Some(24));
        assert!(
            serde_json::from_str::<GalleryQuery>(r#"{"serach":"x"}"#).is_err(),
            "a misspelt filter must not silently list everything"
        );
    }

    #[test]
    fn the_newest_preview_is_the_greatest_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(latest_file(dir.path()), None);
        for n in ["00002.png", "00010.png", "00009.png"] {
            std::fs::write(dir.path().join(n), b"x").expect("write");
        }
        assert!(
            latest_file(dir.path())
                .expect("latest")
                .ends_with("00010.png")
        );
    }

    fn record(is_demo: bool) -> JobRecord {
        serde_json::from_value(serde_json::json!({
            "id": "0192abcd-ef", "comfy_prompt_id": "p", "client_id": "c", "endpoint_name": null,
            "mode": "audio", "template_name": "s2v", "template_version": "1.0.0",
            "profile": "draft", "aspect": "9:16", "prompt": "A knight sings: to the / camera!",
            "negative_prompt": "", "settings": {}, "resolved_seed": 1, "frame_count": 80,
            "state": "completed", "progress": 1.0, "error": null, "parent_job_id": null,
            "relation": null, "is_demo": is_demo, "cancel_requested": false, "created_at": 0,
            "updated_at": 0, "queued_at": null, "started_at": null, "finished_at": null,
            "poster_path": null, "video_path": null, "seq": 1
        }))
        .expect("record")
    }

    #[test]
    fn demo_runs_are_never_sent_to_a_server() {
        let err = refuse_demo(&record(true)).expect_err("a demo run");
        assert_eq!(err.code, "demo_run_not_sendable");
        assert!(!err.suggestion.is_empty());
        assert!(refuse_demo(&record(false)).is_ok());
    }

    #[test]
    fn export_names_are_readable_and_end_in_mp4() {
        let job = record(false);
        assert_eq!(suggested_name(&job), "a-knight-sings-to-the-0192abcd.mp4");
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
