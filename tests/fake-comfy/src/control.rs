//! `/__fake/*`: a JSON control surface so tests that run the fake as a *process* (UI window
//! tests, demo recordings, CLI end-to-end) can script the same faults as the library API.
//! These routes bypass auth, endpoint faults and request recording, and do not exist on a real
//! ComfyUI.
//!
//! | route | body |
//! |---|---|
//! | POST /__fake/prompt_fault | `{"target": "next"\|"every"\|{"prompt_id": ID}, "error_at"?, "exception_type"?, "exception_message"?, "interrupt_at"?, "delay_start_ms"?, "hang_at"?, "hang_before_start"?, "drop_sockets_at"?, "duplicate_output_in"?}` |
//! | POST /__fake/release | – (release hangs) |
//! | POST /__fake/endpoint_fault | `{"path", "method"?, "times"?, one of "delay_ms" \| "malformed": true \| "status" \| "body": {"status"?, "content_type"?, "text"? \| "base64"?} \| "hang": true \| "trickle_ms" \| "endless": true \| "lose_answer": "hang"\|"garbled"\|"wrong_prompt_id"; "content_type"?, "declared_length"? for trickle/endless}` |
//! | POST /__fake/auth | `{"bearer": T}` \| `{"basic": {"user", "password"}}` \| `{"header": {"name", "value"}}` \| `{}` (off) |
//! | POST /__fake/uploads | `{"reject"?: bool, "max_upload_size"?: N}` |
//! | POST /__fake/websockets | `{"drop_now": true}` \| `{"drop_after": [N, …]}` \| `{"drop_on_upgrade": bool}` |
//! | POST /__fake/exec_ms | `{"ms": N}` |
//! | POST /__fake/restart | `{"downtime_ms"?: N}` → 202, restarts right after answering |
//! | POST /__fake/clear | – (disarm everything) |
//! | GET /__fake/state | counters and records |

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use base64::Engine;

use crate::faults::{
    CannedBody, EndpointFault, EndpointFaultKind, ExpectedAuth, FaultTarget, LostAnswer,
    PromptFault,
};
use crate::routes::json_response;
use crate::state::{Shared, drop_all_sockets};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__fake/prompt_fault", post(prompt_fault))
        .route("/__fake/release", post(release))
        .route("/__fake/endpoint_fault", post(endpoint_fault))
        .route("/__fake/auth", post(auth))
        .route("/__fake/uploads", post(uploads))
        .route("/__fake/websockets", post(websockets))
        .route("/__fake/exec_ms", post(exec_ms))
        .route("/__fake/restart", post(restart))
        .route("/__fake/clear", post(clear))
        .route("/__fake/state", get(state))
}

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, msg.into()).into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, String> {
    let text: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(text).map_err(|e| format!("bad control body: {e}"))
}

fn ok() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFaultReq {
    #[serde(default)]
    target: Option<Value>,
    error_at: Option<String>,
    exception_type: Option<String>,
    exception_message: Option<String>,
    interrupt_at: Option<String>,
    delay_start_ms: Option<u64>,
    hang_at: Option<String>,
    #[serde(default)]
    hang_before_start: bool,
    drop_sockets_at: Option<String>,
    duplicate_output_in: Option<String>,
}

async fn prompt_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: PromptFaultReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let target = match &req.target {
        None => FaultTarget::NextPrompt,
        Some(Value::String(s)) if s == "next" => FaultTarget::NextPrompt,
        Some(Value::String(s)) if s == "every" => FaultTarget::EveryPrompt,
        Some(v) => match v.get("prompt_id").and_then(Value::as_str) {
            Some(id) => FaultTarget::PromptId(id.to_string()),
            None => return bad("target must be \"next\", \"every\" or {\"prompt_id\": ID}"),
        },
    };
    let mut f = PromptFault::default();
    if let Some(node) = req.error_at {
        f = f.error_at_with(
            node,
            req.exception_type
                .unwrap_or_else(|| "RuntimeError".to_string()),
            req.exception_message
                .unwrap_or_else(|| "fake-comfy: scripted execution error".to_string()),
        );
    }
    if let Some(n) = req.interrupt_at {
        f = f.interrupt_at(n);
    }
    if let Some(ms) = req.delay_start_ms {
        f = f.delay_start(Duration::from_millis(ms));
    }
    if let Some(n) = req.hang_at {
        f = f.hang_at(n);
    }
    if req.hang_before_start {
        f = f.hang_before_start();
    }
    if let Some(n) = req.drop_sockets_at {
        f = f.drop_sockets_at(n);
    }
    if let Some(sub) = req.duplicate_output_in {
        f = f.duplicate_output_in(sub);
    }
    let epoch = *shared.release.borrow();
    shared.lock().faults.prompt.push((target, f, epoch));
    ok()
}

