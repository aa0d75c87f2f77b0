//! What can go wrong talking to a bucket, sorted into the few causes a user can act on.
//!
//! `object_store` reports S3 failures as generic errors whose source chain carries the HTTP
//! status and the S3 error body (`<Code>NoSuchBucket</Code>`, ...). [`classify`] reads that chain
//! once, here, so every caller gets a typed cause instead of matching on text.

use animatrix_common::{ErrorCode, Explain, UserError};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage setting {field} is invalid: {reason}")]
    InvalidTarget { field: &'static str, reason: String },
    /// The access key is unknown or the secret does not match (403 InvalidAccessKeyId,
    /// SignatureDoesNotMatch, AccessDenied).
    #[error("the storage server refused the access key: {detail}")]
    BadKey { detail: String },
    #[error("bucket {bucket} does not exist: {detail}")]
    NoSuchBucket { bucket: String, detail: String },
    /// Request signatures carry the time; S3 refuses those more than ~15 minutes off.
    #[error("this computer's clock is too far from the storage server's: {detail}")]
    ClockSkew { detail: String },
    /// The TLS handshake failed: an untrusted or mismatched certificate, or no TLS at all at
    /// that address (https:// to a plain-HTTP port).
    #[error("the TLS connection to the storage server failed: {detail}")]
    Tls { detail: String },
    #[error("the storage server could not be reached: {detail}")]
    Unreachable { detail: String },
    #[error("object {key} is not in the bucket")]
    ObjectMissing { key: String },
    /// A probe object read back different from what was written.
    #[error("the storage server returned different bytes than were written to {key}")]
    Mismatch { key: String },
    #[error("local file {path}: {source}")]
    LocalFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the storage server failed: {detail}")]
    Server { detail: String },
}

impl StorageError {
    pub fn code(&self) -> ErrorCode {
        match self {
            StorageError::InvalidTarget { .. } => ErrorCode::StorageInvalidTarget,
            StorageError::BadKey { .. } => ErrorCode::StorageBadKey,
            StorageError::NoSuchBucket { .. } => ErrorCode::StorageNoSuchBucket,
            StorageError::ClockSkew { .. } => ErrorCode::StorageClockSkew,
            StorageError::Tls { .. } => ErrorCode::StorageTls,
            StorageError::Unreachable { .. } => ErrorCode::StorageUnreachable,
            StorageError::ObjectMissing { .. } => ErrorCode::StorageObjectMissing,
            StorageError::Mismatch { .. } | StorageError::Server { .. } => ErrorCode::StorageFailed,
            StorageError::LocalFile { .. } => ErrorCode::LocalFileError,
        }
    }

    pub(crate) fn local(path: &std::path::Path, source: std::io::Error) -> StorageError {
        StorageError::LocalFile {
            path: path.display().to_string(),
            source,
        }
    }
}

impl Explain for StorageError {
    fn explain(&self) -> UserError {
        let (message, suggestion) = match self {
            StorageError::InvalidTarget { field, reason } => (
                format!("The storage {field} is not valid: {reason}."),
                "Correct it in Settings > Storage (or `animatrix storage set`).".to_string(),
            ),
            StorageError::BadKey { .. } => (
                "The storage server refused the access key.".into(),
                "Check the access key and secret (and that the key may use this bucket), then \
                 save them again."
                    .into(),
            ),
            StorageError::NoSuchBucket { bucket, .. } => (
                format!("The bucket \"{bucket}\" does not exist on the storage server."),
                "Check the bucket name and the server address, or create the bucket.".into(),
            ),
            StorageError::ClockSkew { .. } => (
                "This computer's clock is too far from the storage server's.".into(),
                "Set the clock automatically (NTP) and try again.".into(),
            ),
            StorageError::Tls { .. } => (
                "A secure (TLS) connection to the storage server could not be made.".into(),
                "If the server speaks plain HTTP, use an http:// address; otherwise check the \
                 host name and that this computer trusts the server's certificate."
                    .into(),
            ),
            StorageError::Unreachable { .. } => (
                "The storage server could not be reached.".into(),
                "Check the address and the network, then try again.".into(),
            ),
            StorageError::ObjectMissing { key } => (
                format!("{key} is not in the bucket (any more)."),
                "Publish the run again, or refresh the team library.".into(),
            ),
            StorageError::Mismatch { .. } | StorageError::Server { .. } => (
                "The storage server did not complete the request.".into(),
                "Try again; if it keeps failing, check the server's logs.".into(),
            ),
            StorageError::LocalFile { path, .. } => (
                format!("Could not read or write {path}."),
                "Check that the file exists and the disk has room.".into(),
            ),
        };
        UserError::new(self.code(), message, suggestion).with_detail(self.to_string())
    }
}

