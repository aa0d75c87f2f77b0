//! A job's inputs: which asset fills which role.

use rusqlite::{Connection, params};

use crate::CoreError;
use crate::assets;
use crate::jobs::model::{JobInputRecord, Role};

/// The inputs of a job with their assets, by role then position.
pub fn inputs(conn: &Connection, job_id: &str) -> Result<Vec<JobInputRecord>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT role, position, uploaded_name, asset_id FROM job_inputs
         WHERE job_id = ?1 ORDER BY role, position",
    )?;
    let rows: Vec<(String, i64, Option<String>, String)> = stmt
        .query_map([job_id], |r| {
            Ok((
                r.get("role")?,
                r.get("position")?,
                r.get("uploaded_name")?,
                r.get("asset_id")?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(role, position, uploaded_name, asset_id)| {
            Ok(JobInputRecord {
                role: Role::new(role),
                position,
                uploaded_name,
                asset: assets::get(conn, &asset_id)?,
            })
        })
        .collect()
}

/// Records the server's name for an uploaded input (`subfolder/name`).
pub fn set_uploaded_name(
    conn: &Connection,
    job_id: &str,
    role: &Role,
    position: i64,
    name: &str,
) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE job_inputs SET uploaded_name = ?4 WHERE job_id = ?1 AND role = ?2 AND position = ?3",
        params![job_id, role.as_str(), position, name],
    )?;
    Ok(())
}

/// Adds an input row (demo-pack import; new jobs write theirs with the job).
pub(crate) fn insert_input(
    conn: &Connection,
    job_id: &str,
    input: &JobInputRecord,
) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO job_inputs (job_id, asset_id, role, position, uploaded_name)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(job_id, role, position) DO NOTHING",
        params![
            job_id,
            input.asset.id,
            input.role.as_str(),
            input.position,
            input.uploaded_name
        ],
    )?;
    Ok(())
}
