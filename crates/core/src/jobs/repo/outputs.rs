//! A job's collected output files.

use rusqlite::{Connection, params};

use crate::CoreError;
use crate::jobs::model::{OutputKind, OutputRecord};
use crate::store::now_ms;

pub fn add_output(conn: &Connection, job_id: &str, out: &OutputRecord) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO outputs (job_id, kind, path, size_bytes, sha256, server_filename,
            server_subfolder, node_id, duration_seconds, width, height, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(job_id, path) DO UPDATE SET size_bytes = excluded.size_bytes,
            sha256 = excluded.sha256, duration_seconds = excluded.duration_seconds,
            width = excluded.width, height = excluded.height",
        params![
            job_id,
            out.kind.as_str(),
            out.path,
            out.size_bytes,
            out.sha256,
            out.server_filename,
            out.server_subfolder,
            out.node_id,
            out.duration_seconds,
            out.width,
            out.height,
            now_ms()
        ],
    )?;
    Ok(())
}

pub fn outputs(conn: &Connection, job_id: &str) -> Result<Vec<OutputRecord>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, path, size_bytes, sha256, server_filename, server_subfolder, node_id,
            duration_seconds, width, height
         FROM outputs WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        let kind: String = r.get("kind")?;
        Ok(OutputRecord {
            // The CHECK constraint keeps the kind one of ours.
            kind: OutputKind::parse(&kind).unwrap_or(OutputKind::Other),
            path: r.get("path")?,
            size_bytes: r.get("size_bytes")?,
            sha256: r.get("sha256")?,
            server_filename: r.get("server_filename")?,
            server_subfolder: r.get("server_subfolder")?,
            node_id: r.get("node_id")?,
            duration_seconds: r.get("duration_seconds")?,
            width: r.get("width")?,
            height: r.get("height")?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
