//! GET /view streamed to disk under [`DownloadLimits`]: a size cap (Content-Length checked
//! before anything is written, the stream while writing), free disk space checked first, an
//! overall deadline and a minimum average rate, the content checked to be media; the `.part`
//! file is removed on every failure, cancellation included.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::content::{self, SNIFF_BYTES};
use super::{DownloadedFile, TransferProgress};
use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::model::FileRef;
use crate::options::DownloadLimits;
use crate::sanitize::safe_relative_path;

/// Read/write chunk: large enough for loopback speeds, small enough for constant memory.
const CHUNK: usize = 256 * 1024;
/// Downloaded chunks waiting for the disk writer.
const WRITE_QUEUE: usize = 16;
/// Free space is checked again after each this many bytes when the length was not declared.
const DISK_RECHECK_BYTES: u64 = 64 * 1024 * 1024;

/// The `.part` file: removed when dropped unless the download completed (so an error, a
/// timeout or the caller dropping the future never leaves it behind).
struct PartFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What one download is checked against.
struct Watch<'a> {
    label: &'a str,
    filename: &'a str,
    content_type: Option<String>,
    expected: Option<u64>,
    limits: &'a DownloadLimits,
    started: Instant,
    dir: &'a Path,
}

impl Watch<'_> {
    fn too_slow(&self, received: u64, why: String) -> ComfyError {
        ComfyError::DownloadTooSlow {
            path: self.label.to_owned(),
            received,
            elapsed: self.started.elapsed(),
            why,
        }
    }

    /// Deadline and minimum average rate.
    fn check_pace(&self, received: u64) -> Result<(), ComfyError> {
        let elapsed = self.started.elapsed();
        if elapsed >= self.limits.deadline {
            return Err(self.too_slow(
                received,
                format!("over the {:?} deadline", self.limits.deadline),
            ));
        }
        let floor = self.limits.min_bytes_per_sec as f64 * elapsed.as_secs_f64();
        if elapsed >= self.limits.rate_grace && (received as f64) < floor {
            return Err(self.too_slow(
                received,
                format!(
                    "below the minimum of {} bytes/s",
                    self.limits.min_bytes_per_sec
                ),
            ));
        }
        Ok(())
    }

    fn check_size(&self, received: u64) -> Result<(), ComfyError> {
        if received > self.limits.max_bytes {
            return Err(ComfyError::DownloadTooLarge {
                path: self.label.to_owned(),
                limit: self.limits.max_bytes,
                declared: None,
            });
        }
        if let Some(expected) = self.expected
            && received > expected
        {
            return Err(ComfyError::DownloadIncomplete {
                path: self.label.to_owned(),
                expected,
                received,
            });
        }
        Ok(())
    }

    /// `needed` more bytes must fit with the reserve to spare.
    fn check_disk(&self, needed: u64) -> Result<(), ComfyError> {
        let available = fs4::available_space(self.dir)
            .map_err(|e| ComfyError::io("checking free space in", self.dir, e))?;
        if available < needed.saturating_add(self.limits.disk_reserve_bytes) {
            return Err(ComfyError::DiskFull {
                path: self.dir.to_owned(),
                needed: (needed > 0).then_some(needed),
                available,
            });
        }
        Ok(())
    }
}

fn write_error(path: &Path, dir: &Path, e: std::io::Error) -> ComfyError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return ComfyError::DiskFull {
            path: dir.to_owned(),
            needed: None,
            available: fs4::available_space(dir).unwrap_or(0),
        };
    }
    ComfyError::io("writing", path, e)
}

impl ComfyClient {
    /// Download an output into `dir/<subfolder>/<filename>`, the server's names checked by
    /// [`crate::sanitize`] first, under the client's [`DownloadLimits`].
    pub async fn download_output(
        &self,
        file: &FileRef,
        dir: &Path,
        progress: impl FnMut(TransferProgress),
    ) -> Result<DownloadedFile, ComfyError> {
        let dest = dir.join(safe_relative_path(&file.subfolder, &file.filename)?);
        self.view_to_file(file, &dest, progress).await
    }

    /// GET /view streamed to `dest` under the client's [`DownloadLimits`]
    /// (`ClientOptions::download`).
    pub async fn view_to_file(
        &self,
        file: &FileRef,
        dest: &Path,
        progress: impl FnMut(TransferProgress),
    ) -> Result<DownloadedFile, ComfyError> {
        let limits = self.inner.options.download.clone();
        self.view_to_file_with(file, dest, &limits, progress).await
    }

