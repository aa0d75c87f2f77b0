//! Read-only endpoints served from the captures: object_info, models, system_stats, features,
//! embeddings, view_metadata, and the other captured GETs (misc_endpoints.json).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{json_bytes, json_response};
use crate::state::Shared;

pub(crate) async fn object_info(State(shared): State<Arc<Shared>>) -> Response {
    json_bytes(StatusCode::OK, shared.object_info.body.clone())
}

pub(crate) async fn object_info_class(
    State(shared): State<Arc<Shared>>,
    Path(class): Path<String>,
) -> Response {
    let body = match shared.object_info.map.get(&class) {
        Some(schema) => json!({ class: schema }),
        None => json!({}),
    };
    json_response(StatusCode::OK, &body)
}

pub(crate) async fn models(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    let folders: Vec<&String> = st
        .models
        .iter()
        .filter(|(k, v)| k.starts_with("/models/") && v.is_array())
        .map(|(k, _)| k)
        .collect();
    // Keep the captured order of /models; add folders created by `set_models` at the end.
    let mut list: Vec<Value> = st
        .models
        .get("/models")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for k in folders {
        let name = Value::String(k.trim_start_matches("/models/").to_string());
        if !list.contains(&name) {
            list.push(name);
        }
    }
    json_response(StatusCode::OK, &Value::Array(list))
}

pub(crate) async fn models_folder(
    State(shared): State<Arc<Shared>>,
    Path(folder): Path<String>,
) -> Response {
    let st = shared.lock();
    match st.models.get(&format!("/models/{folder}")) {
        Some(v @ Value::Array(_)) => json_response(StatusCode::OK, v),
        _ => super::empty(StatusCode::NOT_FOUND),
    }
}

pub(crate) async fn system_stats(State(shared): State<Arc<Shared>>) -> Response {
    let stats = shared.lock().system_stats.clone();
    json_response(StatusCode::OK, &stats)
}

pub(crate) async fn features(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &crate::ws::server_features(&shared))
}

pub(crate) async fn embeddings(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.captures.embeddings)
}

fn misc(shared: &Shared, key: &str) -> Option<Response> {
    let entry = shared.captures.misc.get(key)?;
    let status = entry
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    match entry.get("body") {
        Some(Value::String(s)) if s.is_empty() => Some(super::empty(status)),
        Some(body) => Some(json_response(status, body)),
        None => Some(super::empty(status)),
    }
}

pub(crate) async fn view_metadata(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let key = match req.uri().query() {
        Some(q) => format!("{}?{q}", req.uri().path()),
        None => req.uri().path().to_string(),
    };
    misc(&shared, &key).unwrap_or_else(|| super::empty(StatusCode::NOT_FOUND))
}

/// Other captured GET endpoints (/extensions-like paths in misc_endpoints.json), else aiohttp's 404.
pub(crate) async fn fallback(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if req.method() == axum::http::Method::GET {
        let path = req.uri().path().to_string();
        let with_query = req.uri().query().map(|q| format!("{path}?{q}"));
        if let Some(r) = with_query
            .and_then(|k| misc(&shared, &k))
            .or_else(|| misc(&shared, &path))
        {
            return r;
        }
    }
    (StatusCode::NOT_FOUND, "404: Not Found").into_response()
}
