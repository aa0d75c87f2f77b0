//! Job rows, their events and outputs in SQLite. Every state change and its event are written in
//! one transaction, so the history never disagrees with the job's state.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::state::JobState;
use crate::CoreError;
use crate::store::now_ms;

/// What is known about a job when it is first written (state `validating`).
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub comfy_prompt_id: String,
    pub client_id: String,
    pub endpoint_name: Option<String>,
    pub mode: String,
    pub template_name: String,
    pub template_version: String,
    pub profile: String,
    pub aspect: String,
    pub prompt: String,
    pub negative_prompt: String,
    pub settings_json: String,
    pub parent_job_id: Option<String>,
    pub relation: Option<String>,
    pub is_demo: bool,
}

/// One job as the UI and CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub comfy_prompt_id: String,
    pub client_id: String,
    pub endpoint_name: Option<String>,
    pub mode: String,
    pub template_name: String,
    pub template_version: String,
    pub profile: String,
    pub aspect: String,
    pub prompt: String,
    pub negative_prompt: String,
    pub settings: serde_json::Value,
    pub resolved_seed: Option<i64>,
    pub frame_count: Option<i64>,
    pub state: JobState,
    pub progress: f64,
    pub error: Option<JobError>,
    pub parent_job_id: Option<String>,
    pub relation: Option<String>,
    pub is_demo: bool,
    pub cancel_requested: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub queued_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Local path of the poster frame once collected.
    pub poster_path: Option<String>,
    /// Local path of the video once collected.
    pub video_path: Option<String>,
    /// Insertion order (SQLite rowid).
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub code: String,
    pub message: String,
    pub suggestion: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub state: Option<JobState>,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    pub kind: String,
    pub path: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub server_filename: Option<String>,
    pub server_subfolder: Option<String>,
    pub node_id: Option<String>,
}

/// Filters for the gallery and `animatrix jobs`. Pages are keyset-paginated on
/// (created_at, id) so deep pages cost the same as the first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobQuery {
    pub search: Option<String>,
    pub mode: Option<String>,
    pub state: Option<JobState>,
    pub endpoint: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// `Some(true)` only demo runs, `Some(false)` only real runs, `None` both.
    pub demo: Option<bool>,
    pub before: Option<Cursor>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
    /// Insertion order; search pages follow it (see `list`).
    pub seq: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobPage {
    pub jobs: Vec<JobRecord>,
    pub next: Option<Cursor>,
}

pub const DEFAULT_PAGE: u32 = 30;
const MAX_PAGE: u32 = 500;

pub fn insert(conn: &mut Connection, job: &NewJob) -> Result<(), CoreError> {
    let tx = crate::store::write_tx(conn)?;
    let now = now_ms();
    tx.execute(
        "INSERT INTO jobs (id, comfy_prompt_id, client_id, endpoint_name, mode, template_name,
            template_version, profile, aspect, prompt, negative_prompt, settings_json, state,
            parent_job_id, relation, is_demo, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'validating', ?13, ?14, ?15, ?16, ?16)",
        params![
            job.id,
            job.comfy_prompt_id,
            job.client_id,
            job.endpoint_name,
            job.mode,
            job.template_name,
            job.template_version,
            job.profile,
            job.aspect,
            job.prompt,
            job.negative_prompt,
            job.settings_json,
            job.parent_job_id,
            job.relation,
            job.is_demo,
            now
        ],
    )?;
    insert_event(
        &tx,
        &job.id,
        now,
        "state",
        Some(JobState::Validating),
        &serde_json::Value::Null,
    )?;
    tx.commit()?;
    Ok(())
}