async fn release(State(shared): State<Arc<Shared>>) -> Response {
    shared.release.send_modify(|n| *n = n.wrapping_add(1));
    ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointFaultReq {
    path: String,
    method: Option<String>,
    times: Option<u32>,
    delay_ms: Option<u64>,
    #[serde(default)]
    malformed: bool,
    status: Option<u16>,
    body: Option<BodyReq>,
    #[serde(default)]
    hang: bool,
    trickle_ms: Option<u64>,
    #[serde(default)]
    endless: bool,
    lose_answer: Option<String>,
    content_type: Option<String>,
    declared_length: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyReq {
    status: Option<u16>,
    content_type: Option<String>,
    text: Option<String>,
    base64: Option<String>,
}

fn endpoint_kind(req: &EndpointFaultReq) -> Result<EndpointFaultKind, String> {
    let content_type = || {
        req.content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into())
    };
    let mut kinds = Vec::new();
    if let Some(ms) = req.delay_ms {
        kinds.push(EndpointFaultKind::Delay(Duration::from_millis(ms)));
    }
    if req.malformed {
        kinds.push(EndpointFaultKind::MalformedJson);
    }
    if let Some(s) = req.status {
        kinds.push(EndpointFaultKind::Status(s));
    }
    if let Some(b) = &req.body {
        let bytes = match (&b.text, &b.base64) {
            (Some(t), None) => t.clone().into_bytes(),
            (None, Some(enc)) => base64::engine::general_purpose::STANDARD
                .decode(enc)
                .map_err(|e| format!("body.base64: {e}"))?,
            (None, None) => Vec::new(),
            _ => return Err("give at most one of body.text, body.base64".into()),
        };
        kinds.push(EndpointFaultKind::Body(CannedBody {
            status: b.status.unwrap_or(200),
            content_type: b
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json; charset=utf-8".into()),
            body: bytes.into(),
        }));
    }
    if req.hang {
        kinds.push(EndpointFaultKind::Hang);
    }
    if let Some(ms) = req.trickle_ms {
        kinds.push(EndpointFaultKind::Trickle {
            every: Duration::from_millis(ms),
            content_type: content_type(),
            declared_length: req.declared_length,
        });
    }
    if req.endless {
        kinds.push(EndpointFaultKind::Endless {
            content_type: content_type(),
            declared_length: req.declared_length,
        });
    }
    if let Some(how) = &req.lose_answer {
        kinds.push(EndpointFaultKind::AnswerLost(match how.as_str() {
            "hang" => LostAnswer::Hang,
            "garbled" => LostAnswer::Garbled,
            "wrong_prompt_id" => LostAnswer::WrongPromptId,
            other => return Err(format!("unknown lose_answer {other:?}")),
        }));
    }
    match kinds.len() {
        1 => Ok(kinds.remove(0)),
        _ => Err(
            "give exactly one of delay_ms, malformed, status, body, hang, trickle_ms, endless, lose_answer"
                .into(),
        ),
    }
}

async fn endpoint_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: EndpointFaultReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let kind = match endpoint_kind(&req) {
        Ok(k) => k,
        Err(e) => return bad(e),
    };
    let fault = EndpointFault {
        method: req.method.map(|m| m.to_ascii_uppercase()),
        path: req.path,
        kind,
        remaining: req.times,
    };
    shared.lock().faults.endpoints.push(fault);
    ok()
}

