//! Key/value app settings (demo mode, pacing, ...). Values are JSON text.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Serialize, de::DeserializeOwned};

use crate::CoreError;

pub fn get<T: DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>, CoreError> {
    let raw: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    raw.map(|v| {
        serde_json::from_str(&v).map_err(|e| CoreError::Corrupt(format!("setting {key}: {e}")))
    })
    .transpose()
}

pub fn set<T: Serialize>(conn: &Connection, key: &str, value: &T) -> Result<(), CoreError> {
    let json = serde_json::to_string(value).map_err(|e| CoreError::InvalidSetting {
        key: key.into(),
        reason: e.to_string(),
    })?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, json],
    )?;
    Ok(())
}
