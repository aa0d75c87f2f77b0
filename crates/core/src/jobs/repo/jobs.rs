//! Job rows: create (with inputs and first event), read, move through the state machine.

use animatrix_common::{ErrorCode, UserError};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::events::insert_event;
use crate::CoreError;
use crate::jobs::model::{
    ClipFacts, EventData, JobRecord, JobRequest, JobState, JobTimes, NewJob, Relation, TemplateRef,
};
use crate::store::{now_ms, write_tx};

/// The one INSERT of a job row: a new job is written as the record it starts as, an imported
/// one as it was recorded, so the column list exists once.
fn write_row(conn: &Connection, job: &JobRecord) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO jobs (id, comfy_prompt_id, client_id, endpoint_name, mode, template_name,
            template_version, profile, aspect, prompt, negative_prompt, settings_json, state,
            progress, resolved_seed, frame_count, parent_job_id, relation, is_demo, created_at,
            updated_at, queued_at, started_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24)",
        params![
            job.id,
            job.prompt_id,
            job.client_id,
            job.endpoint,
            job.mode,
            job.template.name,
            job.template.version,
            job.profile,
            job.aspect,
            job.prompt,
            job.negative_prompt,
            request_json(&job.request)?,
            job.state.as_str(),
            job.progress,
            job.resolved_seed,
            job.frame_count,
            job.parent_job_id,
            job.relation.map(|r| r.as_str()),
            job.is_demo,
            job.times.created_at,
            job.times.updated_at,
            job.times.queued_at,
            job.times.started_at,
            job.times.finished_at,
        ],
    )?;
    Ok(())
}

/// What a new job is when first written: `validating`, nothing measured yet.
fn starting_record(job: &NewJob, now: i64) -> JobRecord {
    let settings = &job.request.settings;
    JobRecord {
        id: job.id.clone(),
        prompt_id: job.prompt_id.clone(),
        client_id: job.client_id.clone(),
        endpoint: job.endpoint.clone(),
        mode: job.mode.clone(),
        template: job.template.clone(),
        profile: job.profile.clone(),
        aspect: job.aspect.clone(),
        prompt: settings.prompt.clone(),
        negative_prompt: settings.negative_prompt.clone().unwrap_or_default(),
        request: job.request.clone(),
        resolved_seed: Some(job.resolved_seed),
        frame_count: job.frame_count,
        state: JobState::Validating,
        progress: 0.0,
        error: None,
        parent_job_id: job.parent.as_ref().map(|(p, _)| p.clone()),
        relation: job.parent.as_ref().map(|(_, r)| *r),
        is_demo: false,
        cancel_requested: false,
        times: JobTimes {
            created_at: now,
            updated_at: now,
            ..JobTimes::default()
        },
        clip: None,
        seq: 0,
    }
}

/// Writes a new job (state `validating`), its inputs and its first events in one transaction:
/// a job never exists without the inputs it was created with.
pub fn insert(conn: &mut Connection, job: &NewJob, warnings: &[String]) -> Result<(), CoreError> {
    let tx = write_tx(conn)?;
    let now = now_ms();
    write_row(&tx, &starting_record(job, now))?;
    for input in &job.inputs {
        tx.execute(
            "INSERT INTO job_inputs (job_id, asset_id, role, position) VALUES (?1, ?2, ?3, ?4)",
            params![job.id, input.asset_id, input.role.as_str(), input.position],
        )?;
    }
    let first = EventData::State {
        state: JobState::Validating,
        error: None,
    };
    insert_event(&tx, &job.id, now, &first)?;
    for message in warnings {
        let w = EventData::Warning {
            message: message.clone(),
        };
        insert_event(&tx, &job.id, now, &w)?;
    }
    tx.commit()?;
    Ok(())
}

/// A finished run from a demo pack or the team library, with its own timestamps. The caller
/// holds the transaction (inputs, outputs and events follow in it; the importer has already
/// cleared the parent link, which names a job of another machine).
pub fn insert_imported(conn: &Connection, job: &JobRecord) -> Result<(), CoreError> {
    write_row(conn, job)
}

fn request_json(request: &JobRequest) -> Result<String, CoreError> {
    serde_json::to_string(request).map_err(|e| CoreError::Internal(format!("request json: {e}")))
}