    /// GET /view streamed to `dest` (through `dest.part`, renamed when complete). The byte
    /// count must match Content-Length when the server sends one. Every failure is typed:
    /// [`ComfyError::DownloadTooLarge`], [`ComfyError::DownloadTooSlow`],
    /// [`ComfyError::DiskFull`], [`ComfyError::UnexpectedContent`],
    /// [`ComfyError::DownloadIncomplete`], or the transport's error; none leaves a file.
    pub async fn view_to_file_with(
        &self,
        file: &FileRef,
        dest: &Path,
        limits: &DownloadLimits,
        mut progress: impl FnMut(TransferProgress),
    ) -> Result<DownloadedFile, ComfyError> {
        let label = format!("/view?filename={}", file.filename);
        let started = Instant::now();
        let deadline = started + limits.deadline;
        let mut query = vec![
            ("filename", file.filename.as_str()),
            ("type", file.file_type.as_str()),
        ];
        if !file.subfolder.is_empty() {
            query.push(("subfolder", file.subfolder.as_str()));
        }
        let send = self
            .inner
            .http
            .get(self.url(&["view"]))
            .query(&query)
            .send();
        let resp = match tokio::time::timeout_at(deadline, send).await {
            Ok(r) => r.map_err(|e| self.reqwest_error(e, &label))?,
            Err(_) => {
                return Err(ComfyError::DownloadTooSlow {
                    path: label,
                    received: 0,
                    elapsed: started.elapsed(),
                    why: "no answer before the deadline".into(),
                });
            }
        };
        let resp = self.check_status(resp, &label).await?;
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        content::check_content_type(&label, &file.filename, content_type.as_deref())?;
        let expected = resp.content_length();
        if let Some(len) = expected
            && len > limits.max_bytes
        {
            return Err(ComfyError::DownloadTooLarge {
                path: label,
                limit: limits.max_bytes,
                declared: Some(len),
            });
        }
        let dir = dest.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| ComfyError::io("creating folder", dir, e))?;
        let watch = Watch {
            label: &label,
            filename: &file.filename,
            content_type,
            expected,
            limits,
            started,
            dir,
        };
        watch.check_disk(expected.unwrap_or(0))?;

        let mut partial = dest.as_os_str().to_owned();
        partial.push(".part");
        let mut part = PartFile {
            path: PathBuf::from(partial),
            keep: false,
        };
        let received = self
            .stream_to(resp, &part.path, &watch, &mut progress)
            .await?;
        if let Some(expected) = expected
            && received != expected
        {
            return Err(ComfyError::DownloadIncomplete {
                path: watch.label.to_owned(),
                expected,
                received,
            });
        }
        tokio::fs::rename(&part.path, dest)
            .await
            .map_err(|e| ComfyError::io("renaming", dest, e))?;
        part.keep = true;
        tracing::info!(
            host = %self.inner.host,
            file = %file.filename,
            bytes = received,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "downloaded"
        );
        Ok(DownloadedFile {
            path: dest.to_owned(),
            bytes: received,
            content_type: watch.content_type,
        })
    }

    async fn stream_to(
        &self,
        resp: reqwest::Response,
        partial: &Path,
        watch: &Watch<'_>,
        progress: &mut impl FnMut(TransferProgress),
    ) -> Result<u64, ComfyError> {
        let file =
            std::fs::File::create(partial).map_err(|e| ComfyError::io("creating", partial, e))?;
        // Disk writes run on one blocking thread fed through a small bounded channel: the
        // socket reader never waits on a per-chunk thread hop (tokio::fs would), and at most
        // WRITE_QUEUE chunks are in memory.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(WRITE_QUEUE);
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::with_capacity(4 * CHUNK, file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)?;
            }
            out.flush()?;
            out.get_ref().sync_all()
        });
        let received = self.pump(resp, tx, watch, progress).await;
        // The sender is dropped: the writer drains and ends.
        let written = match writer.await {
            Ok(result) => result.map_err(|e| write_error(partial, watch.dir, e)),
            Err(join) => Err(ComfyError::io(
                "writing",
                partial,
                std::io::Error::other(join.to_string()),
            )),
        };
        // A failed write explains a stopped pump better than the pump's own error.
        written?;
        received
    }

    /// Socket → writer channel, with the size, pace, disk and content checks.
    async fn pump(
        &self,
        resp: reqwest::Response,
        tx: tokio::sync::mpsc::Sender<bytes::Bytes>,
        watch: &Watch<'_>,
        progress: &mut impl FnMut(TransferProgress),
    ) -> Result<u64, ComfyError> {
        let mut received = 0u64;
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
        let mut next_disk_check = DISK_RECHECK_BYTES;
        progress(TransferProgress {
            done: 0,
            total: watch.expected,
        });
        let tick =
            (watch.limits.rate_grace / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut pace = tokio::time::interval(tick);
        let mut stream = resp.bytes_stream();
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                _ = pace.tick() => {
                    watch.check_pace(received)?;
                    continue;
                }
            };
            let Some(chunk) = next else { break };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                // The connection ended before Content-Length bytes: say so plainly.
                Err(e) if !e.is_timeout() && watch.expected.is_some_and(|n| received < n) => {
                    tracing::debug!(error = %crate::classify::chain_text(&e), "download cut short");
                    return Err(ComfyError::DownloadIncomplete {
                        path: watch.label.to_owned(),
                        expected: watch.expected.unwrap_or_default(),
                        received,
                    });
                }
                Err(e) => {
                    return Err(crate::classify::from_reqwest(
                        e,
                        &self.inner.host,
                        watch.label,
                        self.inner.options.transfer_idle_timeout,
                    ));
                }
            };
            received += chunk.len() as u64;
            watch.check_size(received)?;
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                if head.len() >= SNIFF_BYTES {
                    self.sniff(watch, &head)?;
                }
            }
            if watch.expected.is_none() && received >= next_disk_check {
                watch.check_disk(0)?;
                next_disk_check += DISK_RECHECK_BYTES;
            }
            if tx.send(chunk).await.is_err() {
                // The writer stopped on an io error; the caller reports it.
                break;
            }
            progress(TransferProgress {
                done: received,
                total: watch.expected,
            });
            watch.check_pace(received)?;
        }
        if head.len() < SNIFF_BYTES {
            self.sniff(watch, &head)?;
        }
        Ok(received)
    }

    fn sniff(&self, watch: &Watch<'_>, head: &[u8]) -> Result<(), ComfyError> {
        content::check_leading_bytes(
            watch.label,
            watch.filename,
            watch.content_type.as_deref(),
            head,
        )
    }
}
