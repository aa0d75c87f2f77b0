//! Per-server metrics from the run history: how many runs each server took, how often they
//! failed and how long they ran, per template. The operator view, `pool show` and
//! `doctor --all --json` show them beside each server's health, so a slow or failing member
//! of a pool is visible before routing keeps avoiding it.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::CoreError;

/// One server's history (demo runs never count: they never touched a server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ServerMetrics {
    pub endpoint: String,
    /// Runs that ended on this server: completed, failed or cancelled.
    pub runs: i64,
    pub completed: i64,
    pub failed: i64,
    /// failed / (completed + failed); cancelled runs are the user's choice, not a failure.
    pub failure_rate: f64,
    /// Per template name, by name.
    pub per_template: Vec<ServerTemplateMetrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ServerTemplateMetrics {
    pub template_name: String,
    pub runs: i64,
    pub completed: i64,
    pub failed: i64,
    pub failure_rate: f64,
    /// Median seconds from started to finished over completed runs (the upper middle of an
    /// even count, as routing's run-time estimate takes it); `None` before the first one.
    pub median_run_s: Option<f64>,
}

#[derive(Default)]
struct Tally {
    runs: i64,
    completed: i64,
    failed: i64,
    run_seconds: Vec<f64>,
}

impl Tally {
    fn failure_rate(&self) -> f64 {
        let ended = self.completed + self.failed;
        if ended == 0 {
            0.0
        } else {
            self.failed as f64 / ended as f64
        }
    }
}

/// `endpoint`'s metrics over every real run that ended there.
pub fn for_endpoint(conn: &Connection, endpoint: &str) -> Result<ServerMetrics, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT template_name, state,
            CASE WHEN state = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT NULL
                 THEN (finished_at - started_at) / 1000.0 END
         FROM jobs
         WHERE is_demo = 0 AND endpoint_name = ?1
           AND state IN ('completed', 'failed', 'cancelled')",
    )?;
    let rows = stmt.query_map([endpoint], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<f64>>(2)?,
        ))
    })?;
    let mut total = Tally::default();
    let mut per: BTreeMap<String, Tally> = BTreeMap::new();
    for row in rows {
        let (template, state, secs) = row?;
        let t = per.entry(template).or_default();
        for tally in [&mut total, t] {
            tally.runs += 1;
            match state.as_str() {
                "completed" => tally.completed += 1,
                "failed" => tally.failed += 1,
                _ => {}
            }
            if let Some(s) = secs {
                tally.run_seconds.push(s.max(0.0));
            }
        }
    }
    let per_template = per
        .into_iter()
        .map(|(template_name, mut t)| ServerTemplateMetrics {
            template_name,
            runs: t.runs,
            completed: t.completed,
            failed: t.failed,
            failure_rate: t.failure_rate(),
            median_run_s: median(&mut t.run_seconds),
        })
        .collect();
    Ok(ServerMetrics {
        endpoint: endpoint.to_string(),
        runs: total.runs,
        completed: total.completed,
        failed: total.failed,
        failure_rate: total.failure_rate(),
        per_template,
    })
}

/// A server with no history yet.
pub fn empty(endpoint: &str) -> ServerMetrics {
    ServerMetrics {
        endpoint: endpoint.to_string(),
        runs: 0,
        completed: 0,
        failed: 0,
        failure_rate: 0.0,
        per_template: Vec::new(),
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_upper_middle_and_none_when_empty() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [30.0, 10.0, 20.0]), Some(20.0));
        assert_eq!(median(&mut [40.0, 10.0, 30.0, 20.0]), Some(30.0));
    }
}
