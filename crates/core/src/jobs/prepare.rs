//! Every local check of a request, before any job row or network: the template, the prompt, the
//! seed, the inputs against the manifest's declarations, media import into the asset store, and
//! a dry bind that settles frame count and size. Bad input never becomes a job.

use std::path::Path;

use animatrix_media::{AspectTarget, ImportOptions};
use animatrix_workflow::{BoundGraph, Catalog, MAX_SEED, OsSeedSource, SeedSource, Template};


use super::binding::{self, InputDecl};
use super::model::{InputSource, JobInput, JobRequest, Role, TemplateRef};
use crate::assets::{self, AssetRecord};
use super::engine::Engine;
use crate::CoreError;
use crate::store::Db;

/// The job id bound into dry runs; the real id replaces it when the job is queued.
pub const DRY_RUN_JOB_ID: &str = "00000000-0000-0000-0000-000000000000";

/// An input after import: the asset that fills `role` at `position`.
#[derive(Debug, Clone)]
pub struct PreparedInput {
    pub role: Role,
    pub position: i64,
    pub asset: AssetRecord,
}

/// A request that passed every local check.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The request as it will be stored: inputs as asset ids, the seed resolved, the media
    /// facts of the driving input filled in, the template version pinned.
    pub request: JobRequest,
    pub template: TemplateRef,
    /// The studio (manifest `mode`).
    pub mode: String,
    pub inputs: Vec<PreparedInput>,
    /// The dry bind: profile, aspect, size, frames.
    pub preview: BoundGraph,
    pub warnings: Vec<String>,
}

/// The template a request names (its pinned version when given and still installed).
pub fn template_for<'c>(
    catalog: &'c Catalog,
    request: &JobRequest,
) -> Result<&'c Template, CoreError> {
    let name = &request.settings.template;
    match &request.template_version {
        Some(v) => match catalog.get(name, v) {
            Ok(t) => Ok(t),
            Err(_) => Ok(catalog.latest(name)?),
        },
        None => Ok(catalog.latest(name)?),
    }
}

pub fn prepare(engine: &Engine, mut req: JobRequest) -> Result<Prepared, CoreError> {
    let catalog = engine.catalog();
    let template = template_for(catalog, &req)?;
    let manifest = template.manifest();
    if req.settings.prompt.trim().is_empty() {
        return Err(CoreError::InvalidSetting {
            key: "prompt".into(),
            reason: "describe what the character should do".into(),
        });
    }
    if req.settings.seed < 0 {
        req.settings.seed = (OsSeedSource.next_seed() & MAX_SEED) as i64;
    }
    let decls = binding::declarations(template);
    check_roles(&req, &decls)?;
    let base = ImportOptions {
        fit: req.fit,
        ..ImportOptions::default()
    };
    let db = engine.db();
    let mut imported: Vec<PreparedInput> = Vec::new();
    let mut warnings = Vec::new();
    // Audio and video first: the driving input's facts decide the frame count; images that are
    // fitted to the output need the size the dry bind reports.
    for decl in decls.iter().filter(|d| !d.is_image()) {
        for (position, input) in req.inputs_of(decl.role.as_str()).enumerate() {
            let (asset, w) = resolve(engine, db, input, decl, &base)?;
            warnings.extend(w);
            imported.push(PreparedInput {
                role: decl.role.clone(),
                position: position as i64,
                asset,
            });
        }
    }
    req.settings.media = binding::media_facts(template, &imported);
    let preview = binding::dry_bind(template, &req.settings, &decls, &req)?;
    let target = AspectTarget::new(preview.width, preview.height)?;
    for decl in decls.iter().filter(|d| d.is_image()) {
        let options = ImportOptions {
            target: decl.fit_output.then_some(target),
            ..base.clone()
        };
        for (position, input) in req.inputs_of(decl.role.as_str()).enumerate() {
            let (asset, w) = resolve(engine, db, input, decl, &options)?;
            warnings.extend(w);
            if let Some(note) = &decl.guidance {
                warnings.push(note.clone());
            }
            imported.push(PreparedInput {
                role: decl.role.clone(),
                position: position as i64,
                asset,
            });
        }
    }
    warnings.extend(preview.warnings.iter().map(|w| w.message.clone()));
    // Stored with asset ids so retry and replay never need the original files.
    req.inputs = imported
        .iter()
        .map(|i| JobInput {
            role: i.role.clone(),
            source: InputSource::Asset(i.asset.id.clone()),
        })
        .collect();
    req.template_version = Some(manifest.version.to_string());
    Ok(Prepared {
        template: TemplateRef {
            name: manifest.name.clone(),
            version: manifest.version.to_string(),
        },
        mode: binding::mode_of(template),
        request: req,
        inputs: imported,
        preview,
        warnings,
    })
}

/// Every role in the request is declared by the template, no role has more inputs than it
/// takes, and every required role has one.
fn check_roles(req: &JobRequest, decls: &[InputDecl]) -> Result<(), CoreError> {
    for input in &req.inputs {
        if !decls.iter().any(|d| d.role == input.role) {
            return Err(CoreError::InputNotAccepted {
                role: input.role.to_string(),
                accepted: decls.iter().map(|d| d.label.clone()).collect(),
            });
        }
    }
    for d in decls {
        let n = req.inputs_of(d.role.as_str()).count();
        if n == 0 && d.required {
            return Err(CoreError::InputMissing {
                role: d.role.to_string(),
                label: d.label.clone(),
            });
        }
        if n > d.max as usize {
            return Err(CoreError::TooManyInputs {
                label: d.label.clone(),
                max: d.max,
            });
        }
    }
    Ok(())
}

/// Imports a file, or reads a stored asset (re-fitting an image that must match the output).
fn resolve(
    engine: &Engine,
    db: &Db,
    input: &JobInput,
    decl: &InputDecl,
    options: &ImportOptions,
) -> Result<(AssetRecord, Vec<String>), CoreError> {
    match &input.source {
        InputSource::File(path) => import(engine, path, decl, options),
        InputSource::Asset(id) => {
            let asset = db.read_blocking(|c| assets::get(c, id))?;
            // A replayed image may need another fit (other aspect): re-import its stored
            // (already clean) file, which dedups when nothing changes.
            if decl.fit_output && options.target.is_some() {
                return import(engine, &asset.path(), decl, options);
            }
            Ok((asset, Vec::new()))
        }
    }
}

fn import(
    engine: &Engine,
    path: &Path,
    decl: &InputDecl,
    options: &ImportOptions,
) -> Result<(AssetRecord, Vec<String>), CoreError> {
    engine.import_asset(path, decl.role.as_str(), decl.media_role(), options)
}
