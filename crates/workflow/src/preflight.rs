//! Can this server run this template? Node classes from `/object_info`, model files from
//! `/models/{folder}`. Pure: the engine fetches (and caches) both.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::graph::as_link;
use crate::object_info::ObjectInfo;
use crate::template::Template;

/// File lists per models folder, as `GET /models/{folder}` returns them. A folder the server
/// does not have (404) is simply absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelsByFolder {
    folders: BTreeMap<String, BTreeSet<String>>,
}

impl ModelsByFolder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert<I, S>(&mut self, folder: impl Into<String>, files: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.folders
            .entry(folder.into())
            .or_default()
            .extend(files.into_iter().map(Into::into));
    }

    pub fn has_folder(&self, folder: &str) -> bool {
        self.folders.contains_key(folder)
    }

    pub fn contains(&self, folder: &str, file: &str) -> bool {
        self.folders.get(folder).is_some_and(|f| f.contains(file))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingNode {
    pub class: String,
    pub pack: String,
    pub pack_name: String,
    pub pack_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingModel {
    pub file: String,
    pub folder: String,
    /// Quality profiles that need this file.
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoDownload {
    pub file: String,
    pub folder: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightReport {
    pub template: String,
    pub version: String,
    /// Every node class present and every profile's model files present.
    pub ready: bool,
    /// Profiles that can run on this server.
    pub ready_profiles: Vec<String>,
    pub missing_nodes: Vec<MissingNode>,
    pub missing_models: Vec<MissingModel>,
    /// Files custom nodes fetch on first use (cannot be checked; first run is slower and needs
    /// internet access on the server).
    pub auto_downloads: Vec<AutoDownload>,
}

/// The model files (folder, file) each profile needs: the loader input's value after the
/// profile's overrides, skipping loaders the profile bypasses.
pub fn required_models(t: &Template) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let m = t.manifest();
    let mut out = BTreeMap::new();
    for (name, p) in &m.profiles {
        let bypassed: BTreeSet<&str> = p.bypass.iter().map(|b| b.node.as_str()).collect();
        let mut files = BTreeSet::new();
        for mi in &m.models {
            if bypassed.contains(mi.node.as_str()) {
                continue;
            }
            let overridden = p
                .set
                .iter()
                .rev()
                .find(|s| !s.extension && s.node == mi.node && s.input == mi.input)
                .map(|s| &s.value);
            let value = overridden.or_else(|| {
                t.graph()
                    .get(&mi.node)
                    .and_then(|n| n.inputs.get(&mi.input))
            });
            if let Some(file) = value.and_then(|v| v.as_str())
                && as_link(value.unwrap_or(&serde_json::Value::Null)).is_none()
            {
                files.insert((mi.folder.clone(), file.to_owned()));
            }
        }
        out.insert(name.clone(), files);
    }
    out
}

/// The `/models/{folder}` lists preflight needs for this template.
pub fn model_folders(t: &Template) -> BTreeSet<String> {
    t.manifest()
        .models
        .iter()
        .map(|m| m.folder.clone())
        .collect()
}

pub fn preflight(t: &Template, info: &ObjectInfo, models: &ModelsByFolder) -> PreflightReport {
    let m = t.manifest();
    let missing_nodes: Vec<MissingNode> = m
        .nodes
        .iter()
        .filter(|n| !info.contains(&n.class))
        .map(|n| {
            let pack = m.packs.get(&n.pack);
            MissingNode {
                class: n.class.clone(),
                pack: n.pack.clone(),
                pack_name: pack.map(|p| p.display_name.clone()).unwrap_or_default(),
                pack_url: pack.map(|p| p.url.clone()).unwrap_or_default(),
            }
        })
        .collect();

    let mut missing: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut ready_profiles = Vec::new();
    for (profile, files) in required_models(t) {
        let mut ok = missing_nodes.is_empty();
        for (folder, file) in files {
            if !models.contains(&folder, &file) {
                ok = false;
                missing
                    .entry((file, folder))
                    .or_default()
                    .push(profile.clone());
            }
        }
        if ok {
            ready_profiles.push(profile);
        }
    }
    let missing_models: Vec<MissingModel> = missing
        .into_iter()
        .map(|((file, folder), profiles)| MissingModel {
            file,
            folder,
            profiles,
        })
        .collect();
    PreflightReport {
        template: t.name().to_owned(),
        version: t.version().to_string(),
        ready: missing_nodes.is_empty() && missing_models.is_empty(),
        ready_profiles,
        missing_nodes,
        missing_models,
        auto_downloads: m
            .auto_models
            .iter()
            .map(|a| AutoDownload {
                file: a.file.clone(),
                folder: a.folder.clone(),
                note: a.note.clone(),
            })
            .collect(),
    }
}