/// Sorts an `object_store` failure on `key` of `bucket` into a [`StorageError`].
pub(crate) fn classify(err: object_store::Error, bucket: &str, key: &str) -> StorageError {
    let detail = chain_text(&err);
    let has = |needle: &str| detail.contains(needle);
    if has("NoSuchBucket") {
        return StorageError::NoSuchBucket {
            bucket: bucket.to_string(),
            detail,
        };
    }
    if has("RequestTimeTooSkewed") || has("Date is too far") {
        return StorageError::ClockSkew { detail };
    }
    if has("InvalidAccessKeyId")
        || has("SignatureDoesNotMatch")
        || has("AccessDenied")
        || has("Forbidden")
        || matches!(
            err,
            object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
        )
    {
        return StorageError::BadKey { detail };
    }
    if let object_store::Error::NotFound { .. } = err {
        return StorageError::ObjectMissing {
            key: key.to_string(),
        };
    }
    let lower = detail.to_ascii_lowercase();
    if is_tls(&err) || TLS_WORDS.iter().any(|w| lower.contains(w)) {
        return StorageError::Tls { detail };
    }
    if lower.contains("connect")
        || lower.contains("dns")
        || lower.contains("timed out")
        || lower.contains("error sending request")
    {
        return StorageError::Unreachable { detail };
    }
    StorageError::Server { detail }
}

/// How rustls words the failures it reports as text (object_store flattens some chains into
/// one message, so the typed check in [`is_tls`] does not always see the `rustls::Error`).
const TLS_WORDS: [&str; 8] = [
    "certificate",
    "tls",
    "handshake",
    "received corrupt message",
    "peer is incompatible",
    "peer misbehaved",
    "alertreceived",
    "invalidcontenttype",
];

/// A `rustls::Error` anywhere down the chain, including inside an `io::Error` (whose
/// `source()` skips the error it wraps).
fn is_tls(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<rustls::Error>() {
            return true;
        }
        let wrapped = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| inner.is::<rustls::Error>());
        if wrapped {
            return true;
        }
        next = e.source();
    }
    false
}

/// Every message down the source chain, so a cause buried three layers deep is still seen.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: text.to_string().into(),
        }
    }

    #[test]
    fn s3_error_bodies_become_typed_causes() {
        let cases = [
            ("<Code>NoSuchBucket</Code>", ErrorCode::StorageNoSuchBucket),
            (
                "<Code>RequestTimeTooSkewed</Code>",
                ErrorCode::StorageClockSkew,
            ),
            ("<Code>InvalidAccessKeyId</Code>", ErrorCode::StorageBadKey),
            (
                "<Code>SignatureDoesNotMatch</Code>",
                ErrorCode::StorageBadKey,
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                ErrorCode::StorageTls,
            ),
            // https:// to a plain-HTTP port, as object_store flattens it.
            (
                "HTTP error: error sending request: client error (Connect): received corrupt \
                 message of type InvalidContentType",
                ErrorCode::StorageTls,
            ),
            (
                "error sending request: tcp connect error: Connection refused",
                ErrorCode::StorageUnreachable,
            ),
            ("500 Internal Server Error", ErrorCode::StorageFailed),
        ];
        for (text, code) in cases {
            let e = classify(generic(text), "b", "k");
            assert_eq!(e.code(), code, "{text}: {e:?}");
            let user = e.explain();
            assert_eq!(user.code, code);
            assert!(!user.message.is_empty() && !user.suggestion.is_empty());
        }
    }
}
