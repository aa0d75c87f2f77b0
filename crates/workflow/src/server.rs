//! What the planner and preflight know about a server, gathered by the core (which owns the
//! network): its devices from `GET /system_stats` and its model lists from `/models/{folder}`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::WorkflowError;
use crate::object_info::ObjectInfo;

/// Facts about one ComfyUI server, as [`crate::plan`], [`crate::bind`] and
/// [`crate::preflight`] take them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerFacts {
    /// Node classes of `/object_info`.
    pub node_classes: BTreeSet<String>,
    /// `devices` of `/system_stats`; `None` when they could not be read.
    #[serde(default)]
    pub devices: Option<Vec<Device>>,
    /// The lists of the folders [`crate::model_folders`] names.
    #[serde(default)]
    pub models: ModelsByFolder,
}

/// One entry of `/system_stats` `devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// e.g. `cuda:0 NVIDIA A100-SXM4-80GB : cudaMallocAsync`, or `cpu`.
    pub name: String,
    /// `cuda`, `cpu`, `mps`, `xpu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Total memory in bytes (system RAM for the CPU device).
    #[serde(default)]
    pub vram_total: u64,
    #[serde(default)]
    pub vram_free: u64,
}

/// Bytes per GB as GPU memory is sold (and as manifests' `min_vram_gb` counts it).
pub const BYTES_PER_GB: f64 = 1e9;

impl Device {
    pub fn vram_gb(&self) -> f64 {
        self.vram_total as f64 / BYTES_PER_GB
    }

    fn is_gpu(&self) -> bool {
        self.kind != "cpu"
    }
}

impl ServerFacts {
    /// Facts from the three server answers the core fetches (and caches).
    pub fn new(info: &ObjectInfo, devices: Option<Vec<Device>>, models: ModelsByFolder) -> Self {
        Self {
            node_classes: info.class_names().map(str::to_owned).collect(),
            devices,
            models,
        }
    }

    /// Reads the devices out of a `/system_stats` body.
    pub fn devices_from_system_stats(body: &Value) -> Result<Vec<Device>, WorkflowError> {
        let devices =
            body.get("devices")
                .cloned()
                .ok_or_else(|| WorkflowError::SystemStatsInvalid {
                    reason: "no devices list".into(),
                })?;
        serde_json::from_value(devices).map_err(|e| WorkflowError::SystemStatsInvalid {
            reason: e.to_string(),
        })
    }

    /// Whether a device of this type is present; `None` when the devices are unknown.
    pub fn has_device(&self, kind: &str) -> Option<bool> {
        self.devices
            .as_ref()
            .map(|d| d.iter().any(|x| x.kind == kind))
    }

    /// The GPU with the most memory; `None` when the devices are unknown or there is no GPU.
    pub fn largest_gpu(&self) -> Option<&Device> {
        self.devices
            .as_ref()?
            .iter()
            .filter(|d| d.is_gpu())
            .max_by_key(|d| d.vram_total)
    }
}

/// File lists per models folder, as `GET /models/{folder}` returns them. A folder the server
/// does not have (404) is simply absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ModelsByFolder {
    folders: BTreeMap<String, BTreeSet<String>>,
}

impl ModelsByFolder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert<I, S>(&mut self, folder: impl Into<String>, files: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.folders
            .entry(folder.into())
            .or_default()
            .extend(files.into_iter().map(Into::into));
    }

    pub fn has_folder(&self, folder: &str) -> bool {
        self.folders.contains_key(folder)
    }

    pub fn contains(&self, folder: &str, file: &str) -> bool {
        self.folders.get(folder).is_some_and(|f| f.contains(file))
    }
}

/// A device type in user words: "an NVIDIA GPU" for `cuda`.
pub fn device_words(device: &str) -> String {
    match device {
        "cuda" => "an NVIDIA GPU".to_owned(),
        "mps" => "an Apple GPU".to_owned(),
        "xpu" => "an Intel GPU".to_owned(),
        other => format!("a {other} device"),
    }
}
