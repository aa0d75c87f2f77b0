//! The captured ground truth the fake serves: object_info (plus the overlay), models, system
//! stats, features, and the Python tracebacks ComfyUI puts in some error bodies.
//!
//! Files are read at start from `../shared/comfyui` beside the repo (located from this crate's
//! manifest dir at build time, overridable) so nothing machine-specific is committed, and the
//! tracebacks keep the capture's exact text without the fake hard-coding any machine path.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::FakeComfyError;

/// The capture folder beside the repo (`<repo>/../shared/comfyui`).
pub fn default_captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/comfyui")
}

/// Where another engineer adds node schemas that the capture lacks (entries carry
/// `"_fake_overlay": true`). Tolerated missing.
pub fn default_overlay_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/object_info_overlay.json")
}

/// Everything loaded from the capture folder, shared by every server in the process.
#[derive(Debug)]
pub struct Captures {
    pub object_info: Map<String, Value>,
    pub models: Map<String, Value>,
    pub system_stats: Value,
    pub features: Value,
    pub embeddings: Value,
    pub misc: Map<String, Value>,
    pub traceback_key_error: Value,
    pub traceback_index_error: Value,
    pub traceback_exec_error: Value,
    pub sample_output_mp4: PathBuf,
}

fn read_json(path: &Path) -> Result<Value, FakeComfyError> {
    let text = std::fs::read_to_string(path).map_err(|source| FakeComfyError::CaptureRead {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| FakeComfyError::CaptureParse {
        path: path.to_path_buf(),
        source,
    })
}

fn as_object(path: &Path, v: Value) -> Result<Map<String, Value>, FakeComfyError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(FakeComfyError::CaptureShape {
            path: path.to_path_buf(),
            what: "a JSON object".into(),
        }),
    }
}

fn pointer(v: &Value, p: &str) -> Value {
    v.pointer(p).cloned().unwrap_or(Value::Array(vec![]))
}

impl Captures {
    pub fn load(dir: &Path) -> Result<Self, FakeComfyError> {
        let object_info = as_object(
            &dir.join("object_info.json"),
            read_json(&dir.join("object_info.json"))?,
        )?;
        let models = as_object(
            &dir.join("models.json"),
            read_json(&dir.join("models.json"))?,
        )?;
        let misc_path = dir.join("misc_endpoints.json");
        let misc = as_object(&misc_path, read_json(&misc_path)?)?;
        let all_cases = read_json(&dir.join("prompt_error_all_cases.json"))?;
        let exec_error = read_json(&dir.join("history_exec_error.json"))?;
        let exec_tb = exec_error
            .as_object()
            .and_then(|m| m.values().next())
            .and_then(|entry| entry.pointer("/status/messages/2/1/traceback"))
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        Ok(Self {
            object_info,
            models,
            system_stats: read_json(&dir.join("system_stats.json"))?,
            features: read_json(&dir.join("features.json"))?,
            embeddings: read_json(&dir.join("embeddings.json"))?,
            misc,
            traceback_key_error: pointer(
                &all_cases,
                "/link_to_nonexistent_node/body/node_errors/5/errors/0/extra_info/traceback",
            ),
            traceback_index_error: pointer(
                &all_cases,
                "/link_output_index_out_of_range/body/node_errors/2/errors/0/extra_info/traceback",
            ),
            traceback_exec_error: exec_tb,
            sample_output_mp4: dir.join("sample_output.mp4"),
        })
    }

    /// Loaded once per process for the default folder (object_info is 1.2 MB; tests start many
    /// servers).
    pub fn shared_default() -> Result<Arc<Captures>, FakeComfyError> {
        static CELL: OnceLock<Result<Arc<Captures>, String>> = OnceLock::new();
        let r = CELL.get_or_init(|| {
            Captures::load(&default_captures_dir())
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        match r {
            Ok(c) => Ok(c.clone()),
            Err(msg) => Err(FakeComfyError::CapturesUnavailable(msg.clone())),
        }
    }
}

/// object_info served by one server: the capture merged with the overlay, plus its JSON text.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub map: Arc<Map<String, Value>>,
    pub body: Bytes,
}

impl ObjectInfo {
    pub fn build(
        base: &Map<String, Value>,
        overlay: Option<&Path>,
    ) -> Result<Self, FakeComfyError> {
        let mut map = base.clone();
        if let Some(path) = overlay
            && path.exists()
        {
            let extra = as_object(path, read_json(path)?)?;
            for (class, schema) in extra {
                map.insert(class, schema);
            }
        }
        let body = serde_json::to_vec(&map).map_err(|source| FakeComfyError::CaptureParse {
            path: PathBuf::from("object_info (merged)"),
            source,
        })?;
        Ok(Self {
            map: Arc::new(map),
            body: Bytes::from(body),
        })
    }
}
