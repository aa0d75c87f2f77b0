//! Statements for pool jobs: which member a job was sent to.

use rusqlite::{Connection, OptionalExtension, params};

use super::events::insert_event;
use crate::CoreError;
use crate::jobs::model::EventData;
use crate::store::{now_ms, write_tx};

/// Records that a pool job goes to `endpoint` (with that connection's client id) and why, in
/// one transaction. A job a member refused before accepting its prompt comes back to
/// `validating` here: its server steps (preflight, upload, post) start over on the next member,
/// which is the one place a job's state moves backwards, and only before any server has it.
/// `false` when the job ended or a cancel was asked meanwhile.
pub fn assign_member(
    conn: &mut Connection,
    job_id: &str,
    endpoint: &str,
    client_id: &str,
    routed: &EventData,
) -> Result<bool, CoreError> {
    let tx = write_tx(conn)?;
    let row: Option<(String, bool)> = tx
        .query_row(
            "SELECT state, cancel_requested FROM jobs WHERE id = ?1",
            [job_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((state, cancel_requested)) = row else {
        return Err(CoreError::JobNotFound { id: job_id.into() });
    };
    if cancel_requested
        || !matches!(
            state.as_str(),
            "draft" | "validating" | "uploading" | "queued"
        )
    {
        return Ok(false);
    }
    let now = now_ms();
    tx.execute(
        "UPDATE jobs SET endpoint_name = ?2, client_id = ?3, updated_at = ?4, queued_at = NULL,
            state = CASE WHEN state IN ('uploading', 'queued') THEN 'validating' ELSE state END
         WHERE id = ?1",
        params![job_id, endpoint, client_id, now],
    )?;
    insert_event(&tx, job_id, now, routed)?;
    tx.commit()?;
    Ok(true)
}

/// The member the job this one was resubmitted from ran on (failover avoids it).
pub fn parent_endpoint(conn: &Connection, job_id: &str) -> Result<Option<String>, CoreError> {
    Ok(conn
        .query_row(
            "SELECT p.endpoint_name FROM jobs j JOIN jobs p ON p.id = j.parent_job_id
             WHERE j.id = ?1",
            [job_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Our jobs on `endpoint` that are routed there but not posted yet: the server's `/queue`
/// does not show them, so routing a burst counts them itself.
pub fn routed_not_posted(conn: &Connection, endpoint: &str) -> Result<u32, CoreError> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM jobs j WHERE j.endpoint_name = ?1
           AND j.state IN ('validating', 'uploading', 'queued')
           AND NOT EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = j.id AND e.kind = 'prompt_posted')",
        [endpoint],
        |r| r.get(0),
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}
