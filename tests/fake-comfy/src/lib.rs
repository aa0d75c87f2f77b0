//! A fake ComfyUI 0.3.64 server for tests and demos, built from the captures in
//! `../shared/comfyui` (PROTOCOL.md and the JSON/JSONL files beside it).
//!
//! It serves the captured `/object_info` (merged with `tests/fake-comfy/data/object_info_overlay.json`
//! when present), `/models`, `/system_stats`, `/features`, `/embeddings`; accepts uploads, prompts,
//! queue/history/interrupt calls; validates prompts against object_info with ComfyUI's exact error
//! bodies; "executes" prompts sequentially, emitting the captured WebSocket event sequence to the
//! prompt's `client_id` (binary previews in both encodings), writing output files (SaveVideo → a
//! copy of `sample_output.mp4`, SaveImage/PreviewImage → a small PNG) served by `/view`, and
//! recording history entries in the captured shape. Faults are scriptable.
//!
//! # Library API
//!
//! ```no_run
//! use std::time::Duration;
//! use fake_comfy::{EndpointFault, ExpectedAuth, FakeComfy, PromptFault};
//!
//! # async fn demo() -> Result<(), fake_comfy::FakeComfyError> {
//! let fake = FakeComfy::builder()
//!     .exec_ms(5)                            // pacing per node (default 20 ms)
//!     // .object_info_overlay(Some(path))    // default: tests/fake-comfy/data/object_info_overlay.json if present
//!     // .data_dir(path)                     // default: a temp dir removed with the handle
//!     // .port(8188)                         // default: ephemeral
//!     // .max_upload_size(1 << 20)           // default: 104857600 as captured
//!     // .require_auth(ExpectedAuth::Bearer("t".into()))
//!     // .cache(false)                       // default: emulate ComfyUI's node cache
//!     .start()
//!     .await?;
//! let base = fake.base_url();                // "http://127.0.0.1:PORT"
//! let ws = fake.ws_url("my-client");         // "ws://127.0.0.1:PORT/ws?clientId=my-client"
//!
//! // Faults
//! let faults = fake.faults();
//! faults.on_next_prompt(PromptFault::default().error_at("13"));
//! faults.on_prompt("some-prompt-id", PromptFault::default().interrupt_at("5"));
//! faults.on_every_prompt(PromptFault::default().delay_start(Duration::from_millis(50)));
//! faults.on_next_prompt(PromptFault::default().hang_at("3"));   // until faults.release_hangs()
//! faults.endpoint(EndpointFault::delay("/object_info", Duration::from_millis(300)));
//! faults.endpoint(EndpointFault::malformed_json("/history/*").times(1));
//! faults.endpoint(EndpointFault::status("/queue", 503).method("GET"));
//! faults.endpoint(EndpointFault::json_body("/history/*", &b"{\"x\": \xff}"[..])); // any body
//! faults.endpoint(EndpointFault::hang("/history/*"));            // never answers
//! faults.endpoint(EndpointFault::trickle("/view", Duration::from_secs(10), "video/mp4"));
//! faults.endpoint(EndpointFault::endless("/view", "video/mp4", Some(20 << 30)));
//! faults.endpoint(EndpointFault::answer_lost("/prompt", fake_comfy::LostAnswer::Hang).method("POST"));
//! faults.on_next_prompt(PromptFault::default().duplicate_output_in("other")); // same name, 2 folders
//! faults.drop_websockets_on_upgrade(true);   // handshake, then cut, every time
//! faults.require_auth(ExpectedAuth::Basic { user: "u".into(), password: "p".into() });
//! faults.reject_uploads(true);                // 413 on every upload
//! faults.set_max_upload_size(1024);          // 413 above 1 KiB (also in /features)
//! faults.drop_websockets_now();
//! faults.drop_websockets_after(10);          // after 10 more delivered messages
//! faults.drop_websockets_schedule(&[3, 10]);  // after 3, then after 10 more
//! faults.clear();
//! fake.restart().await?;                      // drop sockets, lose queue/running/history/cache
//! fake.restart_with_downtime(Duration::from_millis(200)).await?; // port closed meanwhile
//!
//! // Synchronous tests: `FakeComfy::builder().start_blocking()?` runs it on its own runtime.
//!
//! // Inspection (all snapshots)
//! let _ = (fake.prompts(), fake.uploads(), fake.interrupts(), fake.queue_deletes(),
//!          fake.history_deletes(), fake.requests(), fake.auth_headers_seen(),
//!          fake.ws_connections_total(), fake.ws_connections_open(), fake.history_entry("id"));
//! // Waiting on signals, never sleeps:
//! let _entry = fake.wait_for_history("id", Duration::from_secs(5)).await;
//! let _ = fake.wait_running("id", Duration::from_secs(5)).await;
//! let _ = fake.wait_node("id", "13", Duration::from_secs(5)).await;   // node started
//! let _ = fake.wait_idle(Duration::from_secs(5)).await;
//! let _ = fake.wait_until(Duration::from_secs(5), |h| h.ws_connections_open() == 1).await;
//! fake.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Standalone binary
//!
//! `fake-comfy [--port N] [--exec-ms MS] [--data-dir DIR] [--overlay FILE] [--captures-dir DIR]
//! [--no-cache] [--require-bearer TOKEN | --require-basic USER:PASS | --require-header 'Name: value']`
//! prints `listening on http://127.0.0.1:PORT` on stdout, then serves until SIGINT/SIGTERM.
//! A process-level test scripts faults over HTTP with the `/__fake/*` control routes (no auth,
//! not recorded; see the `control` module): `POST /__fake/prompt_fault`, `/__fake/release`,
//! `/__fake/endpoint_fault`, `/__fake/auth`, `/__fake/uploads`, `/__fake/websockets`,
//! `/__fake/exec_ms`, `/__fake/restart`, `/__fake/clear`, and `GET /__fake/state`.
//!
//! # Fidelity notes
//! * Validation reproduces `execution.validate_prompt` (see [`validate`]), including quirks.
//! * Execution order is ComfyUI's ExecutionList order; the classic cache is emulated (nodes whose
//!   signature ran in the previous prompt are reported in `execution_cached` and skipped; cached
//!   output nodes re-send `executed`).
//! * Nodes reporting progress: KSampler/KSamplerAdvanced (`steps`, with previews),
//!   SamplerCustom(Advanced) (4, with previews), the Wan `*ToVideo*` nodes (3, no previews).
//! * Output writers: SaveVideo, SaveImage, PreviewImage, VHS_VideoCombine. Other output nodes
//!   run but report no UI.
//! * LoadImage/LoadAudio/LoadVideo validate against files in input/ (uploaded or
//!   [`FakeComfyHandle::put_input_file`]); a file deleted after validation fails at run time with
//!   the captured FileNotFoundError shape. Their option lists in /object_info stay as captured.
//! * `/view` ignores `preview=` and `channel=` (serves the original bytes).

