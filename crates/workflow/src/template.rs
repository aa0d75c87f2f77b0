//! One template version: `graph.json` + `manifest.json`, checked against each other on load.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::WorkflowError;
use crate::graph::{ApiGraph, ApiNode, as_link};
use crate::manifest::{MANIFEST_SCHEMA, Manifest, ParameterKind, Target};

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
        check(&manifest, &graph).map_err(|reason| WorkflowError::TemplateInvalid {
            template: format!("{} {}", manifest.name, manifest.version),
            reason,
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

    /// Profile names in the manifest's order (sorted).
    pub fn profile_names(&self) -> Vec<String> {
        self.manifest.profiles.keys().cloned().collect()
    }

    /// Aspect names (same for every profile).
    pub fn aspect_names(&self) -> Vec<String> {
        self.manifest
            .profiles
            .values()
            .next()
            .map(|p| p.resolution.keys().cloned().collect())
            .unwrap_or_default()
    }
}

fn read(path: &Path) -> Result<String, WorkflowError> {
    std::fs::read_to_string(path).map_err(|source| WorkflowError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn node_in<'a>(
    target: &Target,
    graph: &'a ApiGraph,
    fragment: Option<&'a BTreeMap<String, ApiNode>>,
) -> Result<&'a ApiNode, String> {
    let nodes = if target.extension {
        fragment.ok_or_else(|| {
            format!(
                "target {}.{} is marked extension but there is no extension",
                target.node, target.input
            )
        })?
    } else {
        graph
    };
    nodes.get(&target.node).ok_or_else(|| {
        format!(
            "target node {}{} does not exist",
            target.node,
            if target.extension { " (extension)" } else { "" }
        )
    })
}

/// A target must name an input the node already holds as a literal, so a typo in the manifest
/// can never add a stray input or overwrite a link.
fn check_target(
    target: &Target,
    graph: &ApiGraph,
    fragment: Option<&BTreeMap<String, ApiNode>>,
) -> Result<(), String> {
    let node = node_in(target, graph, fragment)?;
    match node.inputs.get(&target.input) {
        None => Err(format!(
            "node {} ({}) has no input {}",
            target.node, node.class_type, target.input
        )),
        Some(v) if as_link(v).is_some() || is_port(v) => Err(format!(
            "input {}.{} is a link, not a value",
            target.node, target.input
        )),
        Some(_) => Ok(()),
    }
}

pub(crate) fn is_port(v: &Value) -> bool {
    port_name(v).is_some()
}

pub(crate) fn port_name(v: &Value) -> Option<&str> {
    let obj = v.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    obj.get("port")?.as_str()
}

fn check(m: &Manifest, graph: &ApiGraph) -> Result<(), String> {
    if m.schema != MANIFEST_SCHEMA {
        return Err(format!(
            "manifest schema {} (this app reads {MANIFEST_SCHEMA})",
            m.schema
        ));
    }
    if m.name.is_empty()
        || !m
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!("name {:?} must be lowercase snake_case", m.name));
    }
    if graph.is_empty() {
        return Err("graph.json has no nodes".into());
    }
    let fragment = m.extension.as_ref().map(|e| &e.fragment);

    // Graph links point at existing nodes.
    for (id, node) in graph {
        for (name, v) in &node.inputs {
            if let Some((src, _)) = as_link(v)
                && !graph.contains_key(src)
            {
                return Err(format!(
                    "graph node {id}.{name} links to missing node {src}"
                ));
            }
            if is_port(v) {
                return Err(format!(
                    "graph node {id}.{name} uses a port outside the extension"
                ));
            }
        }
    }

    // Declared node classes cover the graph exactly.
    let declared: BTreeSet<&str> = m.nodes.iter().map(|n| n.class.as_str()).collect();
    let mut used: BTreeSet<&str> = graph.values().map(|n| n.class_type.as_str()).collect();
    if let Some(f) = fragment {
        used.extend(f.values().map(|n| n.class_type.as_str()));
    }
    if let Some(missing) = used.difference(&declared).next() {
        return Err(format!(
            "node class {missing} is used but not declared in nodes"
        ));
    }
    if let Some(extra) = declared.difference(&used).next() {
        return Err(format!("node class {extra} is declared but not used"));
    }
    for n in &m.nodes {
        if !m.packs.contains_key(&n.pack) {
            return Err(format!(
                "node class {} names unknown pack {}",
                n.class, n.pack
            ));
        }
    }

    for (name, input) in &m.inputs {
        if input.targets.is_empty() {
            return Err(format!("input {name} has no targets"));
        }
        for t in &input.targets {
            check_target(t, graph, fragment)?;
        }
    }

    for mi in &m.models {
        let t = Target {
            node: mi.node.clone(),
            input: mi.input.clone(),
            extension: false,
        };
        check_target(&t, graph, None)?;
        if !graph[&mi.node].inputs[&mi.input].is_string() {
            return Err(format!(
                "model input {}.{} is not a file name",
                mi.node, mi.input
            ));
        }
    }

    let s = &m.slots;
    for (slot, targets) in [
        ("prompt", &s.prompt),
        ("negative_prompt", &s.negative_prompt),
        ("seed", &s.seed),
        ("steps", &s.steps),
        ("cfg", &s.cfg),
        ("sampler_name", &s.sampler_name),
        ("scheduler", &s.scheduler),
        ("width", &s.width),
        ("height", &s.height),
        ("frame_count", &s.frame_count),
        ("source_frame_count", &s.source_frame_count),
        ("chunk_count", &s.chunk_count),
        ("video_prefix", &s.video_prefix),
        ("poster_prefix", &s.poster_prefix),
        ("points", &s.points),
        ("points_store", &s.points_store),
    ] {
        for t in targets {
            check_target(t, graph, fragment).map_err(|e| format!("slot {slot}: {e}"))?;
        }
    }
    if s.video_prefix.is_empty() || s.poster_prefix.is_empty() {
        return Err("slots video_prefix and poster_prefix are required".into());
    }
    if m.limits.max_points > 0 && s.points.is_empty() {
        return Err("max_points > 0 but no points slot".into());
    }

    let t = &m.timeline;
    if t.first_chunk_frames == 0 || (m.extension.is_some() && t.extension_frames == 0) {
        return Err("timeline frame counts must be positive".into());
    }
    if let Some(fps) = t.fps
        && !(fps.is_finite() && fps > 0.0)
    {
        return Err("timeline fps must be positive".into());
    }

    if let Some(ext) = &m.extension {
        check_extension(ext, graph)?;
    }

    // Profiles.
    if m.profiles.is_empty() {
        return Err("no quality profiles".into());
    }
    let mut aspects: Option<BTreeSet<&String>> = None;
    for (name, p) in &m.profiles {
        let keys: BTreeSet<&String> = p.resolution.keys().collect();
        if keys.is_empty() {
            return Err(format!("profile {name} has no resolutions"));
        }
        match &aspects {
            None => aspects = Some(keys),
            Some(a) if *a != keys => {
                return Err(format!(
                    "profile {name} has different aspects than the others"
                ));
            }
            Some(_) => {}
        }
        for (aspect, [w, h]) in &p.resolution {
            if *w == 0 || *h == 0 || w % 16 != 0 || h % 16 != 0 {
                return Err(format!(
                    "profile {name} aspect {aspect}: {w}x{h} is not a multiple of 16"
                ));
            }
        }
        if p.steps == 0
            || p.max_chunks == 0
            || p.max_duration_secs.is_nan()
            || p.max_duration_secs <= 0.0
        {
            return Err(format!(
                "profile {name}: steps, max_chunks and max_duration_secs must be positive"
            ));
        }
        if m.extension.is_none() && p.max_chunks != 1 {
            return Err(format!(
                "profile {name}: max_chunks must be 1 without an extension"
            ));
        }
        for sv in &p.set {
            let t = Target {
                node: sv.node.clone(),
                input: sv.input.clone(),
                extension: sv.extension,
            };
            check_target(&t, graph, fragment).map_err(|e| format!("profile {name}: {e}"))?;
        }
        for b in &p.bypass {
            check_bypass(b, graph).map_err(|e| format!("profile {name}: {e}"))?;
        }
    }
    if !m.profiles.contains_key(&m.defaults.profile) {
        return Err(format!(
            "default profile {} does not exist",
            m.defaults.profile
        ));
    }
    if !aspects.is_some_and(|a| a.contains(&m.defaults.aspect)) {
        return Err(format!(
            "default aspect {} does not exist",
            m.defaults.aspect
        ));
    }
    match &m.defaults.framing {
        Some(f) if !m.framings.contains_key(f) => {
            return Err(format!("default framing {f} does not exist"));
        }
        None if !m.framings.is_empty() => {
            return Err("framings are defined but there is no default framing".into());
        }
        _ => {}
    }
    for (name, f) in &m.framings {
        if !(f.resolution_scale.is_finite() && f.resolution_scale > 0.0) {
            return Err(format!("framing {name}: resolution_scale must be positive"));
        }
    }

    // Parameters.
    let mut seen = BTreeSet::new();
    for p in &m.parameters {
        if !seen.insert(p.name.as_str()) {
            return Err(format!("parameter {} is declared twice", p.name));
        }
        let effects: Vec<&crate::manifest::Effect> = match &p.kind {
            ParameterKind::Int {
                min,
                max,
                default,
                targets,
            } => {
                if !(min <= default && default <= max) {
                    return Err(format!("parameter {}: default outside range", p.name));
                }
                for t in targets {
                    check_target(t, graph, fragment)?;
                }
                vec![]
            }
            ParameterKind::Float {
                min,
                max,
                default,
                targets,
            } => {
                if !(min <= default && default <= max) {
                    return Err(format!("parameter {}: default outside range", p.name));
                }
                for t in targets {
                    check_target(t, graph, fragment)?;
                }
                vec![]
            }
            ParameterKind::Bool { on, off, .. } => vec![on, off],
            ParameterKind::Choice { default, options } => {
                if !options.iter().any(|o| &o.value == default) {
                    return Err(format!("parameter {}: default is not an option", p.name));
                }
                options.iter().map(|o| &o.effect).collect()
            }
        };
        for e in effects {
            for sv in &e.set {
                let t = Target {
                    node: sv.node.clone(),
                    input: sv.input.clone(),
                    extension: sv.extension,
                };
                check_target(&t, graph, fragment)
                    .map_err(|err| format!("parameter {}: {err}", p.name))?;
            }
            for b in &e.bypass {
                check_bypass(b, graph).map_err(|err| format!("parameter {}: {err}", p.name))?;
            }
        }
    }
    Ok(())
}

