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

/// Time left while generating, calm enough to show a client: this server's own median for
/// similar runs (same template, profile and length) to begin with, then more and more the pace
/// actually observed as progress grows; never from a pace measured over the first seconds
/// (model loading makes it meaningless); smoothed, and never rising by more than a quarter
/// from one update to the next.
#[derive(Debug, Clone)]
pub struct Eta {
    median_s: Option<f64>,
    total_s: Option<f64>,
}

/// Pace is trusted only after this much time and progress.
const MIN_PACE_ELAPSED_S: f64 = 10.0;
const MIN_PACE_FRACTION: f64 = 0.05;

impl Eta {
    pub fn new(median_run_s: Option<f64>) -> Eta {
        Eta {
            median_s: median_run_s.filter(|m| m.is_finite() && *m > 0.0),
            total_s: None,
        }
    }

    /// Seconds left after `elapsed_s` at progress `fraction`; `None` while nothing is known.
    pub fn update(&mut self, elapsed_s: f64, fraction: f64) -> Option<f64> {
        let fraction = fraction.clamp(0.0, 1.0);
        let pace = (elapsed_s >= MIN_PACE_ELAPSED_S && fraction >= MIN_PACE_FRACTION)
            .then(|| elapsed_s / fraction);
        let (estimate, trust_at_once) = match (self.median_s, pace) {
            // A run far faster than history (cached nodes on a replay) follows its own pace,
            // at once: history does not describe it.
            (Some(m), Some(p)) if p < m / 3.0 => (p, true),
            (Some(m), Some(p)) => ((1.0 - fraction) * m + fraction * p, false),
            (Some(m), None) => (m, false),
            (None, Some(p)) => (p, false),
            (None, None) => return None,
        };
        let total = match self.total_s {
            Some(_) if trust_at_once => estimate,
            // Good news may come quickly; bad news comes in steps of at most a quarter.
            Some(prev) if estimate < prev => 0.5 * prev + 0.5 * estimate,
            Some(prev) => (0.7 * prev + 0.3 * estimate).min(prev * 1.25),
            None => estimate,
        };
        self.total_s = Some(total);
        Some((total - elapsed_s).max(1.0))
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
    fn eta_starts_from_history_then_follows_the_pace() {
        let mut eta = Eta::new(Some(100.0));
        assert_eq!(eta.update(0.0, 0.0), Some(100.0));
        // Halfway at 60 s: history says 40 s left, the pace says 60 s; the blend moves calmly.
        let left = eta.update(60.0, 0.5).expect("eta");
        assert!((30.0..60.0).contains(&left), "{left}");
    }

    #[test]
    fn no_eta_from_the_first_seconds_and_no_wild_swings() {
        let mut eta = Eta::new(None);
        // Model loading: a few percent in 3 s would extrapolate to a minute; say nothing yet.
        assert_eq!(eta.update(3.0, 0.05), None);
        let mut last = eta.update(12.0, 0.2).expect("eta from the pace");
        for (t, f) in [(15.0, 0.21), (18.0, 0.22), (21.0, 0.3), (24.0, 0.31)] {
            let left = eta.update(t, f).expect("eta");
            assert!(
                left <= last * 1.25 + 3.0,
                "the estimate must not jump up: {last} -> {left}"
            );
            last = left;
        }
    }

    #[test]
    fn a_cached_replay_is_not_promised_history_s_eleven_minutes() {
        let mut eta = Eta::new(Some(660.0));
        assert!(eta.update(0.0, 0.0).is_some());
        // Most nodes were cached: 90 % after 11 s.
        let left = eta.update(11.0, 0.9).expect("eta");
        assert!(left < 120.0, "{left}");
        let left = eta.update(12.0, 0.95).expect("eta");
        assert!(left < 90.0, "{left}");
    }
}
