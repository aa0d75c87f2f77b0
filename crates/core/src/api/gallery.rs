//! Runs as the gallery and `animatrix jobs`/`show` read them: pages of cards, one run in full.

use std::path::Path;

use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::jobs::{Cursor, JobEvent, JobInputRecord, JobQuery, JobRecord, OutputRecord, repo};

/// A gallery card: the record plus what the card shows without another call. The clip's
/// length comes from the record (measured when it was collected).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct JobCard {
    pub job: JobRecord,
    /// The newest live preview frame of a running job.
    pub preview_path: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CardPage {
    pub cards: Vec<JobCard>,
    pub next: Option<Cursor>,
}

/// One run with its inputs, outputs and event timeline.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct JobDetail {
    pub job: JobRecord,
    pub inputs: Vec<JobInputRecord>,
    pub outputs: Vec<OutputRecord>,
    pub events: Vec<JobEvent>,
    pub job_dir: String,
    /// The team library (`<url>/<bucket>/<prefix>`) this run was imported from, if any.
    pub library_origin: Option<String>,
}

impl Studio {
    /// A page of runs, newest first (keyset-paginated; see [`JobQuery`]).
    pub async fn gallery(&self, query: JobQuery) -> Result<CardPage, CoreError> {
        let query = JobQuery {
            search: query.search.filter(|s| !s.trim().is_empty()),
            mode: query.mode.filter(|m| !m.is_empty()),
            ..query
        };
        let page = self.db().read(move |c| repo::list(c, &query)).await?;
        let cards = page
            .jobs
            .into_iter()
            .map(|job| {
                let preview_path = if job.state.is_terminal() {
                    None
                } else {
                    latest_file(&self.job_dir(&job.id).join("previews"))
                };
                JobCard { job, preview_path }
            })
            .collect();
        Ok(CardPage {
            cards,
            next: page.next,
        })
    }

    /// A run in full (id or unique prefix).
    pub async fn job_detail(&self, id_or_prefix: &str) -> Result<JobDetail, CoreError> {
        let id = self.resolve_job_id(id_or_prefix).await?;
        let job_dir = self.job_dir(&id).display().to_string();
        self.db()
            .read(move |c| {
                Ok(JobDetail {
                    job: repo::get(c, &id)?,
                    inputs: repo::inputs(c, &id)?,
                    outputs: repo::outputs(c, &id)?,
                    events: repo::events(c, &id)?,
                    job_dir,
                    library_origin: crate::sharing::repo::origin_of(c, &id)?,
                })
            })
            .await
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
