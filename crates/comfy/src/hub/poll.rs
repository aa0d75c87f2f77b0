//! Checking prompts over HTTP: `/history/{id}` (small) for whether they finished, and
//! `/queue` (big: every queued prompt's graph; parsed without the graphs) only when the
//! position, the origin or the absence of a prompt must be known.
//!
//! Order matters for absence: ComfyUI moves a finished prompt from the queue to the history
//! under one lock, so reading /queue first and /history second can never see a live prompt in
//! neither.

use std::sync::Arc;

use serde_json::Value;

use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::model::{ExecutionErrorData, HistoryEntry, ServerMessage};

use super::Outcome;

/// One prompt to check.
pub(super) struct CheckRequest {
    pub prompt_id: String,
    pub with_queue: bool,
}

/// What one check learned about one prompt.
#[derive(Debug)]
pub(super) enum Finding {
    Finished(Box<HistoryEntry>),
    Running {
        client_id: Option<String>,
    },
    Pending {
        ahead: usize,
        total: usize,
        client_id: Option<String>,
    },
    /// In neither the queue nor the history.
    Absent,
    /// Not in the history; the queue was not read this time.
    NotFinished,
    Failed {
        error: Arc<ComfyError>,
        from_queue: bool,
    },
}

async fn history(client: &ComfyClient, id: &str, if_absent: Finding) -> Finding {
    match client.history(id).await {
        Ok(Some(entry)) => Finding::Finished(Box::new(entry)),
        Ok(None) => if_absent,
        Err(e) => Finding::Failed {
            error: Arc::new(e),
            from_queue: false,
        },
    }
}

/// Check every request: one /queue read shared by those that need it, then `/history/{id}`.
pub(super) async fn check(
    client: ComfyClient,
    requests: Vec<CheckRequest>,
) -> Vec<(String, Finding)> {
    let queue = if requests.iter().any(|r| r.with_queue) {
        Some(client.queue_summary().await.map_err(Arc::new))
    } else {
        None
    };
    let mut findings = Vec::with_capacity(requests.len());
    for request in requests {
        let id = request.prompt_id;
        let finding = match (&queue, request.with_queue) {
            (Some(Ok(queue)), true) => match queue.get(&id) {
                Some(item) if queue.is_running(&id) => Finding::Running {
                    client_id: item.client_id.clone(),
                },
                Some(item) => Finding::Pending {
                    ahead: queue.ahead_of(&id).unwrap_or(0),
                    total: queue.len(),
                    client_id: item.client_id.clone(),
                },
                None => history(&client, &id, Finding::Absent).await,
            },
            (Some(Err(error)), true) => match history(&client, &id, Finding::NotFinished).await {
                Finding::NotFinished => Finding::Failed {
                    error: error.clone(),
                    from_queue: true,
                },
                other => other,
            },
            _ => history(&client, &id, Finding::NotFinished).await,
        };
        findings.push((id, finding));
    }
    findings
}

/// The outcome a history entry records.
pub(super) fn outcome_from_history(entry: HistoryEntry) -> Outcome {
    let Some(status) = &entry.status else {
        return Outcome::Success(Box::new(entry));
    };
    match status.terminal_message() {
        Some(ServerMessage::ExecutionError(e)) => Outcome::Error(e.clone()),
        Some(ServerMessage::ExecutionInterrupted(i)) => Outcome::Interrupted(Box::new(i.clone())),
        _ if status.is_success() => Outcome::Success(Box::new(entry)),
        _ => Outcome::Error(Box::new(ExecutionErrorData {
            prompt_id: entry.prompt_id().to_owned(),
            node_id: String::new(),
            node_type: String::new(),
            executed: Vec::new(),
            exception_message: format!(
                "the server recorded status {:?} without an error event",
                status.status_str
            ),
            exception_type: "UnknownServerError".into(),
            traceback: Vec::new(),
            current_inputs: Default::default(),
            current_outputs: Value::Null,
            timestamp: None,
        })),
    }
}
