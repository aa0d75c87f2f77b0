//! The operator's view: the app itself (version, folders, storage, keychain), a server's queue
//! with other users' prompts reduced to their place, metrics over real runs.

use animatrix_common::{Explain, UserError};
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::demo::DemoSettings;
use crate::jobs::metrics::{self, Metrics, StorageUsed};
use crate::jobs::repo;
use crate::jobs::server_metrics::{self, ServerMetrics};
use crate::store::off_thread;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub log_dir: String,
    /// `None` when the OS keychain answers; otherwise what is wrong and how to fix it, so
    /// Settings can say so before the user types a secret.
    pub keychain_problem: Option<UserError>,
    pub storage: StorageUsed,
    pub demo: DemoSettings,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ServerQueue {
    pub endpoint: String,
    pub items: Vec<QueueEntry>,
}

/// One prompt on the server. Other users' prompts show only their place in the queue: their
/// graphs, ids and texts are theirs.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct QueueEntry {
    pub position: usize,
    pub running: bool,
    pub job_id: Option<String>,
    pub prompt_id: Option<String>,
    pub prompt_excerpt: Option<String>,
}

impl Studio {
    pub async fn app_info(&self) -> Result<AppInfo, CoreError> {
        let keychain = off_thread(|| Ok(crate::secrets::probe())).await?;
        let storage = self.db().read(metrics::storage_used).await?;
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.data_dir().display().to_string(),
            log_dir: self.log_dir().display().to_string(),
            keychain_problem: keychain.err().map(|e| e.explain()),
            storage,
            demo: self.demo_settings().await?,
        })
    }

    pub fn log_dir(&self) -> std::path::PathBuf {
        crate::logging::log_dir(self.data_dir())
    }

    /// The server's queue (the default server when `None`).
    pub async fn server_queue(&self, endpoint: Option<&str>) -> Result<ServerQueue, CoreError> {
        let conn = self.engine().connection(endpoint).await?;
        let queue = conn.client.queue().await?;
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
        let items = self
            .db()
            .read(move |c| {
                let mut items = Vec::with_capacity(prompts.len());
                for (position, (running, prompt_id)) in prompts.into_iter().enumerate() {
                    let ours = repo::find_by_prompt_id(c, &prompt_id)?;
                    items.push(entry(
                        position,
                        running,
                        prompt_id,
                        ours.map(|j| (j.id, j.prompt)),
                    ));
                }
                Ok(items)
            })
            .await?;
        Ok(ServerQueue {
            endpoint: conn.endpoint.name.clone(),
            items,
        })
    }

    /// Jobs per day, failure rate and timings per template version (demo runs never count).
    pub async fn metrics(&self, days: i64) -> Result<Metrics, CoreError> {
        let days = days.clamp(1, 3650);
        self.db().read(move |c| metrics::compute(c, days)).await
    }

    /// Every configured server's runs, failure rate and median run time per template, from
    /// the run history, in the order of `list_endpoints` (the operator view's per-server
    /// metrics; `pool show` and `doctor --all` show the same numbers).
    pub async fn server_metrics(&self) -> Result<Vec<ServerMetrics>, CoreError> {
        let names: Vec<String> = self
            .list_endpoints()
            .await?
            .into_iter()
            .map(|e| e.name)
            .collect();
        self.db()
            .read(move |c| {
                names
                    .iter()
                    .map(|n| server_metrics::for_endpoint(c, n))
                    .collect()
            })
            .await
    }

    /// One server's metrics (a pool member's row in `pool_detail`).
    pub(crate) async fn metrics_of(&self, endpoint: &str) -> Result<ServerMetrics, CoreError> {
        let endpoint = endpoint.to_string();
        self.db()
            .read(move |c| server_metrics::for_endpoint(c, &endpoint))
            .await
    }
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