#[derive(Deserialize)]
struct BasicReq {
    user: String,
    password: String,
}

#[derive(Deserialize)]
struct HeaderReq {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthReq {
    bearer: Option<String>,
    basic: Option<BasicReq>,
    header: Option<HeaderReq>,
}

async fn auth(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: AuthReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let auth = match (req.bearer, req.basic, req.header) {
        (Some(t), None, None) => Some(ExpectedAuth::Bearer(t)),
        (None, Some(b), None) => Some(ExpectedAuth::Basic {
            user: b.user,
            password: b.password,
        }),
        (None, None, Some(h)) => Some(ExpectedAuth::Header {
            name: h.name,
            value: h.value,
        }),
        (None, None, None) => None,
        _ => return bad("give at most one of bearer, basic, header"),
    };
    shared.lock().faults.auth = auth;
    ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadsReq {
    reject: Option<bool>,
    max_upload_size: Option<u64>,
}

async fn uploads(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: UploadsReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let mut st = shared.lock();
    if let Some(r) = req.reject {
        st.faults.force_413 = r;
    }
    if let Some(m) = req.max_upload_size {
        st.max_upload_size = m;
    }
    drop(st);
    ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebsocketsReq {
    #[serde(default)]
    drop_now: bool,
    #[serde(default)]
    drop_after: Vec<u64>,
    drop_on_upgrade: Option<bool>,
}

async fn websockets(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: WebsocketsReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    {
        let mut st = shared.lock();
        if req.drop_now {
            drop_all_sockets(&mut st);
        }
        let mut q: std::collections::VecDeque<u64> = req.drop_after.into_iter().collect();
        while q.front() == Some(&0) {
            q.pop_front();
            drop_all_sockets(&mut st);
        }
        st.faults.ws_drop_after = q.pop_front();
        st.faults.ws_drop_schedule = q;
        if let Some(on) = req.drop_on_upgrade {
            st.faults.ws_drop_on_upgrade = on;
        }
    }
    shared.bump();
    ok()
}

#[derive(Deserialize)]
struct ExecMsReq {
    ms: u64,
}

async fn exec_ms(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match parse::<ExecMsReq>(&body) {
        Ok(r) => {
            shared.exec_ms.store(r.ms, Ordering::Relaxed);
            ok()
        }
        Err(e) => bad(e),
    }
}

#[derive(Deserialize)]
struct RestartReq {
    #[serde(default)]
    downtime_ms: u64,
}

async fn restart(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: RestartReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let s = shared.clone();
    tokio::spawn(async move {
        // This very connection dies with the restart; give the 202 a moment to leave.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _ = crate::server::restart(&s, Duration::from_millis(req.downtime_ms)).await;
    });
    json_response(StatusCode::ACCEPTED, &json!({"ok": true}))
}

async fn clear(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut st = shared.lock();
        let max = st.max_upload_size;
        st.faults = Default::default();
        st.max_upload_size = max;
    }
    shared.release.send_modify(|n| *n = n.wrapping_add(1));
    ok()
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    let body = json!({
        "prompts": st.records.prompts,
        "uploads": st.records.uploads,
        "interrupts": st.records.interrupts,
        "queue_deletes": st.records.queue_deletes,
        "queue_clears": st.records.queue_clears,
        "history_deletes": st.records.history_deletes,
        "history_clears": st.records.history_clears,
        "requests": st.records.requests.len(),
        "ws_connections_total": shared.ws_total.load(Ordering::Relaxed),
        "ws_connections_open": shared.ws_open.load(Ordering::Relaxed),
        "restarts": st.restarts,
        "running": st.running.as_ref().map(|r| json!({
            "prompt_id": r.item.prompt_id, "node": r.last_node,
        })),
        "pending": st.pending.iter().map(|p| p.prompt_id.clone()).collect::<Vec<_>>(),
        "history": st.history.keys().cloned().collect::<Vec<_>>(),
    });
    drop(st);
    json_response(StatusCode::OK, &body)
}
