//! One template version: `graph.json` + `manifest.json`, checked against each other on load.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::WorkflowError;
use crate::graph::ApiGraph;
use crate::manifest::{InputDecl, Manifest, Profile};

#[derive(Debug, Clone)]
pub struct Template {
    manifest: Manifest,
    graph: ApiGraph,
    dir: Option<PathBuf>,
    digest: String,
}

impl Template {
    /// Loads `dir/manifest.json` and `dir/graph.json`.
    pub fn load(dir: &Path) -> Result<Self, WorkflowError> {
        let manifest_path = dir.join("manifest.json");
        let graph_path = dir.join("graph.json");
        let manifest_text = read(&manifest_path)?;
        let graph_text = read(&graph_path)?;
        let manifest: Manifest =
            serde_json::from_str(&manifest_text).map_err(|source| WorkflowError::Parse {
                path: manifest_path.clone(),
                source,
            })?;
        let graph: ApiGraph =
            serde_json::from_str(&graph_text).map_err(|source| WorkflowError::Parse {
                path: graph_path.clone(),
                source,
            })?;
        let mut t = Self::from_parts(manifest, graph, &manifest_text, &graph_text)?;
        t.dir = Some(dir.to_path_buf());
        Ok(t)
    }

    /// Builds a template from JSON texts (tests, embedded templates).
    pub fn from_json(manifest: &str, graph: &str) -> Result<Self, WorkflowError> {
        let m: Manifest =
            serde_json::from_str(manifest).map_err(|source| WorkflowError::Parse {
                path: PathBuf::from("manifest.json"),
                source,
            })?;
        let g: ApiGraph = serde_json::from_str(graph).map_err(|source| WorkflowError::Parse {
            path: PathBuf::from("graph.json"),
            source,
        })?;
        Self::from_parts(m, g, manifest, graph)
    }

    fn from_parts(
        manifest: Manifest,
        graph: ApiGraph,
        manifest_text: &str,
        graph_text: &str,
    ) -> Result<Self, WorkflowError> {
        crate::check::check(&manifest, &graph).map_err(|problem| {
            WorkflowError::TemplateInvalid {
                template: format!("{} {}", manifest.name, manifest.version),
                problem,
            }
        })?;
        // Line endings are normalized so a Windows checkout (autocrlf) hashes the same.
        let mut h = Sha256::new();
        h.update(manifest_text.replace("\r\n", "\n").as_bytes());
        h.update([0u8]);
        h.update(graph_text.replace("\r\n", "\n").as_bytes());
        let digest = h
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Ok(Self {
            manifest,
            graph,
            dir: None,
            digest,
        })
    }

    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    pub fn version(&self) -> &semver::Version {
        &self.manifest.version
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The unbound graph exactly as `graph.json` holds it.
    pub fn graph(&self) -> &ApiGraph {
        &self.graph
    }

    /// Folder the template was loaded from, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// sha256 over manifest and graph text (LF line endings): identifies the exact template a
    /// job ran, and pins released versions (`workflows/released.json`).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Every node class used by the graph and the extension fragment.
    pub fn node_classes(&self) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = self.graph.values().map(|n| n.class_type.as_str()).collect();
        if let Some(ext) = &self.manifest.extension {
            out.extend(ext.fragment.values().map(|n| n.class_type.as_str()));
        }
        out
    }

    /// Profile names in the manifest's order.
    pub fn profile_names(&self) -> Vec<String> {
        self.manifest.profiles.keys().cloned().collect()
    }

    /// Aspect names (same for every profile), in the default profile's order.
    pub fn aspect_names(&self) -> Vec<String> {
        self.default_profile()
            .map(|p| p.resolution.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The default profile (it exists: checked at load).
    pub(crate) fn default_profile(&self) -> Option<&Profile> {
        self.manifest.profiles.get(&self.manifest.defaults.profile)
    }

    /// The declared input of `role`, if any.
    pub fn input(&self, role: &str) -> Option<&InputDecl> {
        self.manifest.inputs.get(role)
    }

    /// The role whose file drives the output's length, if the timeline follows an input.
    pub fn timeline_role(&self) -> Option<&str> {
        match &self.manifest.timeline.source {
            crate::manifest::TimelineSource::Input(role) => Some(role),
            crate::manifest::TimelineSource::Fixed => None,
        }
    }
}

fn read(path: &Path) -> Result<String, WorkflowError> {
    std::fs::read_to_string(path).map_err(|source| WorkflowError::Io {
        path: path.to_path_buf(),
        source,
    })
}
