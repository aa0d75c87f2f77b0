//! The job's event log.

use rusqlite::{Connection, params};

use crate::CoreError;
use crate::jobs::model::{EventData, JobEvent};
use crate::store::now_ms;

pub fn add_event(conn: &Connection, job_id: &str, event: &EventData) -> Result<(), CoreError> {
    insert_event(conn, job_id, now_ms(), event)
}

/// One event at `at` (demo-pack import keeps the recorded times).
pub(crate) fn insert_event(
    conn: &Connection,
    job_id: &str,
    at: i64,
    event: &EventData,
) -> Result<(), CoreError> {
    let (kind, data) = event.to_columns();
    conn.execute(
        "INSERT INTO job_events (job_id, at, kind, state, data_json) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![job_id, at, kind, event.state().map(|s| s.as_str()), data],
    )?;
    Ok(())
}

pub fn events(conn: &Connection, job_id: &str) -> Result<Vec<JobEvent>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, state, data_json FROM job_events WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        let kind: String = r.get("kind")?;
        let state: Option<String> = r.get("state")?;
        let data: Option<String> = r.get("data_json")?;
        Ok(JobEvent {
            id: r.get("id")?,
            at: r.get("at")?,
            data: EventData::from_columns(&kind, state.as_deref(), data.as_deref()),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
