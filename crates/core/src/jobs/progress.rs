//! One truthful percentage for a running graph: each node weighs what it usually costs (the
//! samplers dominate a Wan run), finished and cached nodes count whole, the running node by its
//! own step progress.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub struct GraphProgress {
    weights: BTreeMap<String, f64>,
    total: f64,
    done: BTreeSet<String>,
    running: BTreeMap<String, f64>,
}

fn weight_of(class: &str) -> f64 {
    if class.contains("Sampler") {
        20.0
    } else if class.starts_with("VAEDecode") || class == "DWPreprocessor" {
        4.0
    } else if class.starts_with("Wan") || class.starts_with("Sam2") || class == "SaveVideo" {
        2.0
    } else if class.ends_with("Loader") || class.contains("Load") {
        1.0
    } else {
        0.3
    }
}

impl GraphProgress {
    pub fn new(graph: &Value) -> GraphProgress {
        let weights: BTreeMap<String, f64> = graph
            .as_object()
            .map(|nodes| {
                nodes
                    .iter()
                    .map(|(id, n)| {
                        let class = n.get("class_type").and_then(Value::as_str).unwrap_or("");
                        (id.clone(), weight_of(class))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let total = weights.values().sum::<f64>().max(1.0);
        GraphProgress {
            weights,
            total,
            done: BTreeSet::new(),
            running: BTreeMap::new(),
        }
    }

    pub fn cached(&mut self, nodes: &[String]) {
        self.done.extend(nodes.iter().cloned());
    }

    /// A node started: every node that was running before has finished (ComfyUI runs one node
    /// at a time).
    pub fn node_started(&mut self, node: &str) {
        let finished: Vec<String> = self.running.keys().cloned().collect();
        self.done.extend(finished);
        self.running.clear();
        self.running.insert(node.to_string(), 0.0);
    }

    pub fn node_progress(&mut self, node: Option<&str>, value: f64, max: f64) {
        let frac = if max > 0.0 {
            (value / max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        match node {
            Some(n) => {
                self.running.insert(n.to_string(), frac);
            }
            None => {
                for v in self.running.values_mut() {
                    *v = frac;
                }
            }
        }
    }

    pub fn node_finished(&mut self, node: &str) {
        self.running.remove(node);
        self.done.insert(node.to_string());
    }

    pub fn fraction(&self) -> f64 {
        let w = |id: &String| self.weights.get(id).copied().unwrap_or(0.3);
        let done: f64 = self.done.iter().map(w).sum();
        let running: f64 = self
            .running
            .iter()
            .filter(|(id, _)| !self.done.contains(*id))
            .map(|(id, f)| w(id) * f)
            .sum();
        // Never claim 100% before the server says success.
        ((done + running) / self.total).clamp(0.0, 0.99)
    }
}

/// Seconds left: from this endpoint's own history when it has similar runs, else from the
/// pace so far once there is enough of it to extrapolate.
pub fn eta_seconds(median_run_s: Option<f64>, elapsed_s: f64, fraction: f64) -> Option<f64> {
    match median_run_s {
        Some(m) if m > elapsed_s => Some(m - elapsed_s),
        _ if fraction >= 0.05 => Some(elapsed_s / fraction * (1.0 - fraction)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_dominate_and_it_never_reaches_one_early() {
        let g = serde_json::json!({
            "1": {"class_type": "UNETLoader", "inputs": {}},
            "2": {"class_type": "KSamplerAdvanced", "inputs": {}},
            "3": {"class_type": "VAEDecode", "inputs": {}},
        });
        let mut p = GraphProgress::new(&g);
        p.cached(&["1".into()]);
        let after_load = p.fraction();
        p.node_started("2");
        p.node_progress(Some("2"), 5.0, 10.0);
        let half_sampler = p.fraction();
        assert!(after_load < 0.1 && half_sampler > 0.4 && half_sampler < 0.6);
        p.node_started("3");
        p.node_finished("3");
        assert!((p.fraction() - 0.99).abs() < 1e-9);
    }

    #[test]
    fn eta_prefers_history_then_pace() {
        assert_eq!(eta_seconds(Some(100.0), 40.0, 0.2), Some(60.0));
        assert_eq!(eta_seconds(None, 30.0, 0.5), Some(30.0));
        assert_eq!(eta_seconds(None, 3.0, 0.01), None);
    }
}