/// Moves a job to `next` and records the event, refusing illegal transitions (e.g. a late event
/// for a job that was already cancelled). Returns `false` when the transition was refused.
pub fn transition(
    conn: &mut Connection,
    job_id: &str,
    next: JobState,
    data: &serde_json::Value,
) -> Result<bool, CoreError> {
    let tx = crate::store::write_tx(conn)?;
    let current = current_state(&tx, job_id)?;
    if !current.can_go_to(next) {
        return Ok(false);
    }
    let now = now_ms();
    let stamp_col = match next {
        JobState::Queued => Some("queued_at"),
        JobState::Executing => Some("started_at"),
        s if s.is_terminal() => Some("finished_at"),
        _ => None,
    };
    tx.execute(
        "UPDATE jobs SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![job_id, next.as_str(), now],
    )?;
    if let Some(col) = stamp_col {
        tx.execute(
            &format!("UPDATE jobs SET {col} = coalesce({col}, ?2) WHERE id = ?1"),
            params![job_id, now],
        )?;
    }
    if next == JobState::Completed {
        tx.execute("UPDATE jobs SET progress = 1.0 WHERE id = ?1", [job_id])?;
    }
    insert_event(&tx, job_id, now, "state", Some(next), data)?;
    tx.commit()?;
    Ok(true)
}

/// Marks the job failed with its typed cause (unless it already ended).
pub fn fail(conn: &mut Connection, job_id: &str, err: &JobError) -> Result<bool, CoreError> {
    let tx = crate::store::write_tx(conn)?;
    if current_state(&tx, job_id)?.is_terminal() {
        return Ok(false);
    }
    let now = now_ms();
    tx.execute(
        "UPDATE jobs SET state = 'failed', updated_at = ?2, finished_at = ?2, error_code = ?3,
            error_message = ?4, error_suggestion = ?5, error_detail = ?6 WHERE id = ?1",
        params![
            job_id,
            now,
            err.code,
            err.message,
            err.suggestion,
            err.detail
        ],
    )?;
    let data = serde_json::to_value(err).unwrap_or_default();
    insert_event(&tx, job_id, now, "state", Some(JobState::Failed), &data)?;
    tx.commit()?;
    Ok(true)
}

pub fn set_seed_and_frames(
    conn: &Connection,
    job_id: &str,
    seed: i64,
    frames: Option<i64>,
) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE jobs SET resolved_seed = ?2, frame_count = ?3, updated_at = ?4 WHERE id = ?1",
        params![job_id, seed, frames, now_ms()],
    )?;
    Ok(())
}

pub fn set_progress(conn: &Connection, job_id: &str, progress: f64) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE jobs SET progress = ?2 WHERE id = ?1 AND state NOT IN ('completed','failed','cancelled')",
        params![job_id, progress.clamp(0.0, 1.0)],
    )?;
    Ok(())
}

pub fn request_cancel(conn: &Connection, job_id: &str) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE jobs SET cancel_requested = 1, updated_at = ?2 WHERE id = ?1",
        params![job_id, now_ms()],
    )?;
    Ok(())
}

pub fn add_event(
    conn: &Connection,
    job_id: &str,
    kind: &str,
    data: &serde_json::Value,
) -> Result<(), CoreError> {
    insert_event(conn, job_id, now_ms(), kind, None, data)
}

fn insert_event(
    conn: &Connection,
    job_id: &str,
    at: i64,
    kind: &str,
    state: Option<JobState>,
    data: &serde_json::Value,
) -> Result<(), CoreError> {
    let data = if data.is_null() {
        None
    } else {
        Some(data.to_string())
    };
    conn.execute(
        "INSERT INTO job_events (job_id, at, kind, state, data_json) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![job_id, at, kind, state.map(JobState::as_str), data],
    )?;
    Ok(())
}

fn current_state(conn: &Connection, job_id: &str) -> Result<JobState, CoreError> {
    let s: Option<String> = conn
        .query_row("SELECT state FROM jobs WHERE id = ?1", [job_id], |r| {
            r.get(0)
        })
        .optional()?;
    let s = s.ok_or_else(|| CoreError::JobNotFound { id: job_id.into() })?;
    JobState::parse(&s).ok_or_else(|| CoreError::Corrupt(format!("job state {s:?}")))
}

pub fn add_output(conn: &Connection, job_id: &str, out: &OutputRecord) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO outputs (job_id, kind, path, size_bytes, sha256, server_filename,
            server_subfolder, node_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(job_id, path) DO UPDATE SET size_bytes = excluded.size_bytes,
            sha256 = excluded.sha256",
        params![
            job_id,
            out.kind,
            out.path,
            out.size_bytes,
            out.sha256,
            out.server_filename,
            out.server_subfolder,
            out.node_id,
            now_ms()
        ],
    )?;
    Ok(())
}

