//! Demo packs and performances for both shells (export, verified import, the recorded timeline,
//! performing it), and the demo settings.

use std::path::{Path, PathBuf};

use super::Studio;
use crate::CoreError;
use crate::demo::{
    self, DemoSettings, DemoTimeline, ExportOptions, ExportSummary, ImportSummary, Pace,
    PackManifest, PerformOutcome,
};
use crate::jobs::JobUpdate;
use crate::store::off_thread;

impl Studio {
    pub async fn demo_settings(&self) -> Result<DemoSettings, CoreError> {
        let studio = self.clone();
        off_thread(move || demo::settings::get(&studio)).await
    }

    pub async fn set_demo_settings(&self, value: DemoSettings) -> Result<(), CoreError> {
        let studio = self.clone();
        off_thread(move || demo::settings::set(&studio, &value)).await
    }

    pub async fn demo_export(
        &self,
        job_ids: Vec<String>,
        out: PathBuf,
        options: ExportOptions,
    ) -> Result<ExportSummary, CoreError> {
        let studio = self.clone();
        off_thread(move || demo::export(&studio, &job_ids, &out, &options)).await
    }

    pub async fn demo_import(&self, pack: &Path) -> Result<ImportSummary, CoreError> {
        let (studio, pack) = (self.clone(), pack.to_path_buf());
        off_thread(move || demo::import(&studio, &pack)).await
    }

    /// What a pack holds, without importing it.
    pub async fn demo_inspect(&self, pack: &Path) -> Result<PackManifest, CoreError> {
        let pack = pack.to_path_buf();
        off_thread(move || demo::inspect(&pack)).await
    }

    /// The bundled sample pack, once per data dir (`None` when it was imported before).
    pub async fn import_sample_on_first_run(&self) -> Result<Option<ImportSummary>, CoreError> {
        let studio = self.clone();
        off_thread(move || demo::import_sample_on_first_run(&studio)).await
    }

    pub async fn demo_timeline(&self, job_id: &str) -> Result<DemoTimeline, CoreError> {
        let (studio, id) = (self.clone(), job_id.to_string());
        off_thread(move || demo::timeline(&studio, &id)).await
    }

    /// Performs a recorded run: every step goes to `tx` at its (scaled) time. Drop the future
    /// to stop. Never touches the network.
    pub async fn demo_perform(
        &self,
        job_id: &str,
        pace: Pace,
        tx: impl Fn(JobUpdate) + Send,
    ) -> Result<PerformOutcome, CoreError> {
        demo::perform(self, job_id, pace, tx).await
    }
}
