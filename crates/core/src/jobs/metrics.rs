//! Operator metrics over real runs (demo runs never count).

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::CoreError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, specta::Type)]
pub struct Metrics {
    pub jobs_per_day: Vec<DayCount>,
    pub per_template: Vec<TemplateMetrics>,
    pub storage_bytes: StorageUsed,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, specta::Type)]
pub struct DayCount {
    /// UTC date, YYYY-MM-DD.
    pub day: String,
    pub jobs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, specta::Type)]
pub struct TemplateMetrics {
    pub template_name: String,
    pub template_version: String,
    pub jobs: i64,
    pub completed: i64,
    pub failed: i64,
    /// failed / (completed + failed); cancelled runs are the user's choice, not a failure.
    pub failure_rate: f64,
    /// Mean seconds from queued to started.
    pub mean_wait_s: Option<f64>,
    /// Mean seconds from started to finished, for completed runs.
    pub mean_run_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, specta::Type)]
pub struct StorageUsed {
    pub outputs: i64,
    pub assets: i64,
}

pub fn compute(conn: &Connection, days: i64) -> Result<Metrics, CoreError> {
    let since = crate::store::now_ms() - days * 86_400_000;
    let mut stmt = conn.prepare(
        "SELECT date(created_at / 1000, 'unixepoch') AS day, count(*) FROM jobs
         WHERE is_demo = 0 AND created_at >= ?1 GROUP BY day ORDER BY day",
    )?;
    let jobs_per_day = stmt
        .query_map([since], |r| {
            Ok(DayCount {
                day: r.get(0)?,
                jobs: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT template_name, template_version, count(*),
            sum(state = 'completed'), sum(state = 'failed'),
            avg(CASE WHEN started_at IS NOT NULL AND queued_at IS NOT NULL
                     THEN (started_at - queued_at) / 1000.0 END),
            avg(CASE WHEN state = 'completed' AND started_at IS NOT NULL
                     THEN (finished_at - started_at) / 1000.0 END)
         FROM jobs WHERE is_demo = 0
         GROUP BY template_name, template_version ORDER BY template_name, template_version",
    )?;
    let per_template = stmt
        .query_map([], |r| {
            let completed: i64 = r.get(3)?;
            let failed: i64 = r.get(4)?;
            let ended = completed + failed;
            Ok(TemplateMetrics {
                template_name: r.get(0)?,
                template_version: r.get(1)?,
                jobs: r.get(2)?,
                completed,
                failed,
                failure_rate: if ended == 0 {
                    0.0
                } else {
                    failed as f64 / ended as f64
                },
                mean_wait_s: r.get(5)?,
                mean_run_s: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let outputs = sum_bytes(
        conn,
        "SELECT coalesce(sum(o.size_bytes), 0) FROM outputs o JOIN jobs j ON j.id = o.job_id
         WHERE j.is_demo = 0",
    )?;
    Ok(Metrics {
        jobs_per_day,
        per_template,
        storage_bytes: StorageUsed {
            outputs,
            assets: sum_bytes(conn, ASSET_BYTES)?,
        },
    })
}

/// Disk used by everything in the data dir's stores, demo runs included (Settings shows it;
/// `compute`'s figure counts real runs only).
pub fn storage_used(conn: &Connection) -> Result<StorageUsed, CoreError> {
    Ok(StorageUsed {
        outputs: sum_bytes(conn, "SELECT coalesce(sum(size_bytes), 0) FROM outputs")?,
        assets: sum_bytes(conn, ASSET_BYTES)?,
    })
}

const ASSET_BYTES: &str = "SELECT coalesce(sum(size_bytes), 0) FROM assets";

fn sum_bytes(conn: &Connection, sql: &str) -> Result<i64, CoreError> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

/// Median run seconds of completed real runs with the same template, profile and a frame count
/// within ±25% on this endpoint: the ETA basis. `None` until there is history.
pub fn median_run_seconds(
    conn: &Connection,
    endpoint: &str,
    template: &str,
    profile: &str,
    frames: i64,
) -> Result<Option<f64>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT (finished_at - started_at) / 1000.0 AS secs FROM jobs
         WHERE is_demo = 0 AND state = 'completed' AND endpoint_name = ?1 AND template_name = ?2
           AND profile = ?3 AND frame_count BETWEEN ?4 AND ?5 AND started_at IS NOT NULL
         ORDER BY created_at DESC LIMIT 50",
    )?;
    // No length known yet (the composer's wait estimate before inputs): any length counts.
    let (lo, hi) = if frames <= 0 {
        (0, i64::MAX)
    } else {
        (frames * 3 / 4, frames * 5 / 4 + 1)
    };
    let mut secs: Vec<f64> = stmt
        .query_map(
            rusqlite::params![endpoint, template, profile, lo, hi],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    if secs.is_empty() {
        return Ok(None);
    }
    secs.sort_by(f64::total_cmp);
    Ok(Some(secs[secs.len() / 2]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::JobState;
    use crate::jobs::repo;

    #[test]
    fn demo_runs_do_not_count_and_rates_are_right() {
        let (_d, mut c) = repo::tests::db();
        for (id, demo, ok) in [
            ("a1", false, true),
            ("a2", false, false),
            ("d1", true, true),
        ] {
            repo::insert(&mut c, &repo::tests::new_job(id, "p"), &[]).expect("insert");
            if demo {
                c.execute("UPDATE jobs SET is_demo = 1 WHERE id = ?1", [id])
                    .expect("demo");
            }
            repo::transition(&mut c, id, JobState::Queued).expect("q");
            repo::transition(&mut c, id, JobState::Executing).expect("e");
            if ok {
                repo::transition(&mut c, id, JobState::Completed).expect("c");
            } else {
                let err =
                    animatrix_common::UserError::new(animatrix_common::ErrorCode::Internal, "", "");
                repo::fail(&mut c, id, &err).expect("f");
            }
        }
        let m = compute(&c, 30).expect("metrics");
        assert_eq!(m.jobs_per_day.iter().map(|d| d.jobs).sum::<i64>(), 2);
        assert_eq!(m.per_template.len(), 1);
        assert_eq!(m.per_template[0].jobs, 2);
        assert!((m.per_template[0].failure_rate - 0.5).abs() < 1e-9);
        assert!(
            median_run_seconds(&c, "lab", "talking", "draft", 77)
                .expect("median")
                .is_some()
        );
        assert!(
            median_run_seconds(&c, "other", "talking", "draft", 77)
                .expect("median")
                .is_none()
        );
        assert!(
            median_run_seconds(&c, "lab", "talking", "draft", 0)
                .expect("median")
                .is_some(),
            "an unknown length takes any length's history"
        );
    }
}
