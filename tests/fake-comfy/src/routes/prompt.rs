//! POST /prompt: ComfyUI's `post_prompt` — number assignment (also for rejected bodies),
//! client-chosen prompt_id, `extra_data` + `client_id`, validation, queueing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};

use super::{json_response, server_error};
use crate::pyrepr;
use crate::state::{QueueItem, ReceivedPrompt, Shared, broadcast_status};
use crate::validate::{Verdict, validate_prompt};

/// Keys ComfyUI keeps out of queue/history (`SENSITIVE_EXTRA_DATA_KEYS`).
const SENSITIVE_EXTRA_DATA_KEYS: [&str; 2] = ["auth_token_comfy_org", "api_key_comfy_org"];

#[derive(Deserialize)]
struct OrderedBody {
    prompt: IndexMap<String, OrderedNode>,
}

#[derive(Deserialize)]
struct OrderedNode {
    #[serde(default)]
    inputs: IndexMap<String, IgnoredAny>,
}

/// Node and input key order as sent (serde_json's map sorts keys; ComfyUI's dicts do not, and
/// both "unknown node" reporting and execution order depend on it).
type KeyOrder = (Vec<String>, HashMap<String, Vec<String>>);

fn key_order(body: &[u8]) -> Option<KeyOrder> {
    let parsed: OrderedBody = serde_json::from_slice(body).ok()?;
    let nodes = parsed.prompt.keys().cloned().collect();
    let inputs = parsed
        .prompt
        .into_iter()
        .map(|(id, n)| (id, n.inputs.into_keys().collect()))
        .collect();
    Some((nodes, inputs))
}

fn input_exists(shared: &Shared, name: &str) -> bool {
    crate::executor::annotated_path(shared, name).exists()
}

pub(crate) async fn post_prompt(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(json_data) = serde_json::from_slice::<Value>(&body) else {
        return server_error();
    };
    let obj = match &json_data {
        Value::Object(m) => m.clone(),
        Value::Array(_) => Map::new(),
        _ => return server_error(),
    };

    let number: Value = match obj.get("number") {
        Some(n) => {
            let f = match n {
                Value::Number(x) => x.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                Value::Bool(b) => Some(f64::from(u8::from(*b))),
                _ => None,
            };
            match f.and_then(serde_json::Number::from_f64) {
                Some(x) => Value::Number(x),
                None => return server_error(),
            }
        }
        None => {
            let mut st = shared.lock();
            let mut n = st.next_number;
            let front = obj.get("front").is_some_and(|f| {
                !matches!(f, Value::Null | Value::Bool(false))
                    && f.as_f64() != Some(0.0)
                    && f.as_str() != Some("")
            });
            if front {
                n = -n;
            }
            st.next_number += 1;
            json!(n)
        }
    };

    let Some(prompt_value) = obj.get("prompt") else {
        record(&shared, "", &obj, &json_data, 400);
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({
                "error": {"type": "no_prompt", "message": "No prompt provided",
                          "details": "No prompt provided", "extra_info": {}},
                "node_errors": {},
            }),
        );
    };
    let prompt_id = match obj.get("prompt_id") {
        Some(v) => pyrepr::str_of(v),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let Value::Object(mut prompt) = prompt_value.clone() else {
        record(&shared, &prompt_id, &obj, &json_data, 500);
        return server_error();
    };
    let (node_order, input_order) =
        key_order(&body).unwrap_or_else(|| (prompt.keys().cloned().collect(), HashMap::new()));
    let partial: Option<Vec<String>> = obj
        .get("partial_execution_targets")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(pyrepr::str_of).collect());

    let files = |name: &str| input_exists(&shared, name);
    let verdict = validate_prompt(
        &mut prompt,
        &node_order,
        partial.as_deref(),
        &shared.object_info.map,
        &files,
        &shared.tracebacks,
    );

    let mut extra_data = match obj.get("extra_data") {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            record(&shared, &prompt_id, &obj, &json_data, 500);
            return server_error();
        }
        None => Map::new(),
    };
    if let Some(c) = obj.get("client_id") {
        extra_data.insert("client_id".into(), c.clone());
    }

    match verdict {
        Verdict::Crash => {
            record(&shared, &prompt_id, &obj, &json_data, 500);
            server_error()
        }
        Verdict::Rejected { error, node_errors } => {
            record(&shared, &prompt_id, &obj, &json_data, 400);
            json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": error, "node_errors": node_errors}),
            )
        }
        Verdict::Accepted {
            outputs,
            node_errors,
        } => {
            for k in SENSITIVE_EXTRA_DATA_KEYS {
                extra_data.remove(k);
            }
            {
                let mut st = shared.lock();
                let seq = st.next_seq;
                st.next_seq += 1;
                st.pending.push(QueueItem {
                    number: number.clone(),
                    prompt_id: prompt_id.clone(),
                    prompt: Value::Object(prompt),
                    extra_data: Value::Object(extra_data),
                    outputs,
                    input_order,
                    seq,
                });
                broadcast_status(&mut st);
            }
            record(&shared, &prompt_id, &obj, &json_data, 200);
            shared.queue_notify.notify_one();
            json_response(
                StatusCode::OK,
                &json!({"prompt_id": prompt_id, "number": number, "node_errors": node_errors}),
            )
        }
    }
}

fn record(shared: &Shared, prompt_id: &str, obj: &Map<String, Value>, body: &Value, status: u16) {
    let mut st = shared.lock();
    st.records.prompts.push(ReceivedPrompt {
        prompt_id: prompt_id.to_string(),
        client_id: obj
            .get("client_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        body: body.clone(),
        status,
    });
    drop(st);
    shared.bump();
}
