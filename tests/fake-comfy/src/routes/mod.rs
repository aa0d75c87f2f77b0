//! HTTP routes and the request middleware (recording, auth, endpoint faults).

mod canned;
mod info;
mod prompt;
mod queue;
mod upload;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::faults::EndpointFaultKind;
use crate::state::{RequestRecord, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/object_info", get(info::object_info))
        .route("/object_info/{class}", get(info::object_info_class))
        .route("/models", get(info::models))
        .route("/models/{folder}", get(info::models_folder))
        .route("/system_stats", get(info::system_stats))
        .route("/features", get(info::features))
        .route("/embeddings", get(info::embeddings))
        .route("/view_metadata/{folder}", get(info::view_metadata))
        .route("/prompt", get(queue::get_prompt).post(prompt::post_prompt))
        .route("/queue", get(queue::get_queue).post(queue::post_queue))
        .route("/interrupt", post(queue::post_interrupt))
        .route(
            "/history",
            get(queue::get_history).post(queue::post_history),
        )
        .route("/history/{id}", get(queue::get_history_item))
        .route("/upload/image", post(upload::upload_image))
        .route("/view", get(view::view))
        .route("/ws", get(crate::ws::handler))
        .fallback(info::fallback)
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        // Added after the gate: no auth, no faults, not recorded.
        .merge(crate::control::routes())
        .with_state(shared)
}

/// aiohttp-style JSON answer.
pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    json_bytes(status, body)
}

pub(crate) fn json_bytes(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// `web.Response(status=N)`: empty body.
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// What aiohttp answers when a handler raises (e.g. `await request.json()` on bad JSON).
pub(crate) fn server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "500 Internal Server Error\n\nServer got itself in trouble",
    )
        .into_response()
}

async fn gate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let record = RequestRecord {
        method: method.clone(),
        path: path.clone(),
        query: req.uri().query().map(str::to_string),
        websocket: path == "/ws",
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let (auth, fault) = {
        let mut st = shared.lock();
        st.records.requests.push(record);
        let fault = st.faults.take_endpoint(&method, &path);
        (st.faults.auth.clone(), fault)
    };
    shared.bump();
    if let Some(expected) = auth {
        let (name, value) = expected.header();
        let ok = req
            .headers()
            .get(name.as_str())
            .is_some_and(|v| v.as_bytes() == value.as_bytes());
        if !ok {
            let challenge = match expected {
                crate::faults::ExpectedAuth::Basic { .. } => "Basic realm=\"comfyui\"",
                _ => "Bearer",
            };
            drain(req.into_body()).await;
            return (
                StatusCode::UNAUTHORIZED,
                [
                    (header::WWW_AUTHENTICATE, challenge),
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                ],
                "401: Unauthorized",
            )
                .into_response();
        }
    }
    match fault {
        Some(EndpointFaultKind::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(EndpointFaultKind::MalformedJson) => {
            json_bytes(StatusCode::OK, "{\"truncated\": [1, 2, {\"oops\"")
        }
        Some(EndpointFaultKind::Status(code)) => {
            drain(req.into_body()).await;
            empty(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
        Some(EndpointFaultKind::Body(body)) => {
            drain(req.into_body()).await;
            canned::canned(body)
        }
        Some(EndpointFaultKind::Hang) => canned::hang(&shared).await,
        Some(EndpointFaultKind::Trickle {
            every,
            content_type,
            declared_length,
        }) => canned::trickle(every, &content_type, declared_length),
        Some(EndpointFaultKind::Endless {
            content_type,
            declared_length,
        }) => canned::endless(&content_type, declared_length),
        Some(EndpointFaultKind::AnswerLost(how)) => {
            let handled = next.run(req).await;
            canned::lose(&shared, how, handled).await
        }
        None => next.run(req).await,
    }
}

/// How long a refusal keeps reading what the client is still sending.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and drops the rest of a refused request's body before answering, as nginx (lingering
/// close) and aiohttp do: a server that closes while the client is still sending a large upload
/// makes the client see a broken pipe instead of the 401/413 it answered, a race the real
/// servers avoid and the tests of those answers must not depend on. Bounded in time.
pub(crate) async fn drain(body: Body) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let _ = tokio::time::timeout(DRAIN_LIMIT, async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
}
