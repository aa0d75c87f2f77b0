//! Rules about references into the graph: targets, links, bypasses and the extension block.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::SchemaError;
use crate::graph::{ApiGraph, ApiNode, as_link};
use crate::manifest::{Bypass, Extension, Target};

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

/// The graph and the extension fragment (if any) a target may point into.
pub(crate) struct Nodes<'a> {
    pub graph: &'a ApiGraph,
    pub fragment: Option<&'a BTreeMap<String, ApiNode>>,
}

impl Nodes<'_> {
    fn node(&self, what: &str, target: &Target) -> Result<&ApiNode, SchemaError> {
        let nodes = if target.extension {
            self.fragment.ok_or_else(|| SchemaError::NoExtension {
                what: what.to_owned(),
                node: target.node.clone(),
                input: target.input.clone(),
            })?
        } else {
            self.graph
        };
        nodes
            .get(&target.node)
            .ok_or_else(|| SchemaError::TargetNodeMissing {
                what: what.to_owned(),
                node: target.node.clone(),
                extension: target.extension,
            })
    }

    /// A target must name an input the node already holds as a literal, so a typo in the
    /// manifest can never add a stray input or overwrite a link.
    pub fn target(&self, what: &str, target: &Target) -> Result<(), SchemaError> {
        let node = self.node(what, target)?;
        match node.inputs.get(&target.input) {
            None => Err(SchemaError::TargetInputMissing {
                what: what.to_owned(),
                node: target.node.clone(),
                class: node.class_type.clone(),
                input: target.input.clone(),
            }),
            Some(v) if as_link(v).is_some() || is_port(v) => Err(SchemaError::TargetIsLink {
                what: what.to_owned(),
                node: target.node.clone(),
                input: target.input.clone(),
            }),
            Some(_) => Ok(()),
        }
    }

    pub fn targets<'t>(
        &self,
        what: &str,
        targets: impl IntoIterator<Item = &'t Target>,
    ) -> Result<(), SchemaError> {
        targets.into_iter().try_for_each(|t| self.target(what, t))
    }
}

pub(crate) fn check_bypass(what: &str, b: &Bypass, graph: &ApiGraph) -> Result<(), SchemaError> {
    let node = graph
        .get(&b.node)
        .ok_or_else(|| SchemaError::BypassNodeMissing {
            what: what.to_owned(),
            node: b.node.clone(),
        })?;
    match node.inputs.get(&b.input) {
        Some(v) if as_link(v).is_some() => Ok(()),
        _ => Err(SchemaError::BypassNotLink {
            what: what.to_owned(),
            node: b.node.clone(),
            input: b.input.clone(),
        }),
    }
}

/// Graph links point at existing nodes, and ports only appear inside the extension.
pub(crate) fn check_links(graph: &ApiGraph) -> Result<(), SchemaError> {
    if graph.is_empty() {
        return Err(SchemaError::EmptyGraph);
    }
    for (id, node) in graph {
        for (name, v) in &node.inputs {
            if let Some((src, _)) = as_link(v)
                && !graph.contains_key(src)
            {
                return Err(SchemaError::GraphLinkMissing {
                    node: id.clone(),
                    input: name.clone(),
                    target: src.to_owned(),
                });
            }
            if is_port(v) {
                return Err(SchemaError::PortOutsideExtension {
                    node: id.clone(),
                    input: name.clone(),
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn check_extension(ext: &Extension, graph: &ApiGraph) -> Result<(), SchemaError> {
    if ext.fragment.is_empty() {
        return Err(SchemaError::ExtensionEmpty);
    }
    if let Some(id) = ext.fragment.keys().find(|id| graph.contains_key(*id)) {
        return Err(SchemaError::ExtensionIdClash { id: id.clone() });
    }
    for (port, v) in &ext.ports {
        if !as_link(v).is_some_and(|(src, _)| graph.contains_key(src)) {
            return Err(SchemaError::PortStart { port: port.clone() });
        }
        let out = ext.outputs.get(port).and_then(as_link);
        if !out.is_some_and(|(src, _)| ext.fragment.contains_key(src)) {
            return Err(SchemaError::PortOutput { port: port.clone() });
        }
    }
    if ext.outputs.len() != ext.ports.len() {
        return Err(SchemaError::PortsOutputsMismatch);
    }
    for (id, node) in &ext.fragment {
        for (name, v) in &node.inputs {
            if let Some(p) = port_name(v) {
                if !ext.ports.contains_key(p) {
                    return Err(SchemaError::FragmentUnknownPort {
                        node: id.clone(),
                        input: name.clone(),
                        port: p.to_owned(),
                    });
                }
            } else if let Some((src, _)) = as_link(v)
                && !ext.fragment.contains_key(src)
                && !graph.contains_key(src)
            {
                return Err(SchemaError::FragmentLinkMissing {
                    node: id.clone(),
                    input: name.clone(),
                    target: src.to_owned(),
                });
            }
        }
    }
    for c in &ext.consumers {
        if !ext.ports.contains_key(&c.port) {
            return Err(SchemaError::ConsumerUnknownPort {
                node: c.node.clone(),
                input: c.input.clone(),
                port: c.port.clone(),
            });
        }
        let input = graph.get(&c.node).and_then(|n| n.inputs.get(&c.input));
        if input.is_none_or(|v| as_link(v).is_none()) {
            return Err(SchemaError::ConsumerNotLink {
                node: c.node.clone(),
                input: c.input.clone(),
            });
        }
    }
    Ok(())
}
