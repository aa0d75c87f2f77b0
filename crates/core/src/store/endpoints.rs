//! Endpoint rows. No secret is ever written here (only `has_secret`).

use rusqlite::{Connection, OptionalExtension, params};

use super::now_ms;
use crate::CoreError;
use crate::config::endpoints::{AuthKind, EndpointView};

pub fn list(conn: &Connection) -> Result<Vec<EndpointView>, CoreError> {
    let mut stmt = conn.prepare(
        "SELECT name, base_url, auth_kind, auth_header_name, is_default, has_secret
         FROM endpoints ORDER BY is_default DESC, name",
    )?;
    let rows = stmt.query_map([], row_to_raw)?;
    rows.map(|r| r.map_err(CoreError::from).and_then(raw_to_view))
        .collect()
}

pub fn get(conn: &Connection, name: &str) -> Result<EndpointView, CoreError> {
    conn.query_row(
        "SELECT name, base_url, auth_kind, auth_header_name, is_default, has_secret
         FROM endpoints WHERE name = ?1",
        [name],
        row_to_raw,
    )
    .optional()?
    .map(raw_to_view)
    .transpose()?
    .ok_or_else(|| CoreError::EndpointNotFound { name: name.into() })
}

pub fn default(conn: &Connection) -> Result<EndpointView, CoreError> {
    let name: Option<String> = conn
        .query_row("SELECT name FROM endpoints WHERE is_default = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    match name {
        Some(name) => get(conn, &name),
        None => Err(CoreError::NoDefaultEndpoint),
    }
}

pub fn exists(conn: &Connection, name: &str) -> Result<bool, CoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM endpoints WHERE name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Inserts the row; when `make_default` (or when it is the only endpoint) it becomes the default.
pub fn insert(
    conn: &mut Connection,
    name: &str,
    base_url: &str,
    auth: &AuthKind,
    has_secret: bool,
    make_default: bool,
) -> Result<(), CoreError> {
    let tx = crate::store::write_tx(conn)?;
    let count: i64 = tx.query_row("SELECT count(*) FROM endpoints", [], |r| r.get(0))?;
    let make_default = make_default || count == 0;
    if make_default {
        tx.execute(
            "UPDATE endpoints SET is_default = 0 WHERE is_default = 1",
            [],
        )?;
        // A server made default replaces a default pool as the default target.
        tx.execute("UPDATE pools SET is_default = 0 WHERE is_default = 1", [])?;
    }
    let (kind, header) = auth.to_columns();
    let now = now_ms();
    tx.execute(
        "INSERT INTO endpoints (name, base_url, auth_kind, auth_header_name, has_secret, is_default, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![name, base_url, kind, header, has_secret, make_default, now],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            CoreError::DuplicateEndpoint { name: name.into() }
        }
        other => other.into(),
    })?;
    tx.commit()?;
    Ok(())
}

pub fn update(
    conn: &Connection,
    name: &str,
    base_url: &str,
    auth: &AuthKind,
    has_secret: bool,
) -> Result<(), CoreError> {
    let (kind, header) = auth.to_columns();
    let n = conn.execute(
        "UPDATE endpoints SET base_url = ?2, auth_kind = ?3, auth_header_name = ?4, has_secret = ?5,
         updated_at = ?6 WHERE name = ?1",
        params![name, base_url, kind, header, has_secret, now_ms()],
    )?;
    if n == 0 {
        return Err(CoreError::EndpointNotFound { name: name.into() });
    }
    Ok(())
}

pub fn remove(conn: &Connection, name: &str) -> Result<(), CoreError> {
    let n = conn.execute("DELETE FROM endpoints WHERE name = ?1", [name])?;
    if n == 0 {
        return Err(CoreError::EndpointNotFound { name: name.into() });
    }
    Ok(())
}

pub fn set_default(conn: &mut Connection, name: &str) -> Result<(), CoreError> {
    let tx = crate::store::write_tx(conn)?;
    tx.execute(
        "UPDATE endpoints SET is_default = 0 WHERE is_default = 1",
        [],
    )?;
    let n = tx.execute(
        "UPDATE endpoints SET is_default = 1 WHERE name = ?1",
        [name],
    )?;
    if n == 0 {
        return Err(CoreError::EndpointNotFound { name: name.into() });
    }
    // A server made default replaces a default pool as the default target.
    tx.execute("UPDATE pools SET is_default = 0 WHERE is_default = 1", [])?;
    tx.commit()?;
    Ok(())
}

type RawRow = (String, String, String, Option<String>, bool, bool);

fn row_to_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn raw_to_view(
    (name, base_url, kind, header, is_default, has_secret): RawRow,
) -> Result<EndpointView, CoreError> {
    Ok(EndpointView {
        name,
        base_url,
        auth: AuthKind::from_columns(&kind, header)?,
        is_default,
        has_secret,
    })
}
