//! Multipart uploads in three explicit steps, so a caller can record the upload id before any
//! part is sent and abort it after a crash: an upload that is neither completed nor aborted
//! keeps its parts on the server (and on the bill) forever, and object_store's own
//! `WriteMultipart` keeps the id to itself.

use std::path::Path;

use object_store::multipart::{MultipartStore, PartId};
use object_store::{Attribute, Attributes, PutMultipartOptions, PutPayload};
use tokio::io::AsyncReadExt;
use tokio::task::JoinSet;

use crate::bucket::{PART_SIZE, PARTS_IN_FLIGHT};
use crate::{Bucket, StorageError};

/// What one part's task returns: its index and the server's id for it.
type PartResult = Result<(usize, PartId), object_store::Error>;

impl Bucket {
    /// Starts a multipart upload to `rest` served as `content_type`; returns its upload id.
    pub async fn begin_multipart(
        &self,
        rest: &str,
        content_type: &str,
    ) -> Result<String, StorageError> {
        let key = self.key(rest)?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.to_string().into());
        let opts = PutMultipartOptions {
            attributes,
            ..Default::default()
        };
        self.store
            .create_multipart_opts(&key, opts)
            .await
            .map_err(self.fail(&key))
    }

    /// Sends `file` as the parts of upload `id` to `rest` and completes it; returns the bytes
    /// sent. Memory stays bounded whatever the file's size: at most [`PARTS_IN_FLIGHT`] parts
    /// in flight plus the one being read. On failure the upload is aborted (best effort: if
    /// that fails too, the caller's record of `id` lets it abort later).
    pub async fn send_multipart(
        &self,
        file: &Path,
        rest: &str,
        id: &str,
    ) -> Result<u64, StorageError> {
        let key = self.key(rest)?;
        let sent = self.send_parts(file, &key, id).await;
        let (size, parts) = match sent {
            Ok(done) => done,
            Err(e) => {
                if let Err(abort) = self.store.abort_multipart(&key, &id.to_string()).await {
                    tracing::warn!(%key, error = %abort, "could not abort a failed multipart upload");
                }
                return Err(e);
            }
        };
        if let Err(e) = self
            .store
            .complete_multipart(&key, &id.to_string(), parts)
            .await
        {
            let _ = self.store.abort_multipart(&key, &id.to_string()).await;
            return Err(self.fail(&key)(e));
        }
        Ok(size)
    }

    async fn send_parts(
        &self,
        file: &Path,
        key: &object_store::path::Path,
        id: &str,
    ) -> Result<(u64, Vec<PartId>), StorageError> {
        let mut f = tokio::fs::File::open(file)
            .await
            .map_err(|e| StorageError::local(file, e))?;
        // Parts run as tasks so they keep sending while the next part is read from disk;
        // dropping the set (on an error) cancels the others.
        let mut in_flight: JoinSet<PartResult> = JoinSet::new();
        let mut parts: Vec<(usize, PartId)> = Vec::new();
        let (mut index, mut size) = (0usize, 0u64);
        loop {
            while in_flight.len() >= PARTS_IN_FLIGHT {
                parts.push(self.joined(in_flight.join_next().await, key)?);
            }
            let mut buf = bytes::BytesMut::with_capacity(PART_SIZE);
            while buf.len() < PART_SIZE {
                let n = f
                    .read_buf(&mut buf)
                    .await
                    .map_err(|e| StorageError::local(file, e))?;
                if n == 0 {
                    break;
                }
            }
            // An empty last part only when the file is empty (S3 wants at least one part).
            if buf.is_empty() && index > 0 {
                break;
            }
            let last = buf.len() < PART_SIZE;
            size += buf.len() as u64;
            let (store, key_owned, id_owned) = (self.store.clone(), key.clone(), id.to_string());
            let payload = PutPayload::from(buf.freeze());
            let part = index;
            in_flight.spawn(async move {
                let id = store.put_part(&key_owned, &id_owned, part, payload).await?;
                Ok((part, id))
            });
            index += 1;
            if last {
                break;
            }
        }
        while !in_flight.is_empty() {
            parts.push(self.joined(in_flight.join_next().await, key)?);
        }
        parts.sort_by_key(|(i, _)| *i);
        Ok((size, parts.into_iter().map(|(_, p)| p).collect()))
    }

    fn joined(
        &self,
        next: Option<Result<PartResult, tokio::task::JoinError>>,
        key: &object_store::path::Path,
    ) -> Result<(usize, PartId), StorageError> {
        match next {
            Some(Ok(Ok(part))) => Ok(part),
            Some(Ok(Err(e))) => Err(self.fail(key)(e)),
            Some(Err(e)) => Err(StorageError::Server {
                detail: format!("a part upload of {key} stopped: {e}"),
            }),
            None => Err(StorageError::Server {
                detail: format!("no part upload of {key} was running"),
            }),
        }
    }

    /// Aborts upload `id` of `rest` so its parts are freed. `Ok(false)` when the server no
    /// longer knows it (completed, aborted before, or expired by a lifecycle rule): nothing is
    /// left dangling either way.
    pub async fn abort_multipart(&self, rest: &str, id: &str) -> Result<bool, StorageError> {
        let key = self.key(rest)?;
        match self.store.abort_multipart(&key, &id.to_string()).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => match self.fail(&key)(e) {
                // S3 names an unknown upload id NoSuchUpload (404, sometimes without a body).
                StorageError::Server { detail } if detail.contains("NoSuchUpload") => Ok(false),
                other => Err(other),
            },
        }
    }
}
