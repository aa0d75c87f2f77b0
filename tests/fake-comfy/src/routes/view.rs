//! GET /view (PROTOCOL §3): file bytes streamed from disk with ComfyUI's checks and headers.
//! Range / Last-Modified / conditional requests come from tower-http's `ServeFile`.
//! `preview=` and `channel=` are accepted and ignored (the original file is served).

use std::collections::HashMap;
use std::path::{Component, Path};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::empty;
use crate::state::Shared;

/// Python's `mimetypes.guess_type` for the extensions that matter, else mime_guess.
fn python_mime(name: &str) -> String {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let known = match ext.as_str() {
        "mp4" => Some("video/mp4"),
        "webm" => Some("video/webm"),
        "mov" => Some("video/quicktime"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        "gif" => Some("image/gif"),
        "wav" => Some("audio/x-wav"),
        "flac" => Some("audio/flac"),
        "mp3" => Some("audio/mpeg"),
        "json" => Some("application/json"),
        // ComfyUI forces these to download instead of display.
        "html" | "htm" | "xhtml" | "js" | "css" => Some("application/octet-stream"),
        _ => None,
    };
    match known {
        Some(m) => m.to_string(),
        None => mime_guess::from_path(name)
            .first_or_octet_stream()
            .essence_str()
            .to_string(),
    }
}

pub(crate) async fn view(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let q: HashMap<String, String> = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let Some(raw) = q.get("filename") else {
        return empty(StatusCode::NOT_FOUND);
    };
    let (mut filename, annotated_dir) = if let Some(n) = raw.strip_suffix(" [output]") {
        (n.to_string(), Some("output"))
    } else if let Some(n) = raw.strip_suffix(" [input]") {
        (n.to_string(), Some("input"))
    } else if let Some(n) = raw.strip_suffix(" [temp]") {
        (n.to_string(), Some("temp"))
    } else {
        (raw.clone(), None)
    };
    if filename.is_empty() || filename.starts_with('/') || filename.contains("..") {
        return empty(StatusCode::BAD_REQUEST);
    }
    let kind = annotated_dir
        .map(str::to_string)
        .unwrap_or_else(|| q.get("type").cloned().unwrap_or_else(|| "output".into()));
    let Some(mut dir) = shared.dirs.by_type(&kind).cloned() else {
        return empty(StatusCode::BAD_REQUEST);
    };
    if let Some(sub) = q.get("subfolder")
        && !sub.is_empty()
    {
        let escapes = sub.starts_with('/')
            || Path::new(sub)
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
        if escapes {
            return empty(StatusCode::FORBIDDEN);
        }
        dir = dir.join(sub);
    }
    if let Some(base) = filename.rsplit('/').next() {
        filename = base.to_string();
    }
    let path = dir.join(&filename);
    if !path.is_file() {
        return empty(StatusCode::NOT_FOUND);
    }
    let mime_text = python_mime(&filename);
    let mime: mime_guess::mime::Mime = mime_text
        .parse()
        .unwrap_or(mime_guess::mime::APPLICATION_OCTET_STREAM);
    let served = ServeFile::new_with_mime(&path, &mime).oneshot(req).await;
    let mut resp = match served {
        Ok(r) => r.map(Body::new),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&format!("filename=\"{filename}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
