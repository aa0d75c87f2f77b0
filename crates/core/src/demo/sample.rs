//! The sample pack shipped inside the app, imported once on a fresh data dir so a newcomer with
//! no server sees a working gallery. It is built by `scripts/make-sample-pack.sh` from the
//! fixtures and a run recorded against the fake ComfyUI, and labelled as such.

use super::import::{ImportSummary, import};
use super::settings::SAMPLE_IMPORTED_KEY;
use crate::store::settings;
use crate::{CoreError, Studio};

/// `demo/sample.animatrix-demo` at the repo root.
pub static SAMPLE_PACK: &[u8] = include_bytes!("../../../../demo/sample.animatrix-demo");

/// Imports the sample pack unless it was imported before on this data dir. `Ok(None)` when
/// there was nothing to do. A failed import leaves the flag unset (the next start tries again)
/// and imports nothing (see `import`).
pub fn import_sample_on_first_run(studio: &Studio) -> Result<Option<ImportSummary>, CoreError> {
    let done = studio
        .db()
        .read_blocking(|db| settings::get::<bool>(db, SAMPLE_IMPORTED_KEY))?;
    if done.unwrap_or(false) {
        return Ok(None);
    }
    let summary = import_sample(studio)?;
    studio
        .db()
        .write_blocking(|db| settings::set(db, SAMPLE_IMPORTED_KEY, &true))?;
    Ok(Some(summary))
}

/// Imports the embedded sample pack now (idempotent: runs already present are skipped).
pub fn import_sample(studio: &Studio) -> Result<ImportSummary, CoreError> {
    let dir = studio.data_dir().join("tmp");
    std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
    let file = tempfile_in(&dir)?;
    std::fs::write(&file.0, SAMPLE_PACK).map_err(|e| CoreError::io(&file.0, e))?;
    import(studio, &file.0)
}

/// A file removed on drop (the sample copy is only needed during the import).
struct TempPack(std::path::PathBuf);

impl Drop for TempPack {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

fn tempfile_in(dir: &std::path::Path) -> Result<TempPack, CoreError> {
    Ok(TempPack(dir.join(format!(
        "sample-{}.animatrix-demo",
        uuid::Uuid::new_v4().simple()
    ))))
}
