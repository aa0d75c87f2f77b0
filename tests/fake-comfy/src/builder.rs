//! Starting a fake server: every setting has a test-friendly default.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::captures::{Captures, ObjectInfo};
use crate::state::{Dirs, Shared, State};
use crate::*;

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
