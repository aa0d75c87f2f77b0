//! Edits of the bound graph beyond writing values: bypassed nodes (a profile's LoRA switched
//! off) and the loaders of optional inputs that were left out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::WorkflowError;
use crate::check::loader_nodes;
use crate::graph::{ApiGraph, as_link};
use crate::manifest::{Bypass, Manifest, Target};
use crate::settings::UploadedInputs;
use crate::template::Template;

/// Writes a literal into an input that already holds a literal (checked at load).
pub(super) fn write(
    nodes: &mut ApiGraph,
    t: &Target,
    v: Value,
    template: &str,
) -> Result<(), WorkflowError> {
    let slot = nodes
        .get_mut(&t.node)
        .and_then(|n| n.inputs.get_mut(&t.input))
        .ok_or_else(|| WorkflowError::BindInvariant {
            template: template.to_owned(),
            reason: format!("target {}.{} does not exist", t.node, t.input),
        })?;
    *slot = v;
    Ok(())
}

pub(super) fn apply_bypass(
    graph: &mut ApiGraph,
    bypass: &BTreeSet<Bypass>,
    template: &Template,
) -> Result<(), WorkflowError> {
    if bypass.is_empty() {
        return Ok(());
    }
    let through: BTreeMap<&str, &str> = bypass
        .iter()
        .map(|b| (b.node.as_str(), b.input.as_str()))
        .collect();
    // Follow chains of bypassed nodes to the first one that stays.
    let mut replacement: BTreeMap<String, Value> = BTreeMap::new();
    for node in through.keys() {
        let mut current = (*node).to_owned();
        let mut hops = 0;
        let resolved = loop {
            let input = through[current.as_str()];
            let v = graph
                .get(&current)
                .and_then(|n| n.inputs.get(input))
                .cloned()
                .ok_or_else(|| WorkflowError::BindInvariant {
                    template: template.name().to_owned(),
                    reason: format!("bypass input {current}.{input} is missing"),
                })?;
            let (src, _) = as_link(&v).ok_or_else(|| WorkflowError::BindInvariant {
                template: template.name().to_owned(),
                reason: format!("bypass input {current}.{input} is not a link"),
            })?;
            hops += 1;
            if through.contains_key(src) && hops <= through.len() {
                current = src.to_owned();
            } else {
                break v;
            }
        };
        replacement.insert((*node).to_owned(), resolved);
    }
    for (id, rep) in &replacement {
        graph.remove(id);
        for node in graph.values_mut() {
            for v in node.inputs.values_mut() {
                if as_link(v).is_some_and(|(src, _)| src == id) {
                    *v = rep.clone();
                }
            }
        }
    }
    Ok(())
}

/// Takes out the loaders of each optional input the job left out (`when_absent`) and the
/// consumer inputs that linked to them, from the graph and from the extension fragment before
/// it is repeated. Load checks guarantee nothing else points at what goes.
pub(super) fn leave_out_absent(
    m: &Manifest,
    uploads: &UploadedInputs,
    graph: &mut ApiGraph,
    fragment: &mut ApiGraph,
    template: &Template,
) -> Result<(), WorkflowError> {
    let missing = |what: String| WorkflowError::BindInvariant {
        template: template.name().to_owned(),
        reason: format!("when_absent: {what} does not exist"),
    };
    for (role, input) in &m.inputs {
        let Some(absent) = &input.when_absent else {
            continue;
        };
        if uploads.get(role).is_some() {
            continue;
        }
        for node in loader_nodes(input.targets.iter()) {
            graph
                .remove(node)
                .ok_or_else(|| missing(format!("node {node}")))?;
        }
        for t in &absent.drop_links {
            let nodes = if t.extension {
                &mut *fragment
            } else {
                &mut *graph
            };
            nodes
                .get_mut(&t.node)
                .and_then(|n| n.inputs.remove(&t.input))
                .ok_or_else(|| missing(format!("input {}.{}", t.node, t.input)))?;
        }
    }
    Ok(())
}
