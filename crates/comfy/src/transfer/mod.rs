//! Streamed uploads (POST /upload/image) and downloads (GET /view): files go between disk and
//! socket in fixed-size chunks, never whole in memory; every transfer has an idle timeout.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use std::io::Write as _;

use crate::client::{ComfyClient, decode};
use crate::error::ComfyError;
use crate::model::{FileRef, FileType, UploadedFile};
use crate::sanitize::{safe_component, safe_relative_path};

/// Read/write chunk: large enough for loopback speeds, small enough for constant memory.
const CHUNK: usize = 256 * 1024;
/// Upload read size: each read of a tokio file is a hop to the blocking pool, so read big.
const UPLOAD_CHUNK: usize = 1024 * 1024;
/// Upload chunks read ahead of the socket.
const READ_AHEAD: usize = 4;
/// Downloaded chunks waiting for the disk writer.
const WRITE_QUEUE: usize = 16;
/// Bytes a multipart envelope adds around the file (boundaries, part headers, text fields).
const MULTIPART_OVERHEAD: u64 = 1024;

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
            return Err(ComfyError::UploadTooLarge {
                file: target.name.clone(),
                size: Some(size),
                limit,
            });
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

    /// Download an output into `dir/<subfolder>/<filename>`, the server's names checked by
    /// [`crate::sanitize`] first.
    pub async fn download_output(
        &self,
        file: &FileRef,
        dir: &Path,
        progress: impl FnMut(TransferProgress),
    ) -> Result<DownloadedFile, ComfyError> {
        let dest = dir.join(safe_relative_path(&file.subfolder, &file.filename)?);
        self.view_to_file(file, &dest, progress).await
    }

    /// GET /view streamed to `dest` (through `dest.part`, renamed when complete). The byte
    /// count must match Content-Length when the server sends one.
    pub async fn view_to_file(
        &self,
        file: &FileRef,
        dest: &Path,
        mut progress: impl FnMut(TransferProgress),
    ) -> Result<DownloadedFile, ComfyError> {
        let path_label = format!("/view?filename={}", file.filename);
        let mut query = vec![
            ("filename", file.filename.as_str()),
            ("type", file.file_type.as_str()),
        ];
        if !file.subfolder.is_empty() {
            query.push(("subfolder", file.subfolder.as_str()));
        }
        let start = Instant::now();
        let resp = self
            .inner
            .http
            .get(self.url(&["view"]))
            .query(&query)
            .send()
            .await
            .map_err(|e| self.reqwest_error(e, &path_label))?;
        let resp = self.check_status(resp, &path_label).await?;
        let expected = resp.content_length();
        let cap = self.inner.options.max_download_bytes;
        if let (Some(cap), Some(len)) = (cap, expected)
            && len > cap
        {
            return Err(ComfyError::BodyTooLarge {
                path: path_label,
                limit: cap,
            });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);

        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| ComfyError::io("creating folder", parent, e))?;
        }
        let mut partial = dest.as_os_str().to_owned();
        partial.push(".part");
        let partial = PathBuf::from(partial);
        let result = self
            .stream_to(resp, &partial, &path_label, expected, cap, &mut progress)
            .await;
        let received = match result {
            Ok(n) => n,
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e);
            }
        };
        if let Some(expected) = expected
            && received != expected
        {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(ComfyError::DownloadIncomplete {
                path: path_label,
                expected,
                received,
            });
        }
        tokio::fs::rename(&partial, dest)
            .await
            .map_err(|e| ComfyError::io("renaming", dest, e))?;
        tracing::info!(
            host = %self.inner.host,
            file = %file.filename,
            bytes = received,
            elapsed_ms = start.elapsed().as_millis() as u64,
            "downloaded"
        );
        Ok(DownloadedFile {
            path: dest.to_owned(),
            bytes: received,
            content_type,
        })
    }

    async fn stream_to(
        &self,
        resp: reqwest::Response,
        partial: &Path,
        path_label: &str,
        expected: Option<u64>,
        cap: Option<u64>,
        progress: &mut impl FnMut(TransferProgress),
    ) -> Result<u64, ComfyError> {
        let file = tokio::fs::File::create(partial)
            .await
            .map_err(|e| ComfyError::io("creating", partial, e))?
            .into_std()
            .await;
        // Disk writes run on one blocking thread fed through a small bounded channel: the
        // socket reader never waits on a per-chunk thread hop (tokio::fs would), and at most
        // WRITE_QUEUE chunks are in memory.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(WRITE_QUEUE);
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::with_capacity(4 * CHUNK, file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)?;
            }
            out.flush()
        });
        let received = self
            .pump(resp, tx, path_label, expected, cap, progress)
            .await;
        // The sender is dropped: the writer drains and ends.
        let written = match writer.await {
            Ok(result) => result.map_err(|e| ComfyError::io("writing", partial, e)),
            Err(join) => Err(ComfyError::io(
                "writing",
                partial,
                std::io::Error::other(join.to_string()),
            )),
        };
        let received = received?;
        written?;
        Ok(received)
    }

    /// Socket → writer channel, with the size checks.
    async fn pump(
        &self,
        resp: reqwest::Response,
        tx: tokio::sync::mpsc::Sender<bytes::Bytes>,
        path_label: &str,
        expected: Option<u64>,
        cap: Option<u64>,
        progress: &mut impl FnMut(TransferProgress),
    ) -> Result<u64, ComfyError> {
        let mut received = 0u64;
        progress(TransferProgress {
            done: 0,
            total: expected,
        });
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                // The connection ended before Content-Length bytes: say so plainly.
                Err(e) if !e.is_timeout() && expected.is_some_and(|n| received < n) => {
                    tracing::debug!(error = %crate::classify::chain_text(&e), "download cut short");
                    return Err(ComfyError::DownloadIncomplete {
                        path: path_label.to_owned(),
                        expected: expected.unwrap_or_default(),
                        received,
                    });
                }
                Err(e) => {
                    return Err(crate::classify::from_reqwest(
                        e,
                        &self.inner.host,
                        path_label,
                        self.inner.options.transfer_idle_timeout,
                    ));
                }
            };
            received += chunk.len() as u64;
            if let Some(cap) = cap
                && received > cap
            {
                return Err(ComfyError::BodyTooLarge {
                    path: path_label.to_owned(),
                    limit: cap,
                });
            }
            if expected.is_some_and(|e| received > e) {
                return Err(ComfyError::DownloadIncomplete {
                    path: path_label.to_owned(),
                    expected: expected.unwrap_or_default(),
                    received,
                });
            }
            if tx.send(chunk).await.is_err() {
                // The writer stopped on an io error; the caller reports it.
                break;
            }
            progress(TransferProgress {
                done: received,
                total: expected,
            });
        }
        Ok(received)
    }
}
