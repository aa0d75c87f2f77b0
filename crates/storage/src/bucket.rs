//! One opened bucket: the operations publishing, sharing and the team library need.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload,
    RetryConfig,
};
use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::classify;
use crate::{Credentials, StorageError, StorageTarget};

/// Files at or above this size go up in parts (S3's minimum part is 5 MiB; below this one PUT is
/// faster and atomic anyway).
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// Part size: large enough that a 1 GiB output is ~64 requests, small enough that
/// `PART_SIZE * PARTS_IN_FLIGHT` (the upload's memory) stays well under 64 MB.
pub const PART_SIZE: usize = 16 * 1024 * 1024;
/// Parts uploaded at once (rclone's default concurrency is 4 as well).
pub const PARTS_IN_FLIGHT: usize = 3;
/// Presigned S3 URLs cannot outlive 7 days (SigV4 limit).
pub const MAX_LINK_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// An object as listed: its key relative to the target's prefix, and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
}

#[derive(Clone)]
pub struct Bucket {
    pub(crate) store: Arc<AmazonS3>,
    target: StorageTarget,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("target", &self.target)
            .finish()
    }
}

impl Bucket {
    /// Builds the client; nothing is sent until the first operation.
    pub fn open(target: StorageTarget, creds: &Credentials) -> Result<Bucket, StorageError> {
        let target = target.validate()?;
        install_crypto_provider();
        let options = ClientOptions::new()
            .with_allow_http(target.allows_http())
            .with_connect_timeout(Duration::from_secs(10))
            // Per request: a 16 MiB part on a slow uplink still fits.
            .with_timeout(Duration::from_secs(300));
        // Bounded retries on 5xx, throttling and dropped connections (object_store retries
        // idempotent requests and multipart parts, never a 4xx like a bad key).
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 4,
            retry_timeout: Duration::from_secs(120),
        };
        let store = AmazonS3Builder::new()
            .with_endpoint(&target.endpoint_url)
            .with_region(&target.region)
            .with_bucket_name(&target.bucket)
            .with_access_key_id(&creds.access_key_id)
            .with_secret_access_key(creds.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(!target.path_style)
            .with_client_options(options)
            .with_retry(retry)
            .build()
            .map_err(|e| StorageError::InvalidTarget {
                field: "url",
                reason: e.to_string(),
            })?;
        Ok(Bucket {
            store: Arc::new(store),
            target,
        })
    }

    pub fn target(&self) -> &StorageTarget {
        &self.target
    }

    pub(crate) fn key(&self, rest: &str) -> Result<Key, StorageError> {
        Key::parse(self.target.key(rest)).map_err(|e| StorageError::InvalidTarget {
            field: "prefix",
            reason: e.to_string(),
        })
    }