/// Moves a job to `next` and records the event, refusing illegal transitions (e.g. a late event
/// for a job that was already cancelled). Returns `false` when the transition was refused.
pub fn transition(conn: &mut Connection, job_id: &str, next: JobState) -> Result<bool, CoreError> {
    let tx = write_tx(conn)?;
    let current = current_state(&tx, job_id)?;
    if !current.can_go_to(next) {
        return Ok(false);
    }
    let now = now_ms();
    tx.execute(
        "UPDATE jobs SET state = ?2, updated_at = ?3,
            queued_at = CASE WHEN ?2 = 'queued' THEN coalesce(queued_at, ?3) ELSE queued_at END,
            started_at = CASE WHEN ?2 = 'executing' THEN coalesce(started_at, ?3) ELSE started_at END,
            finished_at = CASE WHEN ?2 IN ('completed', 'failed', 'cancelled')
                THEN coalesce(finished_at, ?3) ELSE finished_at END,
            progress = CASE WHEN ?2 = 'completed' THEN 1.0 ELSE progress END
         WHERE id = ?1",
        params![job_id, next.as_str(), now],
    )?;
    let event = EventData::State {
        state: next,
        error: None,
    };
    insert_event(&tx, job_id, now, &event)?;
    tx.commit()?;
    Ok(true)
}

/// Marks the job failed with its typed cause (unless it already ended).
pub fn fail(conn: &mut Connection, job_id: &str, err: &UserError) -> Result<bool, CoreError> {
    let tx = write_tx(conn)?;
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
            err.code.as_str(),
            err.message,
            err.suggestion,
            err.detail
        ],
    )?;
    let event = EventData::State {
        state: JobState::Failed,
        error: Some(err.clone()),
    };
    insert_event(&tx, job_id, now, &event)?;
    tx.commit()?;
    Ok(true)
}

pub fn set_progress(conn: &Connection, job_id: &str, progress: f64) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE jobs SET progress = ?2
         WHERE id = ?1 AND state NOT IN ('completed', 'failed', 'cancelled')",
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

fn current_state(conn: &Connection, job_id: &str) -> Result<JobState, CoreError> {
    let s: Option<String> = conn
        .query_row("SELECT state FROM jobs WHERE id = ?1", [job_id], |r| {
            r.get(0)
        })
        .optional()?;
    let s = s.ok_or_else(|| CoreError::JobNotFound { id: job_id.into() })?;
    JobState::parse(&s).ok_or_else(|| CoreError::Corrupt(format!("job state {s:?}")))
}

/// Every column of the model, the clip read from the job's first video and poster outputs.
pub(super) const SELECT_JOB: &str = "SELECT j.*, j.rowid AS seq,
    v.path AS clip_path, v.duration_seconds AS clip_seconds, v.width AS clip_width,
    v.height AS clip_height, v.size_bytes AS clip_bytes,
    (SELECT p.path FROM outputs p WHERE p.job_id = j.id AND p.kind = 'poster'
        ORDER BY p.id LIMIT 1) AS poster_path
    FROM jobs j
    LEFT JOIN outputs v ON v.id = (SELECT o.id FROM outputs o
        WHERE o.job_id = j.id AND o.kind = 'video' ORDER BY o.id LIMIT 1)";

