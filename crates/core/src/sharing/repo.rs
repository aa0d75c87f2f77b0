//! Every statement on the sharing tables (migrations v3 and v5): a run's publication, the files
//! a publish has sent, where imported library runs came from, and the multipart uploads a
//! publish has begun and not completed (`open_uploads`).

use animatrix_common::{ErrorCode, UserError};
use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::store::now_ms;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PublishState {
    /// Started and not finished: still running, or killed (publishing again resumes it).
    Publishing,
    Published,
    /// Stopped on an error (kept in `error`); publishing again retries.
    Failed,
}

impl PublishState {
    fn as_str(self) -> &'static str {
        match self {
            PublishState::Publishing => "publishing",
            PublishState::Published => "published",
            PublishState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<PublishState, CoreError> {
        Ok(match s {
            "publishing" => PublishState::Publishing,
            "published" => PublishState::Published,
            "failed" => PublishState::Failed,
            other => return Err(CoreError::Corrupt(format!("publication state {other}"))),
        })
    }
}

/// A run's storage state, as the run card, the run page and `animatrix show` display it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Publication {
    pub job_id: String,
    pub state: PublishState,
    /// `<url>/<bucket>/<prefix>` it was published to.
    pub location: String,
    pub files: u32,
    pub files_uploaded: u32,
    pub bytes: u64,
    pub error: Option<UserError>,
    pub published_at: Option<i64>,
}

