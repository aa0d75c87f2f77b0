//! Every template version under `workflows/`, found by walking `*/*/manifest.json`: a new folder
//! is a new template (or version) with no code change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::WorkflowError;
use crate::template::Template;

/// The app version templates are matched against.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct Catalog {
    /// name -> version -> template
    templates: BTreeMap<String, BTreeMap<semver::Version, Template>>,
    app_version: semver::Version,
}

/// A user's template folder [`Catalog::load_with_user_dirs`] left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedTemplate {
    pub folder: PathBuf,
    /// The [`WorkflowError::code`] of the reason.
    pub code: animatrix_common::ErrorCode,
    /// The exact reason, for the log and the operator.
    pub reason: String,
}

impl RejectedTemplate {
    fn new(folder: &Path, e: &WorkflowError) -> Self {
        Self {
            folder: folder.to_path_buf(),
            code: e.code(),
            reason: e.to_string(),
        }
    }
}

/// One row of [`Catalog::list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateSummary {
    pub name: String,
    pub version: String,
    pub display_name: String,
    pub mode: String,
    pub sub_mode: Option<String>,
    pub model_family: String,
    /// Whether this app version may use it.
    pub compatible: bool,
    /// The version [`Catalog::latest`] picks for this name.
    pub latest: bool,
}

impl Catalog {
    /// Loads every `dir/<name>/<version>/manifest.json` for this app's version.
    pub fn load(dir: &Path) -> Result<Self, WorkflowError> {
        let app =
            semver::Version::parse(APP_VERSION).map_err(|e| WorkflowError::InvalidAppVersion {
                version: APP_VERSION.to_owned(),
                reason: e.to_string(),
            })?;
        Self::load_for_app(dir, app)
    }

    /// As [`Catalog::load`], matching `app_version` ranges against `app`.
    pub fn load_for_app(dir: &Path, app: semver::Version) -> Result<Self, WorkflowError> {
        let mut catalog = Self {
            templates: BTreeMap::new(),
            app_version: app,
        };
        for (folder, loaded) in scan(dir)? {
            catalog.add(&folder, loaded?)?;
        }
        catalog.check_studios()?;
        Ok(catalog)
    }

    /// The templates shipped with the app (`bundled`, every error fatal) plus the folders users
    /// drop into `<data dir>/workflows/` (`user_dirs`, missing dirs are fine): a user folder
    /// that does not load, reuses a shipped name and version, or conflicts with another
    /// template's studio is left out and reported, so one bad folder never stops the app.
    pub fn load_with_user_dirs(
        bundled: &Path,
        user_dirs: &[PathBuf],
    ) -> Result<(Self, Vec<RejectedTemplate>), WorkflowError> {
        let mut catalog = Self::load(bundled)?;
        let mut rejected = Vec::new();
        for dir in user_dirs.iter().filter(|d| d.is_dir()) {
            let found = match scan(dir) {
                Ok(found) => found,
                Err(e) => {
                    rejected.push(RejectedTemplate::new(dir, &e));
                    continue;
                }
            };
            for (folder, loaded) in found {
                let checked = loaded.and_then(|t| catalog.add_checked(&folder, t));
                if let Err(e) = checked {
                    rejected.push(RejectedTemplate::new(&folder, &e));
                }
            }
        }
        Ok((catalog, rejected))
    }

    /// Adds a template loaded from `folder`, which must be `<name>/<version>` of it.
    fn add(&mut self, folder: &Path, t: Template) -> Result<(), WorkflowError> {
        let file_name = |p: &Path| {
            p.file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_owned()
        };
        let folder_name = folder.parent().map(file_name).unwrap_or_default();
        if t.name() != folder_name || t.version().to_string() != file_name(folder) {
            return Err(WorkflowError::TemplateFolderMismatch {
                template: format!("{} {}", t.name(), t.version()),
                folder: folder.to_path_buf(),
            });
        }
        let versions = self.templates.entry(t.name().to_owned()).or_default();
        if let Some(first) = versions.get(t.version()) {
            return Err(WorkflowError::DuplicateTemplate {
                name: t.name().to_owned(),
                version: t.version().to_string(),
                first: first.dir().map(Path::to_path_buf).unwrap_or_default(),
                second: folder.to_path_buf(),
            });
        }
        versions.insert(t.version().clone(), t);
        Ok(())
    }

    /// [`Catalog::add`], undone when the catalog's studios no longer agree.
    fn add_checked(&mut self, folder: &Path, t: Template) -> Result<(), WorkflowError> {
        let (name, version) = (t.name().to_owned(), t.version().clone());
        self.add(folder, t)?;
        self.check_studios().inspect_err(|_| {
            if let Some(versions) = self.templates.get_mut(&name) {
                versions.remove(&version);
                if versions.is_empty() {
                    self.templates.remove(&name);
                }
            }
        })
    }