pub fn outputs(conn: &Connection, job_id: &str) -> Result<Vec<OutputRecord>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, path, size_bytes, sha256, server_filename, server_subfolder, node_id
         FROM outputs WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        Ok(OutputRecord {
            kind: r.get(0)?,
            path: r.get(1)?,
            size_bytes: r.get(2)?,
            sha256: r.get(3)?,
            server_filename: r.get(4)?,
            server_subfolder: r.get(5)?,
            node_id: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn events(conn: &Connection, job_id: &str) -> Result<Vec<JobEvent>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, state, data_json FROM job_events WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        let state: Option<String> = r.get(3)?;
        let data: Option<String> = r.get(4)?;
        Ok(JobEvent {
            id: r.get(0)?,
            at: r.get(1)?,
            kind: r.get(2)?,
            state: state.as_deref().and_then(JobState::parse),
            data: data
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const SELECT_JOB: &str = "SELECT j.id, j.comfy_prompt_id, j.client_id, j.endpoint_name, j.mode,
    j.template_name, j.template_version, j.profile, j.aspect, j.prompt, j.negative_prompt,
    j.settings_json, j.resolved_seed, j.frame_count, j.state, j.progress, j.error_code,
    j.error_message, j.error_suggestion, j.error_detail, j.parent_job_id, j.relation, j.is_demo,
    j.cancel_requested, j.created_at, j.updated_at, j.queued_at, j.started_at, j.finished_at,
    (SELECT path FROM outputs o WHERE o.job_id = j.id AND o.kind = 'poster' ORDER BY o.id LIMIT 1),
    (SELECT path FROM outputs o WHERE o.job_id = j.id AND o.kind = 'video' ORDER BY o.id LIMIT 1),
    j.rowid
    FROM jobs j";

fn row_to_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let settings: String = r.get(11)?;
    let state: String = r.get(14)?;
    let code: Option<String> = r.get(16)?;
    Ok(JobRecord {
        id: r.get(0)?,
        comfy_prompt_id: r.get(1)?,
        client_id: r.get(2)?,
        endpoint_name: r.get(3)?,
        mode: r.get(4)?,
        template_name: r.get(5)?,
        template_version: r.get(6)?,
        profile: r.get(7)?,
        aspect: r.get(8)?,
        prompt: r.get(9)?,
        negative_prompt: r.get(10)?,
        settings: serde_json::from_str(&settings).unwrap_or(serde_json::Value::Null),
        resolved_seed: r.get(12)?,
        frame_count: r.get(13)?,
        // The CHECK constraint keeps this parseable; Failed is the honest reading if not.
        state: JobState::parse(&state).unwrap_or(JobState::Failed),
        progress: r.get(15)?,
        error: match code {
            Some(code) => Some(JobError {
                code,
                message: r.get::<_, Option<String>>(17)?.unwrap_or_default(),
                suggestion: r.get::<_, Option<String>>(18)?.unwrap_or_default(),
                detail: r.get::<_, Option<String>>(19)?.unwrap_or_default(),
            }),
            None => None,
        },
        parent_job_id: r.get(20)?,
        relation: r.get(21)?,
        is_demo: r.get(22)?,
        cancel_requested: r.get(23)?,
        created_at: r.get(24)?,
        updated_at: r.get(25)?,
        queued_at: r.get(26)?,
        started_at: r.get(27)?,
        finished_at: r.get(28)?,
        poster_path: r.get(29)?,
        video_path: r.get(30)?,
        seq: r.get(31)?,
    })
}

pub fn get(conn: &Connection, job_id: &str) -> Result<JobRecord, CoreError> {
    conn.query_row(
        &format!("{SELECT_JOB} WHERE j.id = ?1"),
        [job_id],
        row_to_job,
    )
    .optional()?
    .ok_or_else(|| CoreError::JobNotFound { id: job_id.into() })
}

/// Finds a job by full id or by a unique prefix (at least 6 characters), as the CLI accepts.
pub fn resolve_id(conn: &Connection, id_or_prefix: &str) -> Result<String, CoreError> {
    let exact: Option<String> = conn
        .query_row("SELECT id FROM jobs WHERE id = ?1", [id_or_prefix], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = exact {
        return Ok(id);
    }
    if id_or_prefix.len() >= 6 {
        let mut stmt =
            conn.prepare_cached("SELECT id FROM jobs WHERE id >= ?1 AND id < ?1 || x'ff' LIMIT 2")?;
        let ids: Vec<String> = stmt
            .query_map([id_or_prefix], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if ids.len() == 1 {
            return Ok(ids.into_iter().next().unwrap_or_default());
        }
    }
    Err(CoreError::JobNotFound {
        id: id_or_prefix.into(),
    })
}

pub fn non_terminal(conn: &Connection) -> Result<Vec<JobRecord>, CoreError> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT_JOB} WHERE j.state NOT IN ('completed','failed','cancelled') AND j.is_demo = 0
         ORDER BY j.created_at"
    ))?;
    let rows = stmt.query_map([], row_to_job)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn list(conn: &Connection, q: &JobQuery) -> Result<JobPage, CoreError> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let mut sql = String::from(SELECT_JOB);
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let arg = |v: rusqlite::types::Value, args: &mut Vec<rusqlite::types::Value>| {
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
        let p = arg(fts.clone().into(), &mut args);
        conds.push(format!("jobs_fts MATCH {p}"));
    }
    if let Some(mode) = &q.mode {
        let p = arg(mode.clone().into(), &mut args);
        conds.push(format!("j.mode = {p}"));
    }
    if let Some(state) = q.state {
        let p = arg(state.as_str().to_string().into(), &mut args);
        conds.push(format!("j.state = {p}"));
    }
    if let Some(ep) = &q.endpoint {
        let p = arg(ep.clone().into(), &mut args);
        conds.push(format!("j.endpoint_name = {p}"));
    }
    if let Some(since) = q.since_ms {
        let p = arg(since.into(), &mut args);
        conds.push(format!("j.created_at >= {p}"));
    }
    if let Some(until) = q.until_ms {
        let p = arg(until.into(), &mut args);
        conds.push(format!("j.created_at < {p}"));
    }
    if let Some(demo) = q.demo {
        let p = arg(i64::from(demo).into(), &mut args);
        conds.push(format!("j.is_demo = {p}"));
    }
    if let Some(c) = &q.before {
        if fts.is_some() {
            let a = arg(c.seq.into(), &mut args);
            conds.push(format!("f.rowid < {a}"));
        } else {
            let a = arg(c.created_at.into(), &mut args);
            let b = arg(c.id.clone().into(), &mut args);
            conds.push(format!("(j.created_at, j.id) < ({a}, {b})"));
        }
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    let p = arg(i64::from(limit + 1).into(), &mut args);
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
            created_at: j.created_at,
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn new_job(id: &str, prompt: &str) -> NewJob {
        NewJob {
            id: id.into(),
            comfy_prompt_id: format!("p-{id}"),
            client_id: "c".into(),
            endpoint_name: Some("lab".into()),
            mode: "audio".into(),
            template_name: "s2v".into(),
            template_version: "1.0.0".into(),
            profile: "draft".into(),
            aspect: "9:16".into(),
            prompt: prompt.into(),
            negative_prompt: String::new(),
            settings_json: "{}".into(),
            parent_job_id: None,
            relation: None,
            is_demo: false,
        }
    }

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::store::open(dir.path()).expect("open");
        (dir, conn)
    }

    #[test]
    fn lifecycle_is_recorded_and_illegal_moves_refused() {
        let (_d, mut c) = db();
        insert(&mut c, &new_job("job-aaaaaa1", "hello")).expect("insert");
        let null = serde_json::Value::Null;
        assert!(transition(&mut c, "job-aaaaaa1", JobState::Uploading, &null).expect("t"));
        assert!(transition(&mut c, "job-aaaaaa1", JobState::Queued, &null).expect("t"));
        assert!(!transition(&mut c, "job-aaaaaa1", JobState::Uploading, &null).expect("t"));
        assert!(transition(&mut c, "job-aaaaaa1", JobState::Executing, &null).expect("t"));
        let err = JobError {
            code: "execution_error".into(),
            message: "m".into(),
            suggestion: "s".into(),
            detail: "d".into(),
        };
        assert!(fail(&mut c, "job-aaaaaa1", &err).expect("fail"));
        assert!(!transition(&mut c, "job-aaaaaa1", JobState::Completed, &null).expect("t"));
        let job = get(&c, "job-aaaaaa1").expect("get");
        assert_eq!(job.state, JobState::Failed);
        assert_eq!(
            job.error.as_ref().map(|e| e.code.as_str()),
            Some("execution_error")
        );
        assert!(job.queued_at.is_some() && job.started_at.is_some() && job.finished_at.is_some());
        let states: Vec<_> = events(&c, "job-aaaaaa1")
            .expect("events")
            .into_iter()
            .filter_map(|e| e.state)
            .collect();
        assert_eq!(
            states,
            vec![
                JobState::Validating,
                JobState::Uploading,
                JobState::Queued,
                JobState::Executing,
                JobState::Failed
            ]
        );
    }

    #[test]
    fn list_paginates_filters_and_searches() {
        let (_d, mut c) = db();
        for i in 0..25 {
            let mut j = new_job(&format!("job-{i:04}"), &format!("prompt number {i}"));
            if i % 5 == 0 {
                j.prompt = format!("a knight singing opera {i}");
                j.mode = "animate".into();
            }
            insert(&mut c, &j).expect("insert");
            c.execute(
                "UPDATE jobs SET created_at = ?2 WHERE id = ?1",
                params![format!("job-{i:04}"), 1000 + i],
            )
            .expect("stamp");
        }
        let page = list(
            &c,
            &JobQuery {
                limit: Some(10),
                ..Default::default()
            },
        )
        .expect("page");
        assert_eq!(page.jobs.len(), 10);
        assert_eq!(page.jobs[0].id, "job-0024", "newest first");
        let page2 = list(
            &c,
            &JobQuery {
                limit: Some(10),
                before: page.next.clone(),
                ..Default::default()
            },
        )
        .expect("page2");
        assert_eq!(page2.jobs[0].id, "job-0014");
        let hits = list(
            &c,
            &JobQuery {
                search: Some("OPERA kni".into()),
                ..Default::default()
            },
        )
        .expect("search");
        assert_eq!(hits.jobs.len(), 5);
        assert_eq!(hits.jobs[0].id, "job-0020", "newest match first");
        let hits_p1 = list(
            &c,
            &JobQuery {
                search: Some("opera".into()),
                limit: Some(3),
                ..Default::default()
            },
        )
        .expect("search p1");
        let hits_p2 = list(
            &c,
            &JobQuery {
                search: Some("opera".into()),
                limit: Some(3),
                before: hits_p1.next.clone(),
                ..Default::default()
            },
        )
        .expect("search p2");
        let ids: Vec<_> = hits_p1
            .jobs
            .iter()
            .chain(&hits_p2.jobs)
            .map(|j| j.id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["job-0020", "job-0015", "job-0010", "job-0005", "job-0000"]
        );
        assert!(hits_p2.next.is_none());
        let animate_failed = list(
            &c,
            &JobQuery {
                mode: Some("animate".into()),
                state: Some(JobState::Failed),
                ..Default::default()
            },
        )
        .expect("filter");
        assert!(animate_failed.jobs.is_empty());
        // FTS syntax in user text is quoted away, never an error.
        list(
            &c,
            &JobQuery {
                search: Some("\"NEAR( AND * :".into()),
                ..Default::default()
            },
        )
        .expect("hostile search text");
    }

    #[test]
    fn resolves_unique_prefixes_only() {
        let (_d, mut c) = db();
        insert(&mut c, &new_job("abcdef-1", "x")).expect("insert");
        insert(&mut c, &new_job("abcdef-2", "y")).expect("insert");
        assert_eq!(resolve_id(&c, "abcdef-1").expect("full"), "abcdef-1");
        assert!(resolve_id(&c, "abcdef").is_err(), "ambiguous");
        assert!(resolve_id(&c, "abc").is_err(), "too short");
    }
}
