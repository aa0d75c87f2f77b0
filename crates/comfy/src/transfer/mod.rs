//! Streamed uploads (POST /upload/image) and downloads (GET /view): files go between disk and
//! socket in fixed-size chunks, never whole in memory; every transfer has an idle timeout, and
//! downloads also a size cap, a deadline, a minimum rate and a content check.

mod content;
mod download;
mod upload;

use std::path::PathBuf;

use crate::model::FileType;

/// Bytes moved so far and, when known, the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferProgress {
    pub done: u64,
    pub total: Option<u64>,
}

/// Where an upload goes on the server.
#[derive(Debug, Clone)]
pub struct UploadTarget {
    /// File name on the server (the engine uses content-hash names so the server dedups).
    pub name: String,
    /// Optional subfolder of the input folder.
    pub subfolder: Option<String>,
    /// Replace a same-named file with different bytes instead of getting `name (1).ext`.
    pub overwrite: bool,
    pub file_type: FileType,
}

impl UploadTarget {
    pub fn input(name: impl Into<String>) -> Self {
        UploadTarget {
            name: name.into(),
            subfolder: None,
            overwrite: false,
            file_type: FileType::Input,
        }
    }
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub content_type: Option<String>,
}
