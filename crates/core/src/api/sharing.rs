//! Storage, publishing, share links and the team library for both shells.

use std::time::Duration;

use animatrix_storage::{Credentials, StorageTarget};
use secrecy::SecretString;

use super::Studio;
use crate::CoreError;
use crate::sharing::{
    self, LibraryEntry, LibraryImport, Publication, PublishSummary, StorageSettings, repo, target,
};
use crate::store::off_thread;

impl Studio {
    pub async fn storage_settings(&self) -> Result<StorageSettings, CoreError> {
        let s = self.clone();
        off_thread(move || target::get(s.db())).await
    }

    /// Saves the target and its key pair (keychain), after validating the target.
    pub async fn set_storage(
        &self,
        target: StorageTarget,
        creds: Credentials,
        auto_publish: bool,
    ) -> Result<StorageSettings, CoreError> {
        let s = self.clone();
        off_thread(move || {
            target::set(s.db(), target, &creds, auto_publish)?;
            target::get(s.db())
        })
        .await
    }

    pub async fn set_auto_publish(&self, on: bool) -> Result<(), CoreError> {
        let s = self.clone();
        off_thread(move || target::set_auto_publish(s.db(), on)).await
    }

    pub async fn clear_storage(&self) -> Result<(), CoreError> {
        let s = self.clone();
        off_thread(move || target::clear(s.db())).await
    }

    /// Writes, reads and deletes a probe object in the configured bucket.
    pub async fn test_storage(&self) -> Result<(), CoreError> {
        let s = self.clone();
        let bucket = off_thread(move || target::open_bucket(s.db())).await?;
        Ok(bucket.test().await?)
    }

    /// Tests a target before it is saved (Settings > Storage "Test storage").
    pub async fn test_storage_target(
        &self,
        target: StorageTarget,
        creds: Credentials,
    ) -> Result<(), CoreError> {
        let bucket = animatrix_storage::Bucket::open(target, &creds)?;
        Ok(bucket.test().await?)
    }

    /// The key pair of a Settings > Storage form: the typed secret, or (left blank) the one
    /// stored in the keychain for the same target and access key id.
    pub async fn storage_form_credentials(
        &self,
        target: StorageTarget,
        access_key_id: String,
        secret: Option<SecretString>,
    ) -> Result<Credentials, CoreError> {
        off_thread(move || target::form_credentials(&target, &access_key_id, secret)).await
    }

    /// Publishes (or resumes or retries publishing) a completed run.
    pub async fn publish(&self, job_id: &str) -> Result<PublishSummary, CoreError> {
        sharing::publish::publish(self, job_id).await
    }

    /// Publishes `job_id` when the user chose auto-publish; `None` when they did not.
    pub async fn publish_if_auto(&self, job_id: &str) -> Result<Option<PublishSummary>, CoreError> {
        let s = self.clone();
        if !off_thread(move || target::auto_publish(s.db())).await? {
            return Ok(None);
        }
        self.publish(job_id).await.map(Some)
    }

    pub async fn unpublish(&self, job_id: &str) -> Result<usize, CoreError> {
        sharing::publish::unpublish(self, job_id).await
    }

    /// The run's storage state; `None` when it was never published.
    pub async fn publication(&self, job_id: &str) -> Result<Option<Publication>, CoreError> {
        let (s, id) = (self.clone(), job_id.to_string());
        off_thread(move || {
            s.db().read_blocking(|c| {
                let id = crate::jobs::repo::resolve_id(c, &id)?;
                repo::get(c, &id)
            })
        })
        .await
    }

    pub async fn share_link(
        &self,
        job_id: &str,
        expires_in: Duration,
    ) -> Result<String, CoreError> {
        sharing::publish::share_link(self, job_id, expires_in).await
    }

    pub async fn library_list(&self) -> Result<Vec<LibraryEntry>, CoreError> {
        sharing::library::list(self).await
    }

    pub async fn library_import(&self, job_id: &str) -> Result<LibraryImport, CoreError> {
        sharing::library::import(self, job_id).await
    }

    /// The library a run was imported from (`None` for runs made or demo-imported here).
    pub async fn run_origin(&self, job_id: &str) -> Result<Option<String>, CoreError> {
        let (s, id) = (self.clone(), job_id.to_string());
        off_thread(move || s.db().read_blocking(|c| repo::origin_of(c, &id))).await
    }
}

impl Studio {
    /// Publishes each run this process completes while auto-publish is on (the window calls
    /// this once at start; `animatrix submit --wait` calls [`Studio::publish_if_auto`]). A
    /// failed publish is recorded on the run (visible, retryable), never dropped.
    pub fn spawn_auto_publish(&self) -> tokio::task::JoinHandle<()> {
        let studio = self.clone();
        let mut rx = self.subscribe();
        tokio::spawn(async move {
            loop {
                let update = match rx.recv().await {
                    Ok(u) => u,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                if update.state != crate::jobs::JobState::Completed {
                    continue;
                }
                let s = studio.clone();
                tokio::spawn(async move {
                    // Manifests are written after the state: wait for them, they are published.
                    if s.wait(&update.job_id).await.is_err() {
                        return;
                    }
                    if let Err(e) = s.publish_if_auto(&update.job_id).await {
                        tracing::warn!(job = %update.job_id, error = %e, "auto-publish failed");
                    }
                });
            }
        })
    }
}