pub(crate) fn get(conn: &Connection, job_id: &str) -> Result<Option<Publication>, CoreError> {
    let row = conn
        .query_row(
            "SELECT state, location, error_code, error_message, error_suggestion, error_detail,
                    published_at FROM publications WHERE job_id = ?1",
            [job_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((state, location, code, message, suggestion, detail, published_at)) = row else {
        return Ok(None);
    };
    let (files, uploaded, bytes): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(uploaded), 0), coalesce(sum(size_bytes), 0)
         FROM published_files WHERE job_id = ?1",
        [job_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let error = code.map(|c| {
        UserError::new(
            ErrorCode::parse(&c),
            message.unwrap_or_default(),
            suggestion.unwrap_or_default(),
        )
        .with_detail(detail.unwrap_or_default())
    });
    Ok(Some(Publication {
        job_id: job_id.to_string(),
        state: PublishState::parse(&state)?,
        location,
        files: files as u32,
        files_uploaded: uploaded as u32,
        bytes: bytes as u64,
        error,
        published_at,
    }))
}

/// Starts (or restarts) a publish of `files` (name, size). A file whose size changed since an
/// earlier attempt is sent again; the others keep their uploaded mark.
pub(crate) fn begin(
    conn: &mut Connection,
    job_id: &str,
    location: &str,
    files: &[(String, u64)],
) -> Result<(), CoreError> {
    let now = now_ms();
    let tx = crate::store::write_tx(conn)?;
    let moved: Option<String> = tx
        .query_row(
            "SELECT location FROM publications WHERE job_id = ?1",
            [job_id],
            |r| r.get(0),
        )
        .optional()?;
    if moved.as_deref().is_some_and(|l| l != location) {
        // Published elsewhere before (the target changed): start over there. Uploads left open
        // in the old bucket cannot be aborted from here (its lifecycle rules expire them).
        tx.execute("DELETE FROM publications WHERE job_id = ?1", [job_id])?;
        tx.execute("DELETE FROM open_uploads WHERE job_id = ?1", [job_id])?;
    }
    tx.execute(
        "INSERT INTO publications (job_id, location, state, started_at, updated_at)
         VALUES (?1, ?2, 'publishing', ?3, ?3)
         ON CONFLICT(job_id) DO UPDATE SET state = 'publishing', error_code = NULL,
           error_message = NULL, error_suggestion = NULL, error_detail = NULL,
           updated_at = excluded.updated_at",
        params![job_id, location, now],
    )?;
    for (name, size) in files {
        tx.execute(
            "INSERT INTO published_files (job_id, name, size_bytes, uploaded, updated_at)
             VALUES (?1, ?2, ?3, 0, ?4)
             ON CONFLICT(job_id, name) DO UPDATE SET
               uploaded = CASE WHEN size_bytes = excluded.size_bytes THEN uploaded ELSE 0 END,
               size_bytes = excluded.size_bytes, updated_at = excluded.updated_at",
            params![job_id, name, *size as i64, now],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(crate) fn mark_uploaded(conn: &Connection, job_id: &str, name: &str) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE published_files SET uploaded = 1, updated_at = ?3 WHERE job_id = ?1 AND name = ?2",
        params![job_id, name, now_ms()],
    )?;
    Ok(())
}

pub(crate) fn finish(
    conn: &Connection,
    job_id: &str,
    outcome: Result<(), &UserError>,
) -> Result<(), CoreError> {
    let now = now_ms();
    match outcome {
        Ok(()) => conn.execute(
            "UPDATE publications SET state = ?2, published_at = ?3, updated_at = ?3
             WHERE job_id = ?1",
            params![job_id, PublishState::Published.as_str(), now],
        )?,
        Err(e) => conn.execute(
            "UPDATE publications SET state = ?2, error_code = ?3, error_message = ?4,
               error_suggestion = ?5, error_detail = ?6, updated_at = ?7 WHERE job_id = ?1",
            params![
                job_id,
                PublishState::Failed.as_str(),
                e.code.as_str(),
                e.message,
                e.suggestion,
                e.detail,
                now
            ],
        )?,
    };
    Ok(())
}

pub(crate) fn remove(conn: &Connection, job_id: &str) -> Result<(), CoreError> {
    conn.execute("DELETE FROM publications WHERE job_id = ?1", [job_id])?;
    conn.execute("DELETE FROM open_uploads WHERE job_id = ?1", [job_id])?;
    Ok(())
}

/// The run's multipart uploads that were begun and not yet completed: file name -> upload id.
pub(crate) fn open_multiparts(
    conn: &Connection,
    job_id: &str,
) -> Result<BTreeMap<String, String>, CoreError> {
    let mut stmt = conn.prepare("SELECT name, upload_id FROM open_uploads WHERE job_id = ?1")?;
    let rows = stmt.query_map([job_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records (`Some`) or forgets (`None`) the open multipart upload of file `name`.
pub(crate) fn record_multipart(
    conn: &Connection,
    job_id: &str,
    name: &str,
    upload_id: Option<&str>,
) -> Result<(), CoreError> {
    match upload_id {
        Some(id) => conn.execute(
            "INSERT INTO open_uploads (job_id, name, upload_id, started_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(job_id, name) DO UPDATE SET upload_id = excluded.upload_id,
                                                     started_at = excluded.started_at",
            params![job_id, name, id, now_ms()],
        )?,
        None => conn.execute(
            "DELETE FROM open_uploads WHERE job_id = ?1 AND name = ?2",
            [job_id, name],
        )?,
    };
    Ok(())
}

/// The local run imported from `source_job_id` of `location`, if any.
pub(crate) fn imported_from(
    conn: &Connection,
    location: &str,
    source_job_id: &str,
) -> Result<Option<String>, CoreError> {
    Ok(conn
        .query_row(
            "SELECT job_id FROM library_imports WHERE location = ?1 AND source_job_id = ?2",
            [location, source_job_id],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn record_import(
    conn: &Connection,
    job_id: &str,
    source_job_id: &str,
    location: &str,
) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO library_imports (job_id, source_job_id, location, imported_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT(job_id) DO NOTHING",
        params![job_id, source_job_id, location, now_ms()],
    )?;
    Ok(())
}

/// Where an imported run came from (`None` for runs made or demo-imported here).
pub fn origin_of(conn: &Connection, job_id: &str) -> Result<Option<String>, CoreError> {
    Ok(conn
        .query_row(
            "SELECT location FROM library_imports WHERE job_id = ?1",
            [job_id],
            |r| r.get(0),
        )
        .optional()?)
}
