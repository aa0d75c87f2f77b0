//! Every template version under `workflows/`, found by walking `*/*/manifest.json`: a new folder
//! is a new template (or version) with no code change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::WorkflowError;
use crate::manifest::{AnimateMode, Mode};
use crate::template::Template;

/// The app version templates are matched against.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct Catalog {
    /// name -> version -> template
    templates: BTreeMap<String, BTreeMap<semver::Version, Template>>,
    app_version: semver::Version,
}

/// One row of [`Catalog::list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateSummary {
    pub name: String,
    pub version: String,
    pub display_name: String,
    pub mode: Mode,
    pub sub_mode: Option<AnimateMode>,
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
            semver::Version::parse(APP_VERSION).map_err(|e| WorkflowError::TemplateInvalid {
                template: "<app>".into(),
                reason: format!("app version {APP_VERSION}: {e}"),
            })?;
        Self::load_for_app(dir, app)
    }

    /// As [`Catalog::load`], matching `app_version` ranges against `app`.
    pub fn load_for_app(dir: &Path, app: semver::Version) -> Result<Self, WorkflowError> {
        let mut templates: BTreeMap<String, BTreeMap<semver::Version, Template>> = BTreeMap::new();
        let mut origins: BTreeMap<(String, semver::Version), PathBuf> = BTreeMap::new();
        for name_dir in sorted_dirs(dir)? {
            for version_dir in sorted_dirs(&name_dir)? {
                if !version_dir.join("manifest.json").is_file() {
                    continue;
                }
                let t = Template::load(&version_dir)?;
                let folder_name = name_dir.file_name().and_then(|s| s.to_str()).unwrap_or("");
                let folder_version = version_dir
                    .file_name()
                    .and_then(|s| s.to_str())
                    .unwrap_or("");
                if t.name() != folder_name || t.version().to_string() != folder_version {
                    return Err(WorkflowError::TemplateInvalid {
                        template: format!("{} {}", t.name(), t.version()),
                        reason: format!(
                            "lives in {}, expected <workflows>/{}/{}",
                            version_dir.display(),
                            t.name(),
                            t.version()
                        ),
                    });
                }
                let key = (t.name().to_owned(), t.version().clone());
                if let Some(first) = origins.get(&key) {
                    return Err(WorkflowError::DuplicateTemplate {
                        name: key.0,
                        version: key.1.to_string(),
                        first: first.clone(),
                        second: version_dir,
                    });
                }
                origins.insert(key, version_dir.clone());
                templates
                    .entry(t.name().to_owned())
                    .or_default()
                    .insert(t.version().clone(), t);
            }
        }
        Ok(Self {
            templates,
            app_version: app,
        })
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
                    sub_mode: m.sub_mode,
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

    /// Name of the latest template for a mode (and animate sub-mode), if there is exactly one.
    pub fn name_for(&self, mode: Mode, sub_mode: Option<AnimateMode>) -> Option<&str> {
        let mut names = self.templates.keys().filter(|name| {
            self.latest(name)
                .map(|t| t.manifest().mode == mode && t.manifest().sub_mode == sub_mode)
                .unwrap_or(false)
        });
        let first = names.next()?;
        if names.next().is_some() {
            return None;
        }
        Some(first.as_str())
    }
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
