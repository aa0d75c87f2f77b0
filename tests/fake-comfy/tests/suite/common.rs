//! Helpers shared by the suite: capture loading, structural comparison, a WebSocket recorder.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use fake_comfy::{FakeComfy, FakeComfyHandle};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub fn captures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/comfyui"
    ))
}

pub fn capture(name: &str) -> Value {
    let text = std::fs::read_to_string(captures().join(name)).expect("capture file");
    serde_json::from_str(&text).expect("capture json")
}

pub fn capture_jsonl(name: &str) -> Vec<Value> {
    std::fs::read_to_string(captures().join(name))
        .expect("capture file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect()
}

pub async fn start() -> FakeComfyHandle {
    FakeComfy::builder()
        .exec_ms(2)
        .start()
        .await
        .expect("fake starts")
}

pub fn http() -> reqwest::Client {
    // In a workspace build reqwest is unified with animatrix-comfy's `rustls-no-provider`
    // feature, so a client needs a process-wide crypto provider even for plain http.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("client")
}

/// Same JSON kinds and object keys everywhere; arrays compared element-wise up to the shorter
/// length (so a capture's example lists constrain the element shape). Returns the first mismatch.
pub fn shape_diff(actual: &Value, expected: &Value, path: &str) -> Option<String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let mut ak: Vec<&String> = a.keys().collect();
            let mut ek: Vec<&String> = e.keys().collect();
            ak.sort();
            ek.sort();
            if ak != ek {
                return Some(format!("{path}: keys {ak:?} != {ek:?}"));
            }
            a.iter()
                .find_map(|(k, v)| shape_diff(v, &e[k], &format!("{path}.{k}")))
        }
        (Value::Array(a), Value::Array(e)) => a
            .iter()
            .zip(e.iter())
            .enumerate()
            .find_map(|(i, (x, y))| shape_diff(x, y, &format!("{path}[{i}]"))),
        (Value::Number(a), Value::Number(e)) => {
            if a.is_f64() != e.is_f64() {
                Some(format!("{path}: number kind {a} vs {e}"))
            } else {
                None
            }
        }
        (a, e) if std::mem::discriminant(a) == std::mem::discriminant(e) => None,
        (a, e) => Some(format!("{path}: {a} is not shaped like {e}")),
    }
}

pub fn assert_shape(actual: &Value, expected: &Value) {
    if let Some(d) = shape_diff(actual, expected, "$") {
        panic!("shape mismatch: {d}\nactual: {actual}\nexpected: {expected}");
    }
}

pub async fn upload(
    base: &str,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().part(
        "image",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    http()
        .post(format!("{base}/upload/image"))
        .multipart(form)
        .send()
        .await
        .expect("upload request")
}

/// Upload the inputs the captured success prompt uses.
pub async fn upload_sample_inputs(base: &str) {
    for name in ["test_image.png", "test_audio.wav", "test_pose.mp4"] {
        let r = upload(base, name, format!("bytes of {name}").into_bytes(), &[]).await;
        assert_eq!(r.status(), 200);
    }
}

pub async fn post_prompt(base: &str, body: &Value) -> (u16, Value) {
    let r = http()
        .post(format!("{base}/prompt"))
        .json(body)
        .send()
        .await
        .expect("post prompt");
    let status = r.status().as_u16();
    let v = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, v)
}

pub fn success_request(client_id: &str) -> Value {
    let mut req = capture("success_prompt_request.json");
    req["client_id"] = json!(client_id);
    req
}

/// A frame as recorded: text JSON, or binary bytes.
#[derive(Debug, Clone)]
pub enum Frame {
    Text(Value),
    Binary(Vec<u8>),
}

impl Frame {
    pub fn kind(&self) -> String {
        match self {
            Frame::Text(v) => v["type"].as_str().unwrap_or("?").to_string(),
            Frame::Binary(b) => format!("binary{}", b.get(3).copied().unwrap_or(0)),
        }
    }
    pub fn data(&self) -> &Value {
        match self {
            Frame::Text(v) => &v["data"],
            Frame::Binary(_) => &Value::Null,
        }
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(fake: &FakeComfyHandle, client_id: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(fake.ws_url(client_id))
        .await
        .expect("ws connects");
    ws
}

pub async fn connect_with_flags(fake: &FakeComfyHandle, client_id: &str) -> Ws {
    let mut ws = connect(fake, client_id).await;
    let flags = json!({"type": "feature_flags", "data": {"supports_preview_metadata": true}});
    ws.send(Message::Text(flags.to_string().into()))
        .await
        .expect("send flags");
    ws
}

pub async fn next_frame(ws: &mut Ws) -> Option<Frame> {
    loop {
        let msg = tokio::time::timeout(TIMEOUT, ws.next()).await.ok()??.ok()?;
        match msg {
            Message::Text(t) => return Some(Frame::Text(serde_json::from_str(&t).ok()?)),
            Message::Binary(b) => return Some(Frame::Binary(b.to_vec())),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Read frames until `executing{node:null}` for `prompt_id` (inclusive).
pub async fn frames_until_done(ws: &mut Ws, prompt_id: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    while let Some(f) = next_frame(ws).await {
        let done = f.kind() == "executing"
            && f.data()["node"].is_null()
            && f.data()["prompt_id"] == json!(prompt_id);
        out.push(f);
        if done {
            return out;
        }
    }
    panic!(
        "socket ended before prompt {prompt_id} finished: {:?}",
        out.iter().map(Frame::kind).collect::<Vec<_>>()
    );
}

/// (type, node) of each text frame — node for executing/executed/progress, else "".
pub fn type_node_seq(frames: &[Frame]) -> Vec<(String, String)> {
    frames
        .iter()
        .map(|f| {
            let d = f.data();
            let node = d.get("node").and_then(Value::as_str).unwrap_or_default();
            (f.kind(), node.to_string())
        })
        .collect()
}

/// A history entry with its graph blanked, to compare entries of different graphs by shape.
pub fn without_graph(entry: &Value) -> Value {
    let mut e = entry.clone();
    e["prompt"][2] = json!({});
    e
}