    /// Across templates: a mode has one label, either every template of a mode has a sub-mode
    /// or none does, and no two templates claim the same mode and sub-mode (versions of one
    /// template share theirs).
    fn check_studios(&self) -> Result<(), WorkflowError> {
        let mut labels: BTreeMap<&str, &str> = BTreeMap::new();
        let mut with_sub: BTreeMap<&str, bool> = BTreeMap::new();
        let mut claims: BTreeMap<(&str, Option<&str>), &str> = BTreeMap::new();
        for t in self.templates() {
            let m = t.manifest();
            match labels.insert(&m.mode, &m.mode_label) {
                Some(first) if first != m.mode_label => {
                    return Err(WorkflowError::ModeLabelConflict {
                        mode: m.mode.clone(),
                        first: first.to_owned(),
                        second: m.mode_label.clone(),
                    });
                }
                _ => {}
            }
            if with_sub
                .insert(&m.mode, m.sub_mode.is_some())
                .is_some_and(|had| had != m.sub_mode.is_some())
            {
                return Err(WorkflowError::SubModeMixed {
                    mode: m.mode.clone(),
                });
            }
            match claims.insert((&m.mode, m.sub_mode.as_deref()), &m.name) {
                Some(first) if first != m.name => {
                    return Err(WorkflowError::DuplicateStudio {
                        mode: m.mode.clone(),
                        sub_mode: m.sub_mode.clone(),
                        first: first.to_owned(),
                        second: m.name.clone(),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn app_version(&self) -> &semver::Version {
        &self.app_version
    }

    /// Highest version of `name` whose `app_version` range admits this app.
    pub fn latest(&self, name: &str) -> Result<&Template, WorkflowError> {
        let versions = self
            .templates
            .get(name)
            .ok_or_else(|| WorkflowError::TemplateNotFound {
                name: name.to_owned(),
                version: None,
            })?;
        versions
            .values()
            .rev()
            .find(|t| t.manifest().app_version.matches(&self.app_version))
            .ok_or_else(|| WorkflowError::NoCompatibleVersion {
                name: name.to_owned(),
                app_version: self.app_version.to_string(),
            })
    }

    /// An exact version (used to replay a past job on the template it ran with).
    pub fn get(&self, name: &str, version: &str) -> Result<&Template, WorkflowError> {
        let not_found = || WorkflowError::TemplateNotFound {
            name: name.to_owned(),
            version: Some(version.to_owned()),
        };
        let v = semver::Version::parse(version).map_err(|_| not_found())?;
        self.templates
            .get(name)
            .and_then(|vs| vs.get(&v))
            .ok_or_else(not_found)
    }

    /// Every template version, sorted by name then version.
    pub fn list(&self) -> Vec<TemplateSummary> {
        let mut out = Vec::new();
        for (name, versions) in &self.templates {
            let latest = self.latest(name).ok().map(|t| t.version().clone());
            for (version, t) in versions {
                let m = t.manifest();
                out.push(TemplateSummary {
                    name: name.clone(),
                    version: version.to_string(),
                    display_name: m.display_name.clone(),
                    mode: m.mode.clone(),
                    sub_mode: m.sub_mode.clone(),
                    model_family: m.model_family.clone(),
                    compatible: m.app_version.matches(&self.app_version),
                    latest: latest.as_ref() == Some(version),
                });
            }
        }
        out
    }

    /// Every template version.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.values().flat_map(|v| v.values())
    }

    /// The latest compatible template of every name.
    pub fn latest_templates(&self) -> impl Iterator<Item = &Template> {
        self.templates
            .keys()
            .filter_map(|name| self.latest(name).ok())
    }

    /// The latest template of a mode and sub-mode (the CLI's friendly forms). Without a
    /// sub-mode, a mode that has sub-modes gives its default one (the lowest `order`).
    pub fn find(&self, mode: &str, sub_mode: Option<&str>) -> Result<&Template, WorkflowError> {
        let mut of_mode: Vec<&Template> = self
            .latest_templates()
            .filter(|t| t.manifest().mode == mode)
            .collect();
        if of_mode.is_empty() {
            let mut known: Vec<String> = self
                .latest_templates()
                .map(|t| t.manifest().mode.clone())
                .collect();
            known.sort();
            known.dedup();
            return Err(WorkflowError::ModeNotFound {
                mode: mode.to_owned(),
                known,
            });
        }
        of_mode.sort_by_key(|t| (t.manifest().order, t.manifest().sub_mode.clone()));
        let Some(sub) = sub_mode else {
            return Ok(of_mode[0]);
        };
        of_mode
            .iter()
            .find(|t| t.manifest().sub_mode.as_deref() == Some(sub))
            .copied()
            .ok_or_else(|| WorkflowError::SubModeNotFound {
                mode: mode.to_owned(),
                sub_mode: sub.to_owned(),
                known: of_mode
                    .iter()
                    .filter_map(|t| t.manifest().sub_mode.clone())
                    .collect(),
            })
    }
}

/// Every `<name>/<version>/` folder holding a manifest, with the template it loads.
type Scanned = Vec<(PathBuf, Result<Template, WorkflowError>)>;

fn scan(dir: &Path) -> Result<Scanned, WorkflowError> {
    let mut out = Vec::new();
    for name_dir in sorted_dirs(dir)? {
        for version_dir in sorted_dirs(&name_dir)? {
            if version_dir.join("manifest.json").is_file() {
                let loaded = Template::load(&version_dir);
                out.push((version_dir, loaded));
            }
        }
    }
    Ok(out)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, WorkflowError> {
    let rd = std::fs::read_dir(dir).map_err(|source| WorkflowError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| WorkflowError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