pub(super) fn row_to_job(r: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let request: String = r.get("settings_json")?;
    let state: String = r.get("state")?;
    let code: Option<String> = r.get("error_code")?;
    let relation: Option<String> = r.get("relation")?;
    let clip_path: Option<String> = r.get("clip_path")?;
    let id: String = r.get("id")?;
    let request = serde_json::from_str::<JobRequest>(&request).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("job {id} request: {e}").into(),
        )
    })?;
    Ok(JobRecord {
        prompt_id: r.get("comfy_prompt_id")?,
        client_id: r.get("client_id")?,
        endpoint: r.get("endpoint_name")?,
        mode: r.get("mode")?,
        template: TemplateRef {
            name: r.get("template_name")?,
            version: r.get("template_version")?,
        },
        profile: r.get("profile")?,
        aspect: r.get("aspect")?,
        prompt: r.get("prompt")?,
        negative_prompt: r.get("negative_prompt")?,
        request,
        resolved_seed: r.get("resolved_seed")?,
        frame_count: r.get("frame_count")?,
        // The CHECK constraint keeps this parseable; Failed is the honest reading if not.
        state: JobState::parse(&state).unwrap_or(JobState::Failed),
        progress: r.get("progress")?,
        error: match code {
            Some(code) => Some(
                UserError::new(
                    ErrorCode::parse(&code),
                    r.get::<_, Option<String>>("error_message")?
                        .unwrap_or_default(),
                    r.get::<_, Option<String>>("error_suggestion")?
                        .unwrap_or_default(),
                )
                .with_detail(
                    r.get::<_, Option<String>>("error_detail")?
                        .unwrap_or_default(),
                ),
            ),
            None => None,
        },
        parent_job_id: r.get("parent_job_id")?,
        relation: relation.as_deref().and_then(Relation::parse),
        is_demo: r.get("is_demo")?,
        cancel_requested: r.get("cancel_requested")?,
        times: JobTimes {
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
            queued_at: r.get("queued_at")?,
            started_at: r.get("started_at")?,
            finished_at: r.get("finished_at")?,
        },
        clip: match clip_path {
            Some(path) => Some(ClipFacts {
                path,
                seconds: r.get("clip_seconds")?,
                width: r.get("clip_width")?,
                height: r.get("clip_height")?,
                bytes: r.get("clip_bytes")?,
                poster_path: r.get("poster_path")?,
            }),
            None => None,
        },
        seq: r.get("seq")?,
        id,
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

/// Our job that posted `prompt_id`, if any (the operator's queue view).
pub fn find_by_prompt_id(
    conn: &Connection,
    prompt_id: &str,
) -> Result<Option<JobRecord>, CoreError> {
    Ok(conn
        .query_row(
            &format!("{SELECT_JOB} WHERE j.comfy_prompt_id = ?1"),
            [prompt_id],
            row_to_job,
        )
        .optional()?)
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
        let mut ids: Vec<String> = stmt
            .query_map([id_or_prefix], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if ids.len() == 1
            && let Some(id) = ids.pop()
        {
            return Ok(id);
        }
    }
    Err(CoreError::JobNotFound {
        id: id_or_prefix.into(),
    })
}

/// Real (non-demo) jobs that have not ended, oldest first: what `recover` reconciles.
pub fn non_terminal(conn: &Connection) -> Result<Vec<JobRecord>, CoreError> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT_JOB} WHERE j.state NOT IN ('completed', 'failed', 'cancelled') AND j.is_demo = 0
         ORDER BY j.created_at"
    ))?;
    let rows = stmt.query_map([], row_to_job)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn exists(conn: &Connection, job_id: &str) -> Result<bool, CoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM jobs WHERE id = ?1)",
        [job_id],
        |r| r.get(0),
    )?)
}

pub fn prompt_id_taken(conn: &Connection, prompt_id: &str) -> Result<bool, CoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM jobs WHERE comfy_prompt_id = ?1)",
        [prompt_id],
        |r| r.get(0),
    )?)
}

/// Whether a demo run `job_id` with exactly this video is here (a pack imported again).
pub fn demo_run_with_video(
    conn: &Connection,
    job_id: &str,
    video_sha256: &str,
) -> Result<bool, CoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM jobs j JOIN outputs o ON o.job_id = j.id
         WHERE j.id = ?1 AND j.is_demo = 1 AND o.kind = 'video' AND o.sha256 = ?2)",
        params![job_id, video_sha256],
        |r| r.get(0),
    )?)
}

/// Failed jobs whose prompt may still be on the server, newest first: they failed after it was
/// handed to the server (or its answer was lost) with one of `codes`, which say nothing about
/// the prompt itself (the server could not be reached or read), and ended after `since_ms`.
pub fn revivable(
    conn: &Connection,
    codes: &[&str],
    since_ms: i64,
) -> Result<Vec<JobRecord>, CoreError> {
    let placeholders: Vec<String> = (0..codes.len()).map(|i| format!("?{}", i + 2)).collect();
    let sql = format!(
        "{SELECT_JOB} WHERE j.state = 'failed' AND j.is_demo = 0 AND j.queued_at IS NOT NULL
           AND j.finished_at >= ?1 AND j.error_code IN ({})
         ORDER BY j.created_at DESC",
        placeholders.join(", ")
    );
    let mut args: Vec<rusqlite::types::Value> = vec![since_ms.into()];
    args.extend(
        codes
            .iter()
            .map(|c| rusqlite::types::Value::from(c.to_string())),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_job)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A failed job found alive on the server again: back to `state`, its failure cleared, both
/// recorded. `false` when it is no longer failed (another process revived or ended it).
pub fn revive(
    conn: &mut Connection,
    job_id: &str,
    state: JobState,
    how: &str,
) -> Result<bool, CoreError> {
    let tx = write_tx(conn)?;
    if current_state(&tx, job_id)? != JobState::Failed {
        return Ok(false);
    }
    let now = now_ms();
    tx.execute(
        "UPDATE jobs SET state = ?2, updated_at = ?3, finished_at = NULL, error_code = NULL,
            error_message = NULL, error_suggestion = NULL, error_detail = NULL WHERE id = ?1",
        params![job_id, state.as_str(), now],
    )?;
    let found = EventData::Reconciled { how: how.into() };
    insert_event(&tx, job_id, now, &found)?;
    insert_event(&tx, job_id, now, &EventData::State { state, error: None })?;
    tx.commit()?;
    Ok(true)
}
