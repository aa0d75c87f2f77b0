//! Every local check of a request, before any job row or network: the template, the prompt, the
//! seed, the inputs against the manifest's declarations, media import into the asset store, and
//! a dry bind that settles frame count and size. Bad input never becomes a job.

use std::path::Path;

use animatrix_media::{AspectTarget, ImportOptions};
use animatrix_workflow::{Catalog, MAX_SEED, OsSeedSource, Plan, SeedSource, Template};

use super::binding::{self, InputDecl};
use super::model::{InputSource, JobInput, JobInputRecord, JobRequest, TemplateRef};
use crate::CoreError;
use crate::assets::{self, AssetRecord};
use crate::store::Db;

/// The job id bound into dry runs; the real id replaces it when the job is queued.
pub const DRY_RUN_JOB_ID: &str = "00000000-0000-0000-0000-000000000000";

/// A request that passed every local check.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The request as it will be stored: inputs as asset ids, the seed resolved, the media
    /// facts of the driving input filled in, the template version pinned.
    pub request: JobRequest,
    pub template: TemplateRef,
    /// The studio (manifest `mode`).
    pub mode: String,
    /// The inputs as stored with the job (not uploaded yet).
    pub inputs: Vec<JobInputRecord>,
    /// Profile, aspect, size, frames (without server facts: the server is asked later).
    pub plan: Plan,
    pub warnings: Vec<String>,
}

impl Prepared {
    pub fn frame_count(&self) -> Option<i64> {
        self.plan.timing.as_ref().map(|t| i64::from(t.frame_count))
    }
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

/// The plan of `req` with what is attached so far; its first issue as an error.
fn checked_plan(
    t: &Template,
    req: &JobRequest,
    attached: &animatrix_workflow::Attached,
) -> Result<Plan, CoreError> {
    let plan = animatrix_workflow::plan(t, &req.settings, attached, None);
    match plan.issues.first() {
        Some(issue) => Err(CoreError::NotReady {
            issue: Box::new(issue.clone()),
        }),
        None => Ok(plan),
    }
}

/// Every local check of `req` against `catalog`, importing its files into the data dir's
/// asset store.
pub fn prepare(
    catalog: &Catalog,
    db: &Db,
    data_dir: &Path,
    mut req: JobRequest,
) -> Result<Prepared, CoreError> {
    let template = template_for(catalog, &req)?;
    let manifest = template.manifest();
    if req.settings.seed < 0 {
        req.settings.seed = (OsSeedSource.next_seed() & MAX_SEED) as i64;
    }
    let decls = binding::declarations(template);
    let base = ImportOptions {
        fit: req.fit,
        ..ImportOptions::default()
    };
    let mut imported: Vec<JobInputRecord> = Vec::new();
    let mut warnings = Vec::new();
    // Audio and video first: the driving input's facts decide the frame count; images that are
    // fitted to the output need the size the plan reports.
    for decl in decls.iter().filter(|d| !d.is_image()) {
        for (position, input) in req.inputs_of(decl.role.as_str()).enumerate() {
            let (asset, w) = resolve(db, data_dir, input, decl, &base)?;
            warnings.extend(w);
            imported.push(JobInputRecord {
                role: decl.role.clone(),
                position: position as i64,
                uploaded_name: None,
                asset,
            });
        }
    }
    req.settings.media = binding::media_facts(template, &imported);
    // Everything not imported yet (images, and roles the template does not take) counts as
    // attached without a known size: the plan refuses wrong files before images are imported.
    let mut so_far = binding::attached(imported.iter().map(|i| (&i.role, &i.asset)));
    for input in &req.inputs {
        let done = decls.iter().any(|d| d.role == input.role && !d.is_image());
        if !done {
            so_far.add(input.role.as_str(), None);
        }
    }
    let sized = checked_plan(template, &req, &so_far)?;
    let target = match (sized.width, sized.height) {
        (Some(w), Some(h)) => Some(AspectTarget::new(w, h)?),
        _ => None,
    };
    for decl in decls.iter().filter(|d| d.is_image()) {
        let options = ImportOptions {
            target: if decl.fit_output { target } else { None },
            ..base.clone()
        };
        for (position, input) in req.inputs_of(decl.role.as_str()).enumerate() {
            let (asset, w) = resolve(db, data_dir, input, decl, &options)?;
            warnings.extend(w);
            if let Some(note) = &decl.guidance {
                warnings.push(note.clone());
            }
            imported.push(JobInputRecord {
                role: decl.role.clone(),
                position: position as i64,
                uploaded_name: None,
                asset,
            });
        }
    }
    let attached = binding::attached(imported.iter().map(|i| (&i.role, &i.asset)));
    let plan = checked_plan(template, &req, &attached)?;
    warnings.extend(plan.warnings.iter().map(|w| w.message.clone()));
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
        mode: manifest.mode.clone(),
        request: req,
        inputs: imported,
        plan,
        warnings,
    })
}

/// Imports a file, or reads a stored asset (re-fitting an image that must match the output).
fn resolve(
    db: &Db,
    data_dir: &Path,
    input: &JobInput,
    decl: &InputDecl,
    options: &ImportOptions,
) -> Result<(AssetRecord, Vec<String>), CoreError> {
    match &input.source {
        InputSource::File(path) => import(db, data_dir, path, decl, options),
        InputSource::Asset(id) => {
            let asset = db.read_blocking(|c| assets::get(c, id))?;
            // A replayed image may need another fit (other aspect): re-import its stored
            // (already clean) file, which dedups when nothing changes.
            if decl.fit_output && options.target.is_some() {
                return import(db, data_dir, &asset.path(), decl, options);
            }
            Ok((asset, Vec::new()))
        }
    }
}

fn import(
    db: &Db,
    data_dir: &Path,
    path: &Path,
    decl: &InputDecl,
    options: &ImportOptions,
) -> Result<(AssetRecord, Vec<String>), CoreError> {
    assets::import_file(
        db,
        data_dir,
        path,
        decl.role.as_str(),
        decl.media_kind(),
        &decl.import_options(options),
    )
}
