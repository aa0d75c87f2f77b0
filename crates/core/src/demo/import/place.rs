//! Files moved into the data dir, undone unless the import commits.

use std::path::{Path, PathBuf};

use rusqlite::Transaction;

use super::staged::extension;
use crate::CoreError;
use crate::assets::{self, AssetRecord};
use crate::jobs::JobInputRecord;

/// A folder under `<data dir>/tmp/` removed on drop, whatever happened.
pub(super) struct Staging {
    pub(super) root: PathBuf,
}

impl Staging {
    pub(super) fn new(data_dir: &Path) -> Result<Staging, CoreError> {
        let root = data_dir
            .join("tmp")
            .join(format!("demo-import-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).map_err(|e| CoreError::io(&root, e))?;
        Ok(Staging { root })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
        // Leave no empty `tmp/` behind either (it fails harmlessly when something else is there).
        if let Some(parent) = self.root.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// Files and folders moved into the data dir so far, removed again unless committed.
pub(super) struct Placed {
    pub(super) paths: Vec<PathBuf>,
    pub(super) committed: bool,
}

impl Drop for Placed {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for p in self.paths.iter().rev() {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
        }
    }
}

pub(super) fn rename(from: &Path, to: &Path, placed: &mut Placed) -> Result<(), CoreError> {
    if let Some(parent) = to.parent() {
        // Folders created here are ours to remove on rollback, from the outermost new one.
        let mut first_new = None;
        let mut p = Some(parent);
        while let Some(dir) = p {
            if dir.exists() {
                break;
            }
            first_new = Some(dir.to_path_buf());
            p = dir.parent();
        }
        std::fs::create_dir_all(parent).map_err(|e| CoreError::io(parent, e))?;
        if let Some(dir) = first_new {
            placed.paths.push(dir);
        }
    }
    std::fs::rename(from, to).map_err(|e| CoreError::io(to, e))?;
    placed.paths.push(to.to_path_buf());
    Ok(())
}

pub(super) fn place_input(
    tx: &Transaction<'_>,
    store: &animatrix_media::AssetStore,
    run_dir: &Path,
    input: &JobInputRecord,
    placed: &mut Placed,
) -> Result<AssetRecord, CoreError> {
    let packed = &input.asset;
    let ext = extension(&packed.stored_path)
        .unwrap_or("bin")
        .to_ascii_lowercase();
    let target = store.path_for(&packed.sha256, &ext);
    if !target.exists() {
        rename(&run_dir.join(&packed.stored_path), &target, placed)?;
    }
    let thumb_target = match &packed.thumbnail_path {
        Some(t) => {
            let suffix = format!(
                "thumb.{}",
                extension(t).unwrap_or("jpg").to_ascii_lowercase()
            );
            let target = store.path_for(&packed.sha256, &suffix);
            if !target.exists() {
                rename(&run_dir.join(t), &target, placed)?;
            }
            Some(target.display().to_string())
        }
        None => None,
    };
    if let Some(existing) = assets::find(tx, &packed.sha256, input.role.as_str())? {
        return Ok(existing);
    }
    let record = AssetRecord {
        id: uuid::Uuid::now_v7().to_string(),
        role: input.role.to_string(),
        stored_path: target.display().to_string(),
        thumbnail_path: thumb_target,
        created_at: crate::store::now_ms(),
        ..packed.clone()
    };
    assets::insert(tx, &record)?;
    Ok(record)
}
