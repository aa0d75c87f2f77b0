//! The rule for optional inputs left out of a job (`when_absent`): binding removes exactly the
//! input's loader nodes and the consumer inputs the manifest declares optional, and nothing
//! else in the manifest points at what is removed. Checked at load, so binding an absent
//! input can never leave a required input unfed or a dangling link.

use std::collections::BTreeSet;

use crate::SchemaError;
use crate::graph::{ApiGraph, ApiNode, as_link};
use crate::manifest::{Bypass, Effect, Manifest, ParameterKind, Target};

pub(super) fn check_absent(m: &Manifest, graph: &ApiGraph) -> Result<(), SchemaError> {
    for (role, input) in &m.inputs {
        let Some(absent) = &input.when_absent else {
            continue;
        };
        if input.required {
            return Err(SchemaError::AbsentOnRequired { role: role.clone() });
        }
        if !input.is_bound() {
            return Err(SchemaError::AbsentUnbound { role: role.clone() });
        }
        if input.targets.iter().any(|t| t.extension) {
            return Err(SchemaError::AbsentExtensionTarget { role: role.clone() });
        }
        let loaders = loader_nodes(input.targets.iter());
        let cut = links_into(&loaders, graph, m.extension.as_ref().map(|e| &e.fragment));
        let declared: BTreeSet<&Target> = absent.drop_links.iter().collect();
        if let Some(t) = cut.iter().find(|t| !declared.contains(t)) {
            return Err(SchemaError::AbsentCutsRequiredInput {
                role: role.clone(),
                node: t.node.clone(),
                input: t.input.clone(),
                extension: t.extension,
            });
        }
        if let Some(t) = absent.drop_links.iter().find(|t| !cut.contains(*t)) {
            return Err(SchemaError::AbsentDropNotALink {
                role: role.clone(),
                node: t.node.clone(),
                input: t.input.clone(),
                extension: t.extension,
            });
        }
        let removed = |t: &Target| {
            if !t.extension && loaders.contains(t.node.as_str()) {
                Some(t.node.clone())
            } else if declared.contains(t) {
                Some(format!("{}.{}", t.node, t.input))
            } else {
                None
            }
        };
        for (what, t) in references(m, role) {
            if let Some(target) = removed(&t) {
                return Err(SchemaError::AbsentNodeReferenced {
                    role: role.clone(),
                    target,
                    what,
                });
            }
        }
        for (port, v) in m.extension.iter().flat_map(|e| &e.ports) {
            if let Some((src, _)) = as_link(v)
                && loaders.contains(src)
            {
                return Err(SchemaError::AbsentNodeReferenced {
                    role: role.clone(),
                    target: src.to_owned(),
                    what: format!("extension port {port}"),
                });
            }
        }
    }
    Ok(())
}

/// The nodes that hold an input's targets: the ones binding removes when it is absent.
pub(crate) fn loader_nodes<'a>(targets: impl Iterator<Item = &'a Target>) -> BTreeSet<&'a str> {
    targets.map(|t| t.node.as_str()).collect()
}

/// Every input of the other nodes (graph and fragment) that links into `loaders`.
fn links_into(
    loaders: &BTreeSet<&str>,
    graph: &ApiGraph,
    fragment: Option<&std::collections::BTreeMap<String, ApiNode>>,
) -> BTreeSet<Target> {
    let graph_nodes = graph.iter().map(|(id, n)| (id, n, false));
    let fragment_nodes = fragment.into_iter().flatten().map(|(id, n)| (id, n, true));
    let mut out = BTreeSet::new();
    for (id, node, extension) in graph_nodes.chain(fragment_nodes) {
        if !extension && loaders.contains(id.as_str()) {
            continue;
        }
        for (name, v) in &node.inputs {
            if as_link(v).is_some_and(|(src, _)| loaders.contains(src)) {
                out.insert(Target {
                    node: id.clone(),
                    input: name.clone(),
                    extension,
                });
            }
        }
    }
    out
}

/// Every node input the manifest points at outside `role`, with the part that names it.
fn references(m: &Manifest, role: &str) -> Vec<(String, Target)> {
    let mut out: Vec<(String, Target)> = Vec::new();
    let bypass = |b: &Bypass| Target {
        node: b.node.clone(),
        input: b.input.clone(),
        extension: false,
    };
    let effect = |out: &mut Vec<(String, Target)>, what: &str, e: &Effect| {
        out.extend(e.set.iter().map(|sv| (what.to_owned(), sv.target())));
        let by = format!("{what} bypass");
        out.extend(e.bypass.iter().map(|b| (by.clone(), bypass(b))));
    };
    for (slot, targets) in m.slots.named() {
        out.extend(targets.iter().map(|t| (format!("slot {slot}"), t.clone())));
    }
    for (other, input) in m.inputs.iter().filter(|(r, _)| r.as_str() != role) {
        out.extend(
            input
                .targets
                .iter()
                .map(|t| (format!("input {other}"), t.clone())),
        );
    }
    for mi in &m.models {
        let t = Target {
            node: mi.node.clone(),
            input: mi.input.clone(),
            extension: false,
        };
        out.push(("models".into(), t));
    }
    for (name, p) in &m.profiles {
        let what = format!("profile {name}");
        let own = Effect {
            set: p.set.clone(),
            bypass: p.bypass.clone(),
        };
        effect(&mut out, &what, &own);
        if let Some(prefer) = &p.prefer {
            let what = format!("profile {name} prefer");
            out.extend(prefer.set.iter().map(|sv| (what.clone(), sv.target())));
        }
    }
    for p in &m.parameters {
        let what = format!("parameter {}", p.name);
        match &p.kind {
            ParameterKind::Int { targets, .. } | ParameterKind::Float { targets, .. } => {
                out.extend(targets.iter().map(|t| (what.clone(), t.clone())));
            }
            ParameterKind::Bool { on, off, .. } => {
                effect(&mut out, &what, on);
                effect(&mut out, &what, off);
            }
            ParameterKind::Choice { options, .. } => {
                for o in options {
                    effect(&mut out, &what, &o.effect);
                }
            }
        }
    }
    for c in m.extension.iter().flat_map(|e| &e.consumers) {
        let t = Target {
            node: c.node.clone(),
            input: c.input.clone(),
            extension: false,
        };
        out.push((format!("extension consumer of port {}", c.port), t));
    }
    out
}
