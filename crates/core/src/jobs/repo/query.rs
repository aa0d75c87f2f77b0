//! Gallery pages and `animatrix jobs`: filters, full-text search, keyset pagination.

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use super::jobs::{SELECT_JOB, row_to_job};
use crate::CoreError;
use crate::jobs::model::{JobRecord, JobState};

/// Filters for the gallery and `animatrix jobs`. Pages are keyset-paginated on
/// (created_at, id) so deep pages cost the same as the first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// Words from the prompt (blank = no search).
    #[serde(default)]
    pub search: Option<String>,
    /// A studio (`animate`, `audio`, ...); blank = every one.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub state: Option<JobState>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub since_ms: Option<i64>,
    #[serde(default)]
    pub until_ms: Option<i64>,
    /// `Some(true)` only demo runs, `Some(false)` only real runs, `None` both.
    #[serde(default)]
    pub demo: Option<bool>,
    #[serde(default)]
    pub before: Option<Cursor>,
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
    /// Insertion order; search pages follow it (see `list`).
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobPage {
    pub jobs: Vec<JobRecord>,
    pub next: Option<Cursor>,
}

pub const DEFAULT_PAGE: u32 = 30;
const MAX_PAGE: u32 = 500;

pub fn list(conn: &Connection, q: &JobQuery) -> Result<JobPage, CoreError> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let mut sql = String::from(SELECT_JOB);
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    let mut arg = |v: SqlValue| {
        args.push(v);
        format!("?{}", args.len())
    };
    // A search streams FTS matches newest-inserted first (FTS5 walks its index in rowid order
    // and stops at the page size), which is 10x faster than sorting every match by created_at;
    // rowid order is creation order for everything the app creates.
    let fts = q.search.as_deref().and_then(fts_query);
    if let Some(fts) = &fts {
        sql = sql.replacen(
            "FROM jobs j",
            "FROM jobs_fts f JOIN jobs j ON j.rowid = f.rowid",
            1,
        );
        conds.push(format!("jobs_fts MATCH {}", arg(fts.clone().into())));
    }
    if let Some(mode) = q.mode.as_ref().filter(|m| !m.is_empty()) {
        conds.push(format!("j.mode = {}", arg(mode.clone().into())));
    }
    if let Some(state) = q.state {
        conds.push(format!(
            "j.state = {}",
            arg(state.as_str().to_string().into())
        ));
    }
    if let Some(ep) = &q.endpoint {
        conds.push(format!("j.endpoint_name = {}", arg(ep.clone().into())));
    }
    if let Some(since) = q.since_ms {
        conds.push(format!("j.created_at >= {}", arg(since.into())));
    }
    if let Some(until) = q.until_ms {
        conds.push(format!("j.created_at < {}", arg(until.into())));
    }
    if let Some(demo) = q.demo {
        conds.push(format!("j.is_demo = {}", arg(i64::from(demo).into())));
    }
    if let Some(c) = &q.before {
        if fts.is_some() {
            conds.push(format!("f.rowid < {}", arg(c.seq.into())));
        } else {
            let a = arg(c.created_at.into());
            let b = arg(c.id.clone().into());
            conds.push(format!("(j.created_at, j.id) < ({a}, {b})"));
        }
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    let p = arg(i64::from(limit + 1).into());
    let order = if fts.is_some() {
        "f.rowid DESC"
    } else {
        "j.created_at DESC, j.id DESC"
    };
    sql.push_str(&format!(" ORDER BY {order} LIMIT {p}"));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut jobs: Vec<JobRecord> = stmt
        .query_map(rusqlite::params_from_iter(args), row_to_job)?
        .collect::<Result<_, _>>()?;
    let next = if jobs.len() > limit as usize {
        jobs.truncate(limit as usize);
        jobs.last().map(|j| Cursor {
            created_at: j.times.created_at,
            id: j.id.clone(),
            seq: j.seq,
        })
    } else {
        None
    };
    Ok(JobPage { jobs, next })
}

/// Turns what a user types into a safe FTS5 query: every word quoted (no FTS syntax can be
/// injected), the last one a prefix so results follow typing.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut q = words.join(" ");
    q.push('*');
    Some(q)
}
