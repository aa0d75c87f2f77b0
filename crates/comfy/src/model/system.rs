//! GET /system_stats.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemStats {
    pub system: SystemInfo,
    #[serde(default)]
    pub devices: Vec<Device>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram_total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram_free: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comfyui_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_frontend_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_templates_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_templates_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pytorch_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_python: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub name: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub index: Option<u32>,
    pub vram_total: u64,
    pub vram_free: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torch_vram_total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torch_vram_free: Option<u64>,
}

impl Device {
    pub fn is_gpu(&self) -> bool {
        self.device_type != "cpu"
    }
}

impl SystemStats {
    /// The first GPU, if the server has one (a CPU-only server lists a `cpu` device).
    pub fn gpu(&self) -> Option<&Device> {
        self.devices.iter().find(|d| d.is_gpu())
    }
}
