//! A running fake: addresses, inspection snapshots, waits on signals and restarts.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::state::Shared;
use crate::*;

/// A running fake server. Dropping it stops accepting work (prefer [`FakeComfyHandle::shutdown`]).
pub struct FakeComfyHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) addr: SocketAddr,
    pub(crate) _tempdir: Option<tempfile::TempDir>,
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
    pub(crate) handle: Option<FakeComfyHandle>,
    pub(crate) runtime: tokio::runtime::Runtime,
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
