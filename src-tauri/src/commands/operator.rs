//! The operator view: server health, the server's queue (ours and others'), metrics, logs.

use animatrix_comfy::DoctorReport;
use animatrix_common::UserError;
use animatrix_core::jobs::metrics::{self, Metrics};
use serde::Serialize;
use tauri::State;

use super::{blocking, explain};
use crate::state::AppState;

/// Reachable, signed in, version, GPU, VRAM, queue: one server's health (the default when
/// `name` is `None`). A server that does not answer is a report saying so, not a failed call.
#[tauri::command]
pub async fn test_endpoint(
    state: State<'_, AppState>,
    name: Option<String>,
) -> Result<DoctorReport, UserError> {
    let core = state.core()?;
    let conn = core
        .engine
        .connection(name.as_deref())
        .await
        .map_err(|e| explain("test_endpoint", e))?;
    let report = animatrix_comfy::doctor(&conn.client).await;
    tracing::info!(
        endpoint = %conn.endpoint.name,
        reachable = report.reachable,
        usable = report.usable,
        "connection tested"
    );
    Ok(report)
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerQueue {
    pub endpoint: String,
    pub items: Vec<QueueEntry>,
}

/// One prompt on the server. Other users' prompts show only their place in the queue: their
/// graphs, ids and texts are theirs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueEntry {
    pub position: usize,
    pub running: bool,
    pub job_id: Option<String>,
    pub prompt_id: Option<String>,
    pub prompt_excerpt: Option<String>,
}

#[tauri::command]
pub async fn server_queue(
    state: State<'_, AppState>,
    endpoint: Option<String>,
) -> Result<ServerQueue, UserError> {
    let core = state.core()?;
    let conn = core
        .engine
        .connection(endpoint.as_deref())
        .await
        .map_err(|e| explain("server_queue", e))?;
    let queue = conn
        .client
        .queue()
        .await
        .map_err(|e| explain("server_queue", e.into()))?;
    let prompts: Vec<(bool, String)> = queue
        .queue_running
        .iter()
        .map(|i| (true, i.prompt_id.clone()))
        .chain(
            queue
                .queue_pending
                .iter()
                .map(|i| (false, i.prompt_id.clone())),
        )
        .collect();
    let studio = core.studio.clone();
    let items = blocking("server_queue", move || {
        let db = studio.db();
        let mut stmt = db.prepare("SELECT id, prompt FROM jobs WHERE comfy_prompt_id = ?1")?;
        let mut items = Vec::with_capacity(prompts.len());
        for (position, (running, prompt_id)) in prompts.into_iter().enumerate() {
            let ours: Option<(String, String)> = stmt
                .query_row([&prompt_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .ok();
            items.push(entry(position, running, prompt_id, ours));
        }
        Ok(items)
    })
    .await?;
    Ok(ServerQueue {
        endpoint: conn.endpoint.name.clone(),
        items,
    })
}

fn entry(
    position: usize,
    running: bool,
    prompt_id: String,
    ours: Option<(String, String)>,
) -> QueueEntry {
    match ours {
        Some((job_id, prompt)) => QueueEntry {
            position,
            running,
            job_id: Some(job_id),
            prompt_id: Some(prompt_id),
            prompt_excerpt: Some(excerpt(&prompt, 80)),
        },
        None => QueueEntry {
            position,
            running,
            job_id: None,
            prompt_id: None,
            prompt_excerpt: None,
        },
    }
}

fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[tauri::command]
pub async fn metrics(state: State<'_, AppState>, days: i64) -> Result<Metrics, UserError> {
    let studio = state.studio()?;
    let days = days.clamp(1, 3650);
    blocking("metrics", move || metrics::compute(&studio.db(), days)).await
}

#[tauri::command]
pub async fn open_log_folder(state: State<'_, AppState>) -> Result<(), UserError> {
    let studio = state.studio()?;
    let dir = animatrix_core::logging::log_dir(studio.data_dir());
    super::jobs::open_folder("open_log_folder", &dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn others_prompts_carry_nothing_but_their_place() {
        let theirs = entry(0, true, "their-prompt-id".into(), None);
        assert_eq!(
            theirs,
            QueueEntry {
                position: 0,
                running: true,
                job_id: None,
                prompt_id: None,
                prompt_excerpt: None
            }
        );
        let ours = entry(1, false, "p1".into(), Some(("j1".into(), "é".repeat(100))));
        assert_eq!(ours.job_id.as_deref(), Some("j1"));
        assert_eq!(ours.prompt_id.as_deref(), Some("p1"));
        assert_eq!(
            ours.prompt_excerpt.expect("excerpt").chars().count(),
            81,
            "80 characters and an ellipsis, cut on characters not bytes"
        );
    }
}
