//! Reading packs of format version 1 (release 0.1), whose `run.json` listed the job's fields
//! one by one and whose timeline kept events as `kind` + `state` + `data`. They are read as
//! JSON and turned into version 2's records, so the importer knows one shape.

use serde_json::Value;

use super::format::{RunRecord, Timeline};
use crate::CoreError;
use crate::assets::AssetRecord;
use crate::jobs::{
    EventData, JobEvent, JobInputRecord, JobRecord, JobState, JobTimes, OutputKind, OutputRecord,
    Role, TemplateRef, legacy,
};

fn corrupt(what: impl Into<String>) -> CoreError {
    CoreError::DemoPackCorrupt {
        detail: format!("version 1 run: {}", what.into()),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn opt_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn float(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

pub fn run_record(v: &Value) -> Result<RunRecord, CoreError> {
    let template = v.get("template").cloned().unwrap_or(Value::Null);
    let (name, version) = (text(&template, "name"), text(&template, "version"));
    let request = legacy::upgrade_request(
        v.get("settings").cloned().unwrap_or(Value::Null),
        &name,
        &version,
    )
    .map_err(|e| corrupt(e.to_string()))?;
    let state = JobState::parse(&text(v, "state")).ok_or_else(|| corrupt("unknown state"))?;
    let created_at = int(v, "created_at").unwrap_or(0);
    let job = JobRecord {
        id: text(v, "id"),
        prompt_id: text(v, "comfy_prompt_id"),
        client_id: "demo".into(),
        endpoint: opt_text(v, "endpoint_name"),
        mode: text(v, "mode"),
        template: TemplateRef { name, version },
        profile: text(v, "profile"),
        aspect: text(v, "aspect"),
        prompt: text(v, "prompt"),
        negative_prompt: text(v, "negative_prompt"),
        request,
        resolved_seed: int(v, "resolved_seed"),
        frame_count: int(v, "frame_count"),
        state,
        progress: 1.0,
        error: None,
        parent_job_id: None,
        relation: None,
        is_demo: true,
        cancel_requested: false,
        times: JobTimes {
            created_at,
            updated_at: created_at,
            queued_at: int(v, "queued_at"),
            started_at: int(v, "started_at"),
            finished_at: int(v, "finished_at"),
        },
        clip: None,
        seq: 0,
    };
    let inputs = list(v, "inputs")
        .iter()
        .map(input)
        .collect::<Result<_, _>>()?;
    let outputs = list(v, "outputs")
        .iter()
        .map(output)
        .collect::<Result<_, _>>()?;
    Ok(RunRecord {
        job,
        inputs,
        outputs,
        endpoint_url: opt_text(v, "endpoint_url"),
    })
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn input(i: &Value) -> Result<JobInputRecord, CoreError> {
    let role = text(i, "role");
    if !Role::is_valid(&role) {
        return Err(corrupt(format!("input role {role:?}")));
    }
    let narrow = |key: &str| int(i, key);
    Ok(JobInputRecord {
        role: Role::new(role.clone()),
        position: int(i, "position").unwrap_or(0),
        uploaded_name: opt_text(i, "uploaded_name"),
        asset: AssetRecord {
            id: text(i, "asset_id"),
            kind: text(i, "kind"),
            role,
            original_name: text(i, "original_name"),
            mime: text(i, "mime"),
            width: narrow("width"),
            height: narrow("height"),
            duration_seconds: float(i, "duration_seconds"),
            fps: float(i, "fps"),
            frame_count: narrow("frame_count"),
            sample_rate: narrow("sample_rate"),
            channels: narrow("channels"),
            codec: opt_text(i, "codec"),
            size_bytes: int(i, "size_bytes").unwrap_or(0),
            sha256: text(i, "sha256"),
            stored_path: text(i, "file"),
            thumbnail_path: opt_text(i, "thumbnail"),
            waveform: i
                .get("waveform")
                .and_then(|w| serde_json::from_value(w.clone()).ok()),
            facts: i.get("facts").cloned().unwrap_or(Value::Null),
            created_at: 0,
        },
    })
}

fn output(o: &Value) -> Result<OutputRecord, CoreError> {
    let kind = OutputKind::parse(&text(o, "kind"))
        .ok_or_else(|| corrupt(format!("output kind {:?}", text(o, "kind"))))?;
    Ok(OutputRecord {
        kind,
        path: text(o, "file"),
        size_bytes: int(o, "size_bytes").unwrap_or(0),
        sha256: text(o, "sha256"),
        server_filename: opt_text(o, "server_filename"),
        server_subfolder: opt_text(o, "server_subfolder"),
        node_id: opt_text(o, "node_id"),
        duration_seconds: None,
        width: None,
        height: None,
    })
}

pub fn timeline(v: &Value) -> Timeline {
    let events = list(v, "events")
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let data = e.get("data").filter(|d| !d.is_null()).map(Value::to_string);
            JobEvent {
                id: n as i64 + 1,
                at: int(e, "at").unwrap_or(0),
                data: EventData::from_columns(
                    &text(e, "kind"),
                    opt_text(e, "state").as_deref(),
                    data.as_deref(),
                ),
            }
        })
        .collect();
    Timeline { events }
}
