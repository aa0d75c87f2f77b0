//! POST /upload/image: the file streamed from disk, a stall watchdog, the server's limit
//! checked first, and a 413 told apart: ComfyUI's own limit, or a proxy's.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};

use super::{TransferProgress, UploadTarget};
use crate::client::{ComfyClient, decode};
use crate::error::ComfyError;
use crate::model::UploadedFile;
use crate::sanitize::{safe_component, safe_relative_path};

/// Upload read size: each read of a tokio file is a hop to the blocking pool, so read big.
const UPLOAD_CHUNK: usize = 1024 * 1024;
/// Upload chunks read ahead of the socket.
const READ_AHEAD: usize = 4;
/// Bytes a multipart envelope adds around the file (boundaries, part headers, text fields).
const MULTIPART_OVERHEAD: u64 = 1024;

/// aiohttp's 413 text: `Maximum request body size {max} exceeded, actual body size {actual}`.
fn comfy_413_limit(body: &str) -> Option<u64> {
    let rest = body.trim().strip_prefix("Maximum request body size ")?;
    let (max, tail) = rest.split_once(' ')?;
    tail.starts_with("exceeded").then(|| max.parse().ok())?
}

/// A 413 is ComfyUI's own only when its body is aiohttp's, which names the limit it applied;
/// anything else came from a proxy in front, whose limit is unknown: the /features limit must
/// not be quoted for it (the file may be far under it).
pub(crate) fn refused_upload(file: &str, size: u64, body: String) -> ComfyError {
    match comfy_413_limit(&body) {
        Some(limit) => ComfyError::UploadTooLarge {
            file: file.to_owned(),
            size: Some(size),
            limit: Some(limit),
        },
        None => ComfyError::UploadRefusedByProxy {
            file: file.to_owned(),
            size,
            body: body.chars().take(200).collect(),
        },
    }
}

fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

/// A file as a stream of chunks read on one blocking thread, a few chunks ahead of the
/// socket. Chunks are read straight into fresh buffers (no copy through a tokio file
/// buffer, no blocking-pool hop per read); memory stays at READ_AHEAD chunks.
fn file_chunks(
    file: std::fs::File,
    chunk: usize,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        use std::io::Read as _;
        let mut file = file;
        loop {
            let mut buf = Vec::with_capacity(chunk);
            let read = (&mut file).take(chunk as u64).read_to_end(&mut buf);
            let item = match read {
                Ok(0) => return,
                Ok(_) => Ok(bytes::Bytes::from(buf)),
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // The receiver is gone when the request was dropped: stop reading.
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// Time since `start` in ms, as the watchdog's shared clock.
fn millis_since(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// Resolves when `last_progress_ms` has not moved for `idle` while `done` is false.
async fn stall_watchdog(
    start: Instant,
    last_progress_ms: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    idle: Duration,
) {
    let tick = (idle / 4).max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(tick).await;
        if done.load(Ordering::Acquire) {
            // Body sent: from here the client's read timeout guards the response.
            std::future::pending::<()>().await;
        }
        let idle_ms = millis_since(start).saturating_sub(last_progress_ms.load(Ordering::Acquire));
        if idle_ms > idle.as_millis() as u64 {
            return;
        }
    }
}

impl ComfyClient {
    /// Upload a file from disk, streamed, reporting bytes sent. The server's
    /// `max_upload_size` (from /features) is checked before sending when the server tells it.
    pub async fn upload(
        &self,
        path: &Path,
        target: &UploadTarget,
        progress: impl Fn(TransferProgress) + Send + Sync + 'static,
    ) -> Result<UploadedFile, ComfyError> {
        safe_component(&target.name)?;
        if let Some(sub) = &target.subfolder {
            safe_relative_path(sub, &target.name)?;
        }
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| ComfyError::io("reading", path, e))?
            .len();
        let limit = self.features().await?.max_upload_size;
        if let Some(limit) = limit
            && size + MULTIPART_OVERHEAD > limit
        {
            return Err(ComfyError::UploadTooLarge {
                file: target.name.clone(),
                size: Some(size),
                limit: Some(limit),
            });
        }
        let file = std::fs::File::open(path).map_err(|e| ComfyError::io("opening", path, e))?;

        let start = Instant::now();
        let last_progress = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (stream_last, stream_done) = (last_progress.clone(), done.clone());
        let mut sent = 0u64;
        progress(TransferProgress {
            done: 0,
            total: Some(size),
        });
        let stream = file_chunks(file, UPLOAD_CHUNK).map(move |chunk| {
            if let Ok(bytes) = &chunk {
                sent += bytes.len() as u64;
                stream_last.store(millis_since(start), Ordering::Release);
                if sent >= size {
                    stream_done.store(true, Ordering::Release);
                }
                progress(TransferProgress {
                    done: sent,
                    total: Some(size),
                });
            }
            chunk
        });
        let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), size)
            .file_name(target.name.clone())
            .mime_str(mime_for(&target.name))
            .map_err(|e| ComfyError::ClientSetup(e.to_string()))?;
        let mut form = Form::new()
            .part("image", part)
            .text("type", target.file_type.as_str())
            .text("overwrite", if target.overwrite { "true" } else { "false" });
        if let Some(sub) = &target.subfolder {
            form = form.text("subfolder", sub.clone());
        }

        let path_label = "/upload/image";
        let send = self
            .inner
            .http
            .post(self.url(&["upload", "image"]))
            .multipart(form)
            .send();
        let idle = self.inner.options.transfer_idle_timeout;
        let resp = tokio::select! {
            r = send => r.map_err(|e| {
                crate::classify::from_reqwest(e, &self.inner.host, path_label, idle)
            })?,
            _ = stall_watchdog(start, last_progress, done, idle) => {
                return Err(ComfyError::Timeout {
                    host: self.inner.host.clone(),
                    what: format!("upload of {}", target.name),
                    after: idle,
                });
            }
        };
        if resp.status().as_u16() == 413 {
            let body = self
                .read_capped(resp, path_label, self.inner.options.max_error_body_bytes)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            return Err(refused_upload(&target.name, size, body));
        }
        let resp = self.check_status(resp, path_label).await?;
        let body = self
            .read_capped(resp, path_label, self.inner.options.max_json_bytes)
            .await?;
        let uploaded: UploadedFile = decode(&body, path_label)?;
        tracing::info!(
            host = %self.inner.host,
            name = %uploaded.name,
            bytes = size,
            elapsed_ms = start.elapsed().as_millis() as u64,
            "uploaded"
        );
        Ok(uploaded)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_413_is_comfyuis_only_with_aiohttps_body() {
        let comfy = refused_upload(
            "a.png",
            5000,
            "Maximum request body size 4096 exceeded, actual body size 6000".into(),
        );
        assert!(
            matches!(
                comfy,
                ComfyError::UploadTooLarge {
                    limit: Some(4096),
                    size: Some(5000),
                    ..
                }
            ),
            "{comfy:?}"
        );
        let page = "<html><head><title>413 Request Entity Too Large</title></head></html>";
        let proxy = refused_upload("a.png", 234 * 1024, page.into());
        assert!(
            matches!(
                proxy,
                ComfyError::UploadRefusedByProxy { size: 239_616, .. }
            ),
            "{proxy:?}"
        );
        assert!(matches!(
            refused_upload("a.png", 1, String::new()),
            ComfyError::UploadRefusedByProxy { .. }
        ));
    }
}
