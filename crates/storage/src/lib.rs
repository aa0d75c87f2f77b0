//! S3-compatible object storage for published runs (AWS S3, MinIO, Garage, Cloudflare R2, ...).
//! Knows buckets, keys and files only: what a run is, and what was published, is the core's.
//!
//! Built on Apache Arrow's [`object_store`] rather than `aws-sdk-s3` or `rust-s3`:
//! * **Build time.** Its S3 client is one crate over `reqwest`/`hyper`/`rustls`, which the
//!   workspace already compiles for ComfyUI; `aws-sdk-s3` brings the Smithy runtime (~100 more
//!   crates, several minutes on two cores). We enable `aws-base` + `reqwest` + `ring` instead of
//!   the `aws` convenience feature, which is the same S3 code but adds `aws-lc-rs` (a C/CMake
//!   build) for signing: ring is what the rest of the workspace already uses.
//! * **Presigning.** Share links come from its [`object_store::signer::Signer`] trait (SigV4
//!   query signing with an expiry), no hand-written signing.
//! * **Multipart.** `put_multipart` + [`object_store::WriteMultipart`] upload large files in
//!   parts with a bounded number in flight (bounded memory), retry parts, and abort on failure.
//! * Well kept (Apache Arrow project, used by DataFusion, Polars, delta-rs), with retries,
//!   timeouts and typed not-found errors built in. `rust-s3` has presigning and multipart too
//!   but a smaller maintainer base and its own HTTP stack.
//!
//! Every failure is a [`StorageError`] with an [`animatrix_common::ErrorCode`] (bad key, no such
//! bucket, clock skew, TLS, unreachable, ...), rendered by [`animatrix_common::Explain`].

mod bucket;
mod error;
mod expiry;
mod multipart;
mod target;

pub use bucket::{
    Bucket, Listed, MAX_LINK_EXPIRY, MULTIPART_THRESHOLD, PART_SIZE, PARTS_IN_FLIGHT,
};
pub use error::StorageError;
pub use expiry::parse_expiry;
pub use target::{Credentials, StorageTarget};

/// The content type a published file is served with: `video/mp4` lets browsers stream an MP4
/// with range requests instead of downloading it.
pub fn content_type_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "json" => "application/json",
        "wav" => "audio/wav",
        "zip" | "animatrix-demo" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mp4_is_served_as_video() {
        assert_eq!(super::content_type_for("video_00001_.MP4"), "video/mp4");
        assert_eq!(super::content_type_for("poster.png"), "image/png");
        assert_eq!(
            super::content_type_for("job_manifest.json"),
            "application/json"
        );
        assert_eq!(super::content_type_for("noext"), "application/octet-stream");
    }
}