mod captures;
mod control;
mod error;
mod executor;
mod faults;
mod outputs;
pub mod pyrepr;
mod routes;
mod server;
mod state;
pub mod validate;
mod ws;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

pub use captures::{default_captures_dir, default_overlay_path};
pub use error::FakeComfyError;
pub use faults::{
    CannedBody, EndpointFault, EndpointFaultKind, ExecErrorSpec, ExpectedAuth, FaultTarget,
    HangPoint, LostAnswer, PromptFault,
};
pub use outputs::make_png;
pub use state::{InterruptRecord, ReceivedPrompt, RequestRecord, UploadRecord};

use captures::{Captures, ObjectInfo};
use state::{Dirs, Shared, State};

/// Entry point: `FakeComfy::builder()...start().await`.
pub struct FakeComfy;

impl FakeComfy {
    pub fn builder() -> FakeComfyBuilder {
        FakeComfyBuilder::default()
    }
}

/// Configuration of a fake server; every setting has a test-friendly default.
#[derive(Debug, Clone)]
pub struct FakeComfyBuilder {
    port: u16,
    exec_ms: u64,
    data_dir: Option<PathBuf>,
    overlay: Option<PathBuf>,
    captures_dir: Option<PathBuf>,
    max_upload_size: Option<u64>,
    auth: Option<ExpectedAuth>,
    cache: bool,
}

impl Default for FakeComfyBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            exec_ms: 20,
            data_dir: None,
            overlay: Some(default_overlay_path()),
            captures_dir: None,
            max_upload_size: None,
            auth: None,
            cache: true,
        }
    }
}

