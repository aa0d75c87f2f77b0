//! The server's mutable state (queue, history, sockets, faults, records) behind one mutex that is
//! never held across an await, plus the WebSocket fan-out rules of ComfyUI's `send_sync`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::captures::{Captures, ObjectInfo};
use crate::faults::FaultState;
use crate::validate::Tracebacks;

/// One queued prompt: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
#[derive(Debug, Clone)]
pub(crate) struct QueueItem {
    pub number: Value,
    pub prompt_id: String,
    pub prompt: Value,
    pub extra_data: Value,
    pub outputs: Vec<String>,
    /// Input key order per node as sent by the client (execution order depends on it).
    pub input_order: HashMap<String, Vec<String>>,
    /// Arrival order, to break ties between equal numbers.
    pub seq: u64,
}

impl QueueItem {
    pub fn as_json(&self) -> Value {
        json!([
            self.number,
            self.prompt_id,
            self.prompt,
            self.extra_data,
            self.outputs
        ])
    }
    pub fn sort_key(&self) -> (f64, u64) {
        (self.number.as_f64().unwrap_or(0.0), self.seq)
    }
    pub fn client_id(&self) -> Option<String> {
        self.extra_data
            .get("client_id")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum WsOut {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Debug)]
pub(crate) struct SocketEntry {
    pub conn_id: u64,
    pub tx: mpsc::UnboundedSender<WsOut>,
    pub preview_metadata: bool,
    pub kill: CancellationToken,
}

/// A POST /prompt the fake received.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReceivedPrompt {
    /// The prompt_id it was (or would have been) queued under.
    pub prompt_id: String,
    pub client_id: Option<String>,
    /// The request body as received.
    pub body: Value,
    /// HTTP status answered (200, 400, 500).
    pub status: u16,
}

/// A POST /upload/image the fake answered.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UploadRecord {
    /// Name sent by the client in the multipart filename.
    pub original_name: String,
    /// Name answered (after dedup / " (n)" renaming).
    pub name: String,
    pub subfolder: String,
    pub kind: String,
    pub size: u64,
    pub overwrite: bool,
    /// Same name and same bytes as an existing file: nothing written.
    pub deduplicated: bool,
    pub status: u16,
}

/// A POST /interrupt the fake answered.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InterruptRecord {
    pub prompt_id: Option<String>,
    /// Whether it set the interrupt flag (global, or the targeted prompt was running).
    pub effective: bool,
}

/// An HTTP request or WebSocket handshake the fake saw.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub websocket: bool,
    /// All headers, names lowercase.
    pub headers: Vec<(String, String)>,
}

impl RequestRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
pub(crate) struct Records {
    pub prompts: Vec<ReceivedPrompt>,
    pub uploads: Vec<UploadRecord>,
    pub interrupts: Vec<InterruptRecord>,
    pub queue_deletes: Vec<String>,
    pub queue_clears: usize,
    pub history_deletes: Vec<String>,
    pub history_clears: usize,
    pub requests: Vec<RequestRecord>,
    /// Text frames received from clients: (sid, text).
    pub ws_received: Vec<(String, String)>,
}

pub(crate) struct Running {
    pub item: QueueItem,
    pub last_node: Option<String>,
}

pub(crate) struct State {
    pub next_number: i64,
    pub next_seq: u64,
    pub pending: Vec<QueueItem>,
    pub running: Option<Running>,
    pub history: IndexMap<String, Value>,
    pub sockets: IndexMap<String, SocketEntry>,
    pub faults: FaultState,
    pub records: Records,
    /// Node signatures cached by the previous prompt, with their UI output.
    pub cache: HashMap<String, Option<Value>>,
    pub models: Map<String, Value>,
    /// `/system_stats` as served: the capture's, unless a test gave other devices.
    pub system_stats: Value,
    pub max_upload_size: u64,
    pub restarts: u64,
}

impl State {
    pub fn queue_remaining(&self) -> usize {
        self.pending.len() + usize::from(self.running.is_some())
    }
}

pub(crate) struct Dirs {
    pub root: PathBuf,
    pub input: PathBuf,
    pub output: PathBuf,
    pub temp: PathBuf,
}

impl Dirs {
    pub fn by_type(&self, kind: &str) -> Option<&PathBuf> {
        match kind {
            "input" => Some(&self.input),
            "output" => Some(&self.output),
            "temp" => Some(&self.temp),
            _ => None,
        }
    }
}

pub(crate) struct Shared {
    pub captures: Arc<Captures>,
    pub object_info: ObjectInfo,
    pub dirs: Dirs,
    pub exec_ms: AtomicU64,
    pub cache_enabled: bool,
    pub state: Mutex<State>,
    pub queue_notify: Notify,
    /// Set by POST /interrupt; reset when a prompt starts.
    pub interrupt: watch::Sender<bool>,
    /// Bumped by `release_hangs`.
    pub release: watch::Sender<u64>,
    /// Bumped on every observable change (for the handle's `wait_*` helpers).
    pub changed: watch::Sender<u64>,
    /// Cancelled on restart/shutdown: kills connections, sockets and the executor.
    pub generation: Mutex<CancellationToken>,
    /// The accept loop of the current generation (awaited on restart/shutdown).
    pub server_task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    pub addr: std::sync::OnceLock<std::net::SocketAddr>,
    pub ws_total: AtomicUsize,
    pub ws_open: AtomicUsize,
    pub conn_ids: AtomicU64,
    pub preview_png: Vec<u8>,
    pub image_png: Vec<u8>,
    pub tracebacks: Tracebacks,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock must not wedge every later request of a test.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn generation(&self) -> CancellationToken {
        self.generation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn exec_ms(&self) -> u64 {
        self.exec_ms.load(Ordering::Relaxed)
    }
}

fn text_frame(event: &str, data: &Value) -> String {
    #[derive(Serialize)]
    struct Frame<'a> {
        r#type: &'a str,
        data: &'a Value,
    }
    serde_json::to_string(&Frame {
        r#type: event,
        data,
    })
    .unwrap_or_default()
}

/// Deliver one frame: to `sid` when given, else to every socket (ComfyUI `send_sync` with
/// `sid=None`). Counts down the "drop after N messages" fault.
pub(crate) fn deliver(state: &mut State, sid: Option<&str>, frame: WsOut) {
    let mut delivered = false;
    match sid {
        Some(sid) => {
            if let Some(s) = state.sockets.get(sid) {
                delivered = s.tx.send(frame).is_ok();
            }
        }
        None => {
            for s in state.sockets.values() {
                delivered |= s.tx.send(frame.clone()).is_ok();
            }
        }
    }
    if delivered && let Some(n) = state.faults.ws_drop_after.as_mut() {
        *n = n.saturating_sub(1);
        if *n == 0 {
            state.faults.ws_drop_after = state.faults.ws_drop_schedule.pop_front();
            drop_all_sockets(state);
        }
    }
}

pub(crate) fn send_json(state: &mut State, sid: Option<&str>, event: &str, data: &Value) {
    deliver(state, sid, WsOut::Text(text_frame(event, data)));
}

pub(crate) fn broadcast_status(state: &mut State) {
    let data = json!({"status": {"exec_info": {"queue_remaining": state.queue_remaining()}}});
    send_json(state, None, "status", &data);
}

/// Cut every WebSocket without a close frame, as a network failure would.
pub(crate) fn drop_all_sockets(state: &mut State) {
    for (_, s) in state.sockets.drain(..) {
        s.kill.cancel();
    }
}
