//! Small endpoint bodies: /features, /upload/image, and the other captured endpoints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::files::FileType;

/// GET /features and the websocket `feature_flags` reply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Features {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_preview_metadata: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_upload_size: Option<u64>,
}

/// POST /upload/image response. `name` may differ from the requested name (`x (1).png`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub name: String,
    #[serde(default)]
    pub subfolder: String,
    #[serde(rename = "type")]
    pub file_type: FileType,
}

impl UploadedFile {
    /// The value a LoadImage/LoadAudio/LoadVideo input takes for this file.
    pub fn as_input_value(&self) -> String {
        if self.subfolder.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.subfolder, self.name)
        }
    }
}

/// GET /experiment/models item (captured, not used by the client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFolder {
    pub name: String,
    pub folders: Vec<String>,
}

/// GET /internal/folder_paths (captured, not used by the client).
pub type FolderPaths = BTreeMap<String, Vec<String>>;

/// GET /users (captured, not used by the client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersInfo {
    pub storage: String,
    pub migrated: bool,
}

/// POST /queue body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeleteRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear: Option<bool>,
}

/// POST /interrupt body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterruptRequest {
    pub prompt_id: String,
}