impl FakeComfyBuilder {
    /// Port on 127.0.0.1 (0 = ephemeral, the default).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Time each node "runs" (sampler-like nodes take twice that, split over their steps).
    pub fn exec_ms(mut self, ms: u64) -> Self {
        self.exec_ms = ms;
        self
    }
    /// Where input/, output/, temp/ live (default: a temp dir deleted with the handle).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
    /// Extra object_info entries merged over the capture (`None`: no overlay). A missing file
    /// is tolerated.
    pub fn object_info_overlay(mut self, path: Option<PathBuf>) -> Self {
        self.overlay = path;
        self
    }
    /// Capture folder (default `<repo>/../shared/comfyui`).
    pub fn captures_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.captures_dir = Some(dir.into());
        self
    }
    /// Upload limit in bytes, reported by /features and the WS feature_flags reply.
    pub fn max_upload_size(mut self, bytes: u64) -> Self {
        self.max_upload_size = Some(bytes);
        self
    }
    /// Emulate ComfyUI's node cache across prompts (default on, as the real server).
    pub fn cache(mut self, on: bool) -> Self {
        self.cache = on;
        self
    }
    /// Require this credential on every request and on the WebSocket handshake (else 401).
    pub fn require_auth(mut self, auth: ExpectedAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Start on a private multi-threaded runtime, for synchronous tests (e.g. ones that run a
    /// CLI binary with `std::process::Command` and block). Must not be called from inside an
    /// async runtime.
    pub fn start_blocking(self) -> Result<BlockingFakeComfy, FakeComfyError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-comfy")
            .enable_all()
            .build()
            .map_err(|source| FakeComfyError::Runtime { source })?;
        let handle = runtime.block_on(self.start())?;
        Ok(BlockingFakeComfy {
            handle: Some(handle),
            runtime,
        })
    }

    pub async fn start(self) -> Result<FakeComfyHandle, FakeComfyError> {
        let captures = match &self.captures_dir {
            Some(dir) => Arc::new(Captures::load(dir)?),
            None => Captures::shared_default()?,
        };
        let object_info = ObjectInfo::build(&captures.object_info, self.overlay.as_deref())?;
        let (tempdir, root) = match &self.data_dir {
            Some(d) => (None, d.clone()),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("fake-comfy-")
                    .tempdir()
                    .map_err(|source| FakeComfyError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let dirs = Dirs {
            input: root.join("input"),
            output: root.join("output"),
            temp: root.join("temp"),
            root: root.clone(),
        };
        for d in [&dirs.input, &dirs.output, &dirs.temp] {
            std::fs::create_dir_all(d).map_err(|source| FakeComfyError::DataDir {
                path: d.clone(),
                source,
            })?;
        }
        let max_upload_size = self.max_upload_size.unwrap_or_else(|| {
            captures
                .features
                .get("max_upload_size")
                .and_then(Value::as_u64)
                .unwrap_or(104_857_600)
        });
        let faults = faults::FaultState {
            auth: self.auth.clone(),
            ..Default::default()
        };
        let state = State {
            next_number: 0,
            next_seq: 0,
            pending: Vec::new(),
            running: None,
            history: Default::default(),
            sockets: Default::default(),
            faults,
            records: Default::default(),
            cache: Default::default(),
            models: captures.models.clone(),
            system_stats: captures.system_stats.clone(),
            max_upload_size,
            restarts: 0,
        };
        let tracebacks = validate::Tracebacks {
            key_error: captures.traceback_key_error.clone(),
            index_error: captures.traceback_index_error.clone(),
        };
        let token = CancellationToken::new();
        let shared = Arc::new(Shared {
            captures,
            object_info,
            dirs,
            exec_ms: AtomicU64::new(self.exec_ms),
            cache_enabled: self.cache,
            state: Mutex::new(state),
            queue_notify: Notify::new(),
            interrupt: watch::channel(false).0,
            release: watch::channel(0).0,
            changed: watch::channel(0).0,
            generation: Mutex::new(token.clone()),
            server_task: tokio::sync::Mutex::new(None),
            addr: std::sync::OnceLock::new(),
            ws_total: AtomicUsize::new(0),
            ws_open: AtomicUsize::new(0),
            conn_ids: AtomicU64::new(0),
            preview_png: make_png(64, 48, 40),
            image_png: make_png(256, 192, 200),
            tracebacks,
        });
        let listener = server::bind(self.port)?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeComfyError::Bind {
                port: self.port,
                source,
            })?;
        let _ = shared.addr.set(addr);
        let task = server::spawn_generation(shared.clone(), listener, token);
        *shared.server_task.lock().await = Some(task);
        Ok(FakeComfyHandle {
            shared,
            addr,
            _tempdir: tempdir,
        })
    }
}

/// A running fake server. Dropping it stops accepting work (prefer [`FakeComfyHandle::shutdown`]).
pub struct FakeComfyHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _tempdir: Option<tempfile::TempDir>,
}

