//! Queue, interrupt and history endpoints (PROTOCOL §5, §6).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{empty, json_response, server_error};
use crate::state::{InterruptRecord, Shared, broadcast_status};

pub(crate) async fn get_prompt(State(shared): State<Arc<Shared>>) -> Response {
    let n = shared.lock().queue_remaining();
    json_response(
        StatusCode::OK,
        &json!({"exec_info": {"queue_remaining": n}}),
    )
}

pub(crate) async fn get_queue(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    let running: Vec<Value> = st.running.iter().map(|r| r.item.as_json()).collect();
    let mut pending = st.pending.clone();
    pending.sort_by(|a, b| {
        a.sort_key()
            .partial_cmp(&b.sort_key())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let pending: Vec<Value> = pending.iter().map(|i| i.as_json()).collect();
    json_response(
        StatusCode::OK,
        &json!({"queue_running": running, "queue_pending": pending}),
    )
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        Value::Bool(true) => true,
    }
}

fn ids(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(crate::pyrepr::str_of).collect())
        .unwrap_or_default()
}

pub(crate) async fn post_queue(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(Value::Object(data)) = serde_json::from_slice::<Value>(&body) else {
        return server_error();
    };
    {
        let mut st = shared.lock();
        if data.get("clear").is_some_and(truthy) {
            st.records.queue_clears += 1;
            st.pending.clear();
            broadcast_status(&mut st);
        }
        for id in ids(data.get("delete")) {
            st.records.queue_deletes.push(id.clone());
            if let Some(i) = st.pending.iter().position(|p| p.prompt_id == id) {
                st.pending.remove(i);
                broadcast_status(&mut st);
            }
        }
    }
    shared.bump();
    empty(StatusCode::OK)
}

pub(crate) async fn post_interrupt(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let data: Map<String, Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return server_error(),
        Err(_) => Map::new(),
    };
    let target = data
        .get("prompt_id")
        .filter(|v| truthy(v))
        .map(crate::pyrepr::str_of);
    let effective = {
        let mut st = shared.lock();
        let effective = match &target {
            Some(id) => st.running.as_ref().is_some_and(|r| &r.item.prompt_id == id),
            None => true,
        };
        st.records.interrupts.push(InterruptRecord {
            prompt_id: target.clone(),
            effective,
        });
        effective
    };
    if effective {
        shared.interrupt.send_replace(true);
    }
    shared.bump();
    empty(StatusCode::OK)
}

pub(crate) async fn get_history(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let max_items = match q.get("max_items").map(|s| s.trim().parse::<i64>()) {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return server_error(),
        None => None,
    };
    let mut offset = match q.get("offset").map(|s| s.trim().parse::<i64>()) {
        Some(Ok(n)) => n,
        Some(Err(_)) => return server_error(),
        None => -1,
    };
    let st = shared.lock();
    if offset < 0
        && let Some(m) = max_items
    {
        offset = st.history.len() as i64 - m;
    }
    // Built by hand to keep insertion order (oldest first), as ComfyUI's dict does.
    let mut parts = Vec::new();
    for (i, (k, v)) in st.history.iter().enumerate() {
        if (i as i64) < offset {
            continue;
        }
        parts.push(format!(
            "{}:{}",
            Value::String(k.clone()),
            serde_json::to_string(v).unwrap_or_default()
        ));
        if max_items.is_some_and(|m| parts.len() as i64 >= m) {
            break;
        }
    }
    super::json_bytes(StatusCode::OK, format!("{{{}}}", parts.join(",")))
}

pub(crate) async fn get_history_item(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let st = shared.lock();
    let body = match st.history.get(&id) {
        Some(entry) => json!({ id: entry }),
        None => json!({}),
    };
    json_response(StatusCode::OK, &body)
}

pub(crate) async fn post_history(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(Value::Object(data)) = serde_json::from_slice::<Value>(&body) else {
        return server_error();
    };
    {
        let mut st = shared.lock();
        if data.get("clear").is_some_and(truthy) {
            st.records.history_clears += 1;
            st.history.clear();
        }
        for id in ids(data.get("delete")) {
            st.records.history_deletes.push(id.clone());
            st.history.shift_remove(&id);
        }
    }
    shared.bump();
    empty(StatusCode::OK)
}