    pub(crate) fn fail(&self, key: &Key) -> impl Fn(object_store::Error) -> StorageError + '_ {
        let key = key.to_string();
        move |e| classify(e, &self.target.bucket, &key)
    }

    /// Writes, reads back and deletes a probe object: proves the address, the key pair, the
    /// bucket and the clock in one go, and names the first thing that failed.
    pub async fn test(&self) -> Result<(), StorageError> {
        let key = self.key(&format!(".animatrix-probe-{}", uuid::Uuid::new_v4()))?;
        let body = format!("animatrix storage probe {key}");
        self.store
            .put(&key, PutPayload::from(body.clone().into_bytes()))
            .await
            .map_err(self.fail(&key))?;
        let read = self.store.get(&key).await.map_err(self.fail(&key))?;
        let bytes = read.bytes().await.map_err(self.fail(&key))?;
        self.store.delete(&key).await.map_err(self.fail(&key))?;
        if bytes.as_ref() != body.as_bytes() {
            return Err(StorageError::Mismatch {
                key: key.to_string(),
            });
        }
        Ok(())
    }

    /// Size of `rest` in the bucket, `None` when it is not there.
    pub async fn size_of(&self, rest: &str) -> Result<Option<u64>, StorageError> {
        let key = self.key(rest)?;
        match self.store.head(&key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail(&key)(e)),
        }
    }

    /// Uploads `file` to `rest`: one PUT below [`MULTIPART_THRESHOLD`], else a multipart upload
    /// ([`Bucket::begin_multipart`] then [`Bucket::send_multipart`]: parts of [`PART_SIZE`],
    /// [`PARTS_IN_FLIGHT`] at once, aborted on failure). A caller that must survive a crash
    /// (publishing) calls those two itself, to record the upload id in between.
    pub async fn upload_file(
        &self,
        file: &Path,
        rest: &str,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let size = tokio::fs::metadata(file)
            .await
            .map_err(|e| StorageError::local(file, e))?
            .len();
        if size >= MULTIPART_THRESHOLD {
            let id = self.begin_multipart(rest, content_type).await?;
            return self.send_multipart(file, rest, &id).await;
        }
        let key = self.key(rest)?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.to_string().into());
        let mut body = Vec::with_capacity(size as usize);
        tokio::fs::File::open(file)
            .await
            .map_err(|e| StorageError::local(file, e))?
            .read_to_end(&mut body)
            .await
            .map_err(|e| StorageError::local(file, e))?;
        let opts = object_store::PutOptions {
            attributes,
            ..Default::default()
        };
        self.store
            .put_opts(&key, PutPayload::from(body), opts)
            .await
            .map_err(self.fail(&key))?;
        Ok(size)
    }

    /// A presigned HTTPS GET link to `rest`, valid for `expires_in` (at most 7 days).
    pub async fn presigned_get(
        &self,
        rest: &str,
        expires_in: Duration,
    ) -> Result<url::Url, StorageError> {
        if expires_in.is_zero() || expires_in > MAX_LINK_EXPIRY {
            return Err(StorageError::InvalidTarget {
                field: "expiry",
                reason: "a share link lasts between 1 second and 7 days".into(),
            });
        }
        let key = self.key(rest)?;
        self.store
            .signed_url(object_store::signer::Method::GET, &key, expires_in)
            .await
            .map_err(self.fail(&key))
    }

    /// Every object under `rest/` (keys relative to the target's prefix).
    pub async fn list(&self, rest: &str) -> Result<Vec<Listed>, StorageError> {
        let key = self.key(rest)?;
        let strip = if self.target.prefix.is_empty() {
            0
        } else {
            self.target.prefix.len() + 1
        };
        let metas: Vec<_> = self
            .store
            .list(Some(&key))
            .try_collect()
            .await
            .map_err(self.fail(&key))?;
        Ok(metas
            .into_iter()
            .map(|m| Listed {
                key: m.location.as_ref()[strip..].to_string(),
                size: m.size,
            })
            .collect())
    }

    /// The folder names directly under `rest/` (e.g. the job ids under `runs/`).
    pub async fn list_folders(&self, rest: &str) -> Result<Vec<String>, StorageError> {
        let key = self.key(rest)?;
        let listed = self
            .store
            .list_with_delimiter(Some(&key))
            .await
            .map_err(self.fail(&key))?;
        Ok(listed
            .common_prefixes
            .into_iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    /// Deletes every object under `rest/`; returns how many were deleted.
    pub async fn delete_prefix(&self, rest: &str) -> Result<usize, StorageError> {
        let listed = self.list(rest).await?;
        for item in &listed {
            let key = self.key(&item.key)?;
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.fail(&key)(e)),
            }
        }
        Ok(listed.len())
    }

    /// The whole of a small object (a listing record), `None` when it is not there. Refused
    /// above `max_bytes`.
    pub async fn read_small(
        &self,
        rest: &str,
        max_bytes: u64,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let key = self.key(rest)?;
        let got = match self.store.get(&key).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.fail(&key)(e)),
        };
        if got.meta.size > max_bytes {
            return Err(StorageError::Server {
                detail: format!("{key} is {} bytes, over {max_bytes}", got.meta.size),
            });
        }
        Ok(Some(got.bytes().await.map_err(self.fail(&key))?.to_vec()))
    }

    /// Streams `rest` into `dest` (created or truncated); returns the bytes written. At most
    /// `max_bytes` are accepted, so a listing cannot make us fill the disk.
    pub async fn download(
        &self,
        rest: &str,
        dest: &Path,
        max_bytes: u64,
    ) -> Result<u64, StorageError> {
        let key = self.key(rest)?;
        let got = self.store.get(&key).await.map_err(self.fail(&key))?;
        if got.meta.size > max_bytes {
            return Err(StorageError::Server {
                detail: format!("{key} is {} bytes, over {max_bytes}", got.meta.size),
            });
        }
        let mut out = tokio::fs::File::create(dest)
            .await
            .map_err(|e| StorageError::local(dest, e))?;
        let mut stream = got.into_stream();
        let mut written = 0u64;
        while let Some(chunk) = stream.try_next().await.map_err(self.fail(&key))? {
            written += chunk.len() as u64;
            if written > max_bytes {
                return Err(StorageError::Server {
                    detail: format!("{key} grew past {max_bytes} bytes"),
                });
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| StorageError::local(dest, e))?;
        }
        out.flush()
            .await
            .map_err(|e| StorageError::local(dest, e))?;
        Ok(written)
    }
}

/// reqwest is built without a bundled TLS provider (the workspace picks ring once, see
/// Cargo.toml); install it as the process default unless someone already did.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