impl Drop for FakeComfyHandle {
    fn drop(&mut self) {
        self.shared.generation().cancel();
    }
}

/// A fake running on its own runtime ([`FakeComfyBuilder::start_blocking`]). Derefs to the
/// [`FakeComfyHandle`] for the synchronous methods; use [`BlockingFakeComfy::block_on`] for the
/// async ones (`wait_*`, `restart`).
pub struct BlockingFakeComfy {
    handle: Option<FakeComfyHandle>,
    runtime: tokio::runtime::Runtime,
}

impl BlockingFakeComfy {
    /// Run a future (e.g. `fake.block_on(fake.wait_idle(..))`) on the fake's runtime.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.runtime.block_on(fut)
    }
}

impl std::ops::Deref for BlockingFakeComfy {
    type Target = FakeComfyHandle;
    fn deref(&self) -> &FakeComfyHandle {
        // Only `Drop` takes it out.
        self.handle.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for BlockingFakeComfy {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

/// An auth-carrying header seen on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSeen {
    pub path: String,
    pub websocket: bool,
    /// Lowercase header name (`authorization`, or the custom header expected).
    pub name: String,
    pub value: String,
}

impl FakeComfyHandle {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `ws://127.0.0.1:PORT/ws?clientId=ID`
    pub fn ws_url(&self, client_id: &str) -> String {
        format!("ws://{}/ws?clientId={client_id}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// Script faults (see [`Faults`]).
    pub fn faults(&self) -> Faults {
        Faults {
            shared: self.shared.clone(),
        }
    }
    /// Change node pacing at run time.
    pub fn set_exec_ms(&self, ms: u64) {
        self.shared.exec_ms.store(ms, Ordering::Relaxed);
    }

    pub fn data_dir(&self) -> &Path {
        &self.shared.dirs.root
    }
    pub fn input_dir(&self) -> &Path {
        &self.shared.dirs.input
    }
    pub fn output_dir(&self) -> &Path {
        &self.shared.dirs.output
    }
    pub fn temp_dir(&self) -> &Path {
        &self.shared.dirs.temp
    }

    /// Put a file in input/ as if it had been uploaded (`name` may contain a subfolder).
    pub fn put_input_file(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.shared.dirs.input.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    /// Replace `/models/{folder}` (creating the folder in `/models`). object_info combos are
    /// not rewritten.
    pub fn set_models(&self, folder: &str, files: Vec<String>) {
        let mut st = self.shared.lock();
        st.models.insert(
            format!("/models/{folder}"),
            Value::Array(files.into_iter().map(Value::String).collect()),
        );
    }

    /// Replace the `devices` of `/system_stats` (the capture is a CPU-only server). Templates
    /// that need a device (`requires`, e.g. Mix's CUDA) are ready only when it is listed.
    pub fn set_devices(&self, devices: Vec<Value>) {
        let mut st = self.shared.lock();
        if let Some(stats) = st.system_stats.as_object_mut() {
            stats.insert("devices".into(), Value::Array(devices));
        }
    }

    /// A CUDA GPU as ComfyUI reports one in `/system_stats` (`vram` bytes, all free).
    pub fn cuda_device(name: &str, vram: u64) -> Value {
        serde_json::json!({
            "name": format!("cuda:0 {name} : cudaMallocAsync"),
            "type": "cuda",
            "index": 0,
            "vram_total": vram,
            "vram_free": vram,
            "torch_vram_total": vram,
            "torch_vram_free": vram,
        })
    }

    /// The merged object_info served.
    pub fn object_info(&self) -> Arc<Map<String, Value>> {
        self.shared.object_info.map.clone()
    }

    pub fn prompts(&self) -> Vec<ReceivedPrompt> {
        self.shared.lock().records.prompts.clone()
    }
    pub fn uploads(&self) -> Vec<UploadRecord> {
        self.shared.lock().records.uploads.clone()
    }
    pub fn interrupts(&self) -> Vec<InterruptRecord> {
        self.shared.lock().records.interrupts.clone()
    }
    /// prompt_ids named in POST /queue `delete` (whether or not they were pending).
    pub fn queue_deletes(&self) -> Vec<String> {
        self.shared.lock().records.queue_deletes.clone()
    }
    pub fn queue_clears(&self) -> usize {
        self.shared.lock().records.queue_clears
    }
    pub fn history_deletes(&self) -> Vec<String> {
        self.shared.lock().records.history_deletes.clone()
    }
    pub fn history_clears(&self) -> usize {
        self.shared.lock().records.history_clears
    }
    /// Every HTTP request and WS handshake, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().records.requests.clone()
    }
    /// `Authorization` headers (and the expected custom auth header, if any) seen so far.
    pub fn auth_headers_seen(&self) -> Vec<AuthSeen> {
        let st = self.shared.lock();
        let custom = st.faults.auth.as_ref().map(|a| a.header().0);
        st.records
            .requests
            .iter()
            .flat_map(|r| {
                r.headers
                    .iter()
                    .filter(|(n, _)| n == "authorization" || Some(n.as_str()) == custom.as_deref())
                    .map(|(n, v)| AuthSeen {
                        path: r.path.clone(),
                        websocket: r.websocket,
                        name: n.clone(),
                        value: v.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
    /// Text frames clients sent on their sockets: (sid, text).
    pub fn ws_frames_received(&self) -> Vec<(String, String)> {
        self.shared.lock().records.ws_received.clone()
    }
    /// WebSocket connections accepted since start.
    pub fn ws_connections_total(&self) -> usize {
        self.shared.ws_total.load(Ordering::Relaxed)
    }
    /// WebSocket connections currently open.
    pub fn ws_connections_open(&self) -> usize {
        self.shared.ws_open.load(Ordering::Relaxed)
    }
    pub fn history_entry(&self, prompt_id: &str) -> Option<Value> {
        self.shared.lock().history.get(prompt_id).cloned()
    }
    pub fn history_len(&self) -> usize {
        self.shared.lock().history.len()
    }
    pub fn queue_remaining(&self) -> usize {
        self.shared.lock().queue_remaining()
    }
    /// (prompt_id, node_id) of the node executing now.
    pub fn running_node(&self) -> Option<(String, String)> {
        let st = self.shared.lock();
        let r = st.running.as_ref()?;
        Some((r.item.prompt_id.clone(), r.last_node.clone()?))
    }
    /// True once `node_id` of `prompt_id` has started (sent `executing`).
    pub async fn wait_node(&self, prompt_id: &str, node_id: &str, timeout: Duration) -> bool {
        self.wait_until(timeout, |h| {
            h.running_node()
                .is_some_and(|(p, n)| p == prompt_id && n == node_id)
        })
        .await
    }
    pub fn running_prompt(&self) -> Option<String> {
        self.shared
            .lock()
            .running
            .as_ref()
            .map(|r| r.item.prompt_id.clone())
    }
    pub fn pending_prompts(&self) -> Vec<String> {
        self.shared
            .lock()
            .pending
            .iter()
            .map(|p| p.prompt_id.clone())
            .collect()
    }
    /// Restarts so far.
    pub fn restarts(&self) -> u64 {
        self.shared.lock().restarts
    }

    /// Wait (on state-change signals, no polling) until `cond` holds; false on timeout.
    pub async fn wait_until(&self, timeout: Duration, mut cond: impl FnMut(&Self) -> bool) -> bool {
        let mut rx = self.shared.changed.subscribe();
        let fut = async {
            loop {
                rx.borrow_and_update();
                if cond(self) {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::time::timeout(timeout, fut).await.unwrap_or(false)
    }

    /// The history entry of `prompt_id` once it reached a terminal state.
    pub async fn wait_for_history(&self, prompt_id: &str, timeout: Duration) -> Option<Value> {
        self.wait_until(timeout, |h| h.history_entry(prompt_id).is_some())
            .await;
        self.history_entry(prompt_id)
    }

    /// True once `prompt_id` is the running prompt.
    pub async fn wait_running(&self, prompt_id: &str, timeout: Duration) -> bool {
        self.wait_until(timeout, |h| {
            h.running_prompt().as_deref() == Some(prompt_id)
        })
        .await
    }

    /// True once nothing is running or pending.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |h| h.queue_remaining() == 0).await
    }

    /// Simulate a server restart: every socket and connection drops, queue, running prompt,
    /// history and cache are lost, numbering restarts at 0. Files on disk and armed faults stay.
    pub async fn restart(&self) -> Result<(), FakeComfyError> {
        self.restart_with_downtime(Duration::ZERO).await
    }

    /// As [`Self::restart`], with the port closed for `downtime` (connections refused).
    pub async fn restart_with_downtime(&self, downtime: Duration) -> Result<(), FakeComfyError> {
        server::restart(&self.shared, downtime).await
    }

    /// Stop the server and wait for its tasks.
    pub async fn shutdown(self) {
        self.shared.generation().cancel();
        if let Some(t) = self.shared.server_task.lock().await.take() {
            let _ = t.await;
        }
    }
}

/// Fault scripting for a running server (cheap to clone).
#[derive(Clone)]
pub struct Faults {
    shared: Arc<Shared>,
}

impl Faults {
    /// Arm a prompt fault for `target`.
    pub fn arm(&self, target: FaultTarget, fault: PromptFault) {
        let epoch = *self.shared.release.borrow();
        self.shared
            .lock()
            .faults
            .prompt
            .push((target, fault, epoch));
    }
    /// For the next prompt that starts executing.
    pub fn on_next_prompt(&self, fault: PromptFault) {
        self.arm(FaultTarget::NextPrompt, fault);
    }
    /// For the prompt with this prompt_id.
    pub fn on_prompt(&self, prompt_id: &str, fault: PromptFault) {
        self.arm(FaultTarget::PromptId(prompt_id.to_string()), fault);
    }
    /// For every prompt until [`Faults::clear`].
    pub fn on_every_prompt(&self, fault: PromptFault) {
        self.arm(FaultTarget::EveryPrompt, fault);
    }
    /// Let every hanging prompt continue.
    pub fn release_hangs(&self) {
        self.shared.release.send_modify(|n| *n = n.wrapping_add(1));
    }
    /// Add an HTTP endpoint fault (first matching fault wins).
    pub fn endpoint(&self, fault: EndpointFault) {
        self.shared.lock().faults.endpoints.push(fault);
    }
    pub fn require_auth(&self, auth: ExpectedAuth) {
        self.shared.lock().faults.auth = Some(auth);
    }
    pub fn clear_auth(&self) {
        self.shared.lock().faults.auth = None;
    }
    /// Answer 413 to every upload.
    pub fn reject_uploads(&self, on: bool) {
        self.shared.lock().faults.force_413 = on;
    }
    /// Change the upload limit (also reported by /features and feature_flags).
    pub fn set_max_upload_size(&self, bytes: u64) {
        self.shared.lock().max_upload_size = bytes;
    }
    /// Cut every WebSocket connection now (no close frame).
    pub fn drop_websockets_now(&self) {
        state::drop_all_sockets(&mut self.shared.lock());
        self.shared.bump();
    }
    /// Complete every WebSocket upgrade and cut it at once (a proxy that accepts the handshake
    /// and then drops the connection). Counted in `ws_connections_total`.
    pub fn drop_websockets_on_upgrade(&self, on: bool) {
        self.shared.lock().faults.ws_drop_on_upgrade = on;
    }
    /// Cut every WebSocket connection after `n` more delivered messages.
    pub fn drop_websockets_after(&self, n: u64) {
        self.drop_websockets_schedule(&[n]);
    }
    /// Cut every WebSocket connection after `counts[0]` delivered messages, then again after
    /// `counts[1]` more, and so on (for property tests over drop schedules).
    pub fn drop_websockets_schedule(&self, counts: &[u64]) {
        let mut st = self.shared.lock();
        let mut queue: std::collections::VecDeque<u64> = counts.iter().copied().collect();
        while queue.front() == Some(&0) {
            queue.pop_front();
            state::drop_all_sockets(&mut st);
        }
        st.faults.ws_drop_after = queue.pop_front();
        st.faults.ws_drop_schedule = queue;
    }
    /// Disarm everything (prompt, endpoint, auth, upload and socket faults); release hangs.
    pub fn clear(&self) {
        {
            let mut st = self.shared.lock();
            let max = st.max_upload_size;
            st.faults = faults::FaultState::default();
            st.max_upload_size = max;
        }
        self.release_hangs();
    }
}