fn check_bypass(b: &crate::manifest::Bypass, graph: &ApiGraph) -> Result<(), String> {
    let node = graph
        .get(&b.node)
        .ok_or_else(|| format!("bypass of missing node {}", b.node))?;
    match node.inputs.get(&b.input) {
        Some(v) if as_link(v).is_some() => Ok(()),
        _ => Err(format!(
            "bypass of {} needs input {} to be a link",
            b.node, b.input
        )),
    }
}

fn check_extension(ext: &crate::manifest::Extension, graph: &ApiGraph) -> Result<(), String> {
    if ext.fragment.is_empty() {
        return Err("extension fragment is empty".into());
    }
    for id in ext.fragment.keys() {
        if graph.contains_key(id) {
            return Err(format!(
                "extension node id {id} also exists in graph.json (ids must be distinct)"
            ));
        }
    }
    for (port, v) in &ext.ports {
        match as_link(v) {
            Some((src, _)) if graph.contains_key(src) => {}
            _ => return Err(format!("port {port} must start as a link into graph.json")),
        }
        match ext.outputs.get(port).and_then(as_link) {
            Some((src, _)) if ext.fragment.contains_key(src) => {}
            _ => {
                return Err(format!(
                    "port {port} needs an output link into the fragment"
                ));
            }
        }
    }
    if ext.outputs.len() != ext.ports.len() {
        return Err("extension outputs must match its ports".into());
    }
    for (id, node) in &ext.fragment {
        for (name, v) in &node.inputs {
            if let Some(p) = port_name(v) {
                if !ext.ports.contains_key(p) {
                    return Err(format!("fragment {id}.{name} uses unknown port {p}"));
                }
            } else if let Some((src, _)) = as_link(v)
                && !ext.fragment.contains_key(src)
                && !graph.contains_key(src)
            {
                return Err(format!("fragment {id}.{name} links to missing node {src}"));
            }
        }
    }
    for c in &ext.consumers {
        if !ext.ports.contains_key(&c.port) {
            return Err(format!(
                "consumer {}.{} names unknown port {}",
                c.node, c.input, c.port
            ));
        }
        match graph.get(&c.node).and_then(|n| n.inputs.get(&c.input)) {
            Some(v) if as_link(v).is_some() => {}
            _ => {
                return Err(format!(
                    "consumer {}.{} must be an existing link input",
                    c.node, c.input
                ));
            }
        }
    }
    Ok(())
}
