//! Files the user attaches in the composer: imported into the asset store as soon as they are
//! attached (so Generate is quick and errors show at once), and what a dropped file is.

use std::path::Path;

use animatrix_common::{Explain, UserError};
use animatrix_media::{FitMode, ImportOptions, MediaKind};
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::assets::AssetRecord;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportedInput {
    pub asset: AssetRecord,
    pub warnings: Vec<String>,
}

/// A dropped path, sniffed by content: what it is, or why it cannot be used.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ProbedPath {
    pub path: String,
    /// image | audio | video | demo_pack
    pub kind: Option<String>,
    pub error: Option<UserError>,
}

impl Studio {
    /// Imports a file for `role` of `template` (the role's declaration decides how it is
    /// normalized). `aspect` fits an image to that aspect's default size (the CLI's
    /// `media import --aspect`); the composer leaves fitting to Generate.
    pub async fn import_input(
        &self,
        path: &Path,
        template: Option<&str>,
        role: &str,
        aspect: Option<&str>,
        fit: FitMode,
    ) -> Result<ImportedInput, CoreError> {
        let catalog = self.engine().catalog();
        let t = match template {
            Some(name) => catalog.latest(name)?,
            None => catalog
                .latest_templates()
                .find(|t| t.input(role).is_some())
                .ok_or_else(|| CoreError::InputNotAccepted {
                    role: role.to_string(),
                    accepted: Vec::new(),
                })?,
        };
        let options = ImportOptions {
            target: aspect
                .map(crate::media_targets::default_target)
                .transpose()?,
            fit,
            ..ImportOptions::default()
        };
        let decl = crate::jobs::input_declarations(t)
            .into_iter()
            .find(|d| d.role.as_str() == role)
            .ok_or_else(|| CoreError::InputNotAccepted {
                role: role.to_string(),
                accepted: crate::jobs::input_declarations(t)
                    .into_iter()
                    .map(|d| d.label)
                    .collect(),
            })?;
        let (db, data_dir, path) = (
            self.db().clone(),
            self.data_dir().to_path_buf(),
            path.to_path_buf(),
        );
        crate::store::off_thread(move || {
            let (asset, warnings) = crate::assets::import_file(
                &db,
                &data_dir,
                &path,
                decl.role.as_str(),
                decl.media_kind(),
                &decl.import_options(&options),
            )?;
            Ok(ImportedInput { asset, warnings })
        })
        .await
    }
}

/// What a dropped file is, by its bytes (a demo pack by its extension).
pub fn probe_path(path: &str) -> ProbedPath {
    let p = Path::new(path);
    let is_pack = p
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(crate::demo::PACK_EXTENSION));
    if is_pack {
        return ProbedPath {
            path: path.to_string(),
            kind: Some("demo_pack".into()),
            error: None,
        };
    }
    match animatrix_media::sniff(p) {
        Ok(s) => ProbedPath {
            path: path.to_string(),
            kind: Some(
                match s.kind {
                    MediaKind::Image => "image",
                    MediaKind::Audio => "audio",
                    MediaKind::Video => "video",
                }
                .into(),
            ),
            error: None,
        },
        Err(e) => {
            tracing::warn!(file = %path, error = %e, "dropped file refused");
            ProbedPath {
                path: path.to_string(),
                kind: None,
                error: Some(e.explain()),
            }
        }
    }
}
