//! Answers of the hostile endpoint faults: canned bodies, silence, slow-loris and endless
//! bodies, and answers lost after the request was handled for real.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::faults::{CannedBody, LostAnswer};
use crate::state::Shared;

/// The page a reverse proxy sends when its upstream misbehaves.
const PROXY_PAGE: &str =
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
/// Zeros served by the endless body, shared so serving them allocates nothing.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

fn with_type(status: StatusCode, content_type: &str, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn declare_length(r: &mut Response, declared: Option<u64>) {
    if let Some(n) = declared {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
}

pub(crate) fn canned(c: CannedBody) -> Response {
    let status = StatusCode::from_u16(c.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    with_type(status, &c.content_type, Body::from(c.body))
}

/// Never answers: waits for the server generation to end (restart or shutdown).
pub(crate) async fn hang(shared: &Shared) -> Response {
    shared.generation().cancelled().await;
    with_type(StatusCode::SERVICE_UNAVAILABLE, "text/plain", Body::empty())
}

pub(crate) fn trickle(every: Duration, content_type: &str, declared: Option<u64>) -> Response {
    let stream = futures_util::stream::unfold((), move |()| async move {
        tokio::time::sleep(every).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b"\0")), ()))
    });
    let mut r = with_type(StatusCode::OK, content_type, Body::from_stream(stream));
    declare_length(&mut r, declared);
    r
}

pub(crate) fn endless(content_type: &str, declared: Option<u64>) -> Response {
    let stream = futures_util::stream::repeat_with(|| {
        Ok::<_, std::io::Error>(Bytes::from_static(&ZEROS[..]))
    });
    let mut r = with_type(StatusCode::OK, content_type, Body::from_stream(stream));
    declare_length(&mut r, declared);
    r
}

/// The real answer `handled` (its side effects already happened) lost as `how` says.
pub(crate) async fn lose(shared: &Shared, how: LostAnswer, handled: Response) -> Response {
    match how {
        LostAnswer::Hang => {
            drop(handled);
            hang(shared).await
        }
        LostAnswer::Garbled => with_type(StatusCode::OK, "text/html", Body::from(PROXY_PAGE)),
        LostAnswer::WrongPromptId => {
            let (parts, body) = handled.into_parts();
            let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
                .await
                .unwrap_or_default();
            let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if let Some(id) = json.get_mut("prompt_id") {
                *id = Value::String(uuid::Uuid::new_v4().to_string());
            }
            let body = serde_json::to_vec(&json).unwrap_or_default();
            let mut r = Response::from_parts(parts, Body::from(body));
            r.headers_mut().remove(header::CONTENT_LENGTH);
            r
        }
    }
}
