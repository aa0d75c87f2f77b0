//! Pool rows and their members. Names are validated by the API before they get here; the
//! foreign keys make a member always an existing endpoint (removing an endpoint drops it from
//! every pool).

use rusqlite::{Connection, OptionalExtension, params};

use super::{PoolSettings, PoolView};
use crate::CoreError;
use crate::store::{now_ms, write_tx};

pub fn list(conn: &Connection) -> Result<Vec<PoolView>, CoreError> {
    let mut stmt = conn.prepare("SELECT name FROM pools ORDER BY is_default DESC, name")?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    names.iter().map(|n| get(conn, n)).collect()
}

pub fn find(conn: &Connection, name: &str) -> Result<Option<PoolView>, CoreError> {
    let row: Option<(bool, i64, bool)> = conn
        .query_row(
            "SELECT failover, wait_warning_seconds, is_default FROM pools WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((failover, wait, is_default)) = row else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT endpoint_name FROM pool_members WHERE pool_name = ?1 ORDER BY position, endpoint_name",
    )?;
    let members = stmt
        .query_map([name], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(PoolView {
        name: name.to_string(),
        members,
        settings: PoolSettings {
            failover,
            wait_warning_seconds: u32::try_from(wait.max(0)).unwrap_or(u32::MAX),
        },
        is_default,
    }))
}

pub fn get(conn: &Connection, name: &str) -> Result<PoolView, CoreError> {
    find(conn, name)?.ok_or_else(|| CoreError::PoolNotFound { name: name.into() })
}

/// The default pool, when a pool is the default target.
pub fn default(conn: &Connection) -> Result<Option<PoolView>, CoreError> {
    let name: Option<String> = conn
        .query_row("SELECT name FROM pools WHERE is_default = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    name.map(|n| get(conn, &n)).transpose()
}

/// Inserts the pool and its members in one transaction.
pub fn insert(
    conn: &mut Connection,
    name: &str,
    members: &[String],
    settings: &PoolSettings,
) -> Result<(), CoreError> {
    let tx = write_tx(conn)?;
    let now = now_ms();
    tx.execute(
        "INSERT INTO pools (name, failover, wait_warning_seconds, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![name, settings.failover, settings.wait_warning_seconds, now],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            CoreError::DuplicatePool { name: name.into() }
        }
        other => other.into(),
    })?;
    for (position, member) in members.iter().enumerate() {
        tx.execute(
            "INSERT INTO pool_members (pool_name, endpoint_name, position) VALUES (?1, ?2, ?3)",
            params![name, member, position as i64],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub fn add_member(conn: &mut Connection, pool: &str, endpoint: &str) -> Result<(), CoreError> {
    let tx = write_tx(conn)?;
    let next: i64 = tx.query_row(
        "SELECT coalesce(max(position), -1) + 1 FROM pool_members WHERE pool_name = ?1",
        [pool],
        |r| r.get(0),
    )?;
    let n = tx.execute(
        "INSERT OR IGNORE INTO pool_members (pool_name, endpoint_name, position) VALUES (?1, ?2, ?3)",
        params![pool, endpoint, next],
    )?;
    if n == 0 {
        return Err(CoreError::PoolMemberExists {
            pool: pool.into(),
            endpoint: endpoint.into(),
        });
    }
    touch(&tx, pool)?;
    tx.commit()?;
    Ok(())
}

/// Removes a member; the last one stays (a pool without servers cannot run anything: delete
/// the pool instead).
pub fn remove_member(conn: &mut Connection, pool: &str, endpoint: &str) -> Result<(), CoreError> {
    let tx = write_tx(conn)?;
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM pool_members WHERE pool_name = ?1",
        [pool],
        |r| r.get(0),
    )?;
    let n = tx.execute(
        "DELETE FROM pool_members WHERE pool_name = ?1 AND endpoint_name = ?2",
        params![pool, endpoint],
    )?;
    if n == 0 {
        return Err(CoreError::PoolMemberNotFound {
            pool: pool.into(),
            endpoint: endpoint.into(),
        });
    }
    if count <= 1 {
        return Err(CoreError::PoolNeedsMember { pool: pool.into() });
    }
    touch(&tx, pool)?;
    tx.commit()?;
    Ok(())
}

pub fn update_settings(
    conn: &Connection,
    pool: &str,
    settings: &PoolSettings,
) -> Result<(), CoreError> {
    let n = conn.execute(
        "UPDATE pools SET failover = ?2, wait_warning_seconds = ?3, updated_at = ?4 WHERE name = ?1",
        params![pool, settings.failover, settings.wait_warning_seconds, now_ms()],
    )?;
    if n == 0 {
        return Err(CoreError::PoolNotFound { name: pool.into() });
    }
    Ok(())
}

pub fn delete(conn: &Connection, pool: &str) -> Result<(), CoreError> {
    let n = conn.execute("DELETE FROM pools WHERE name = ?1", [pool])?;
    if n == 0 {
        return Err(CoreError::PoolNotFound { name: pool.into() });
    }
    Ok(())
}

/// Makes the pool the default target. The default endpoint keeps its mark (see the v3
/// migration); `store::endpoints::set_default` clears this again.
pub fn set_default(conn: &mut Connection, pool: &str) -> Result<(), CoreError> {
    let tx = write_tx(conn)?;
    tx.execute("UPDATE pools SET is_default = 0 WHERE is_default = 1", [])?;
    let n = tx.execute("UPDATE pools SET is_default = 1 WHERE name = ?1", [pool])?;
    if n == 0 {
        return Err(CoreError::PoolNotFound { name: pool.into() });
    }
    tx.commit()?;
    Ok(())
}

pub fn exists(conn: &Connection, name: &str) -> Result<bool, CoreError> {
    Ok(conn
        .query_row("SELECT 1 FROM pools WHERE name = ?1", [name], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether `endpoint` already has the bytes of `asset_id` (some job there recorded the upload):
/// routing counts the upload time only for inputs a member does not have yet.
pub fn has_upload(conn: &Connection, endpoint: &str, asset_id: &str) -> Result<bool, CoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM job_inputs i JOIN jobs j ON j.id = i.job_id
             WHERE j.endpoint_name = ?1 AND i.asset_id = ?2 AND i.uploaded_name IS NOT NULL
             LIMIT 1",
            params![endpoint, asset_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn touch(tx: &rusqlite::Transaction<'_>, pool: &str) -> Result<(), CoreError> {
    let n = tx.execute(
        "UPDATE pools SET updated_at = ?2 WHERE name = ?1",
        params![pool, now_ms()],
    )?;
    if n == 0 {
        return Err(CoreError::PoolNotFound { name: pool.into() });
    }
    Ok(())
}
