//! Publishing runs to S3-compatible storage, share links, and the team library.
//!
//! * [`target`]: the storage target in settings, its key pair in the OS keychain.
//! * [`publish`]: a completed run's video, poster, manifests and demo-pack record uploaded
//!   under `<prefix>/runs/<job id>/`, resumable from what SQLite recorded; unpublish; presigned
//!   share links.
//! * [`library`]: the bucket's published runs, imported through the demo-pack importer.
//! * `pack`: the published pack leaves out the media published beside it; an import puts them
//!   back before the demo-pack importer verifies it.
//!
//! The S3 work itself is `animatrix_storage`'s; this module owns the product rules (what may be
//! published, where, what a library import is).

pub mod library;
mod pack;
pub mod publish;
pub mod record;
pub mod repo;
pub mod target;

pub use library::{LibraryEntry, LibraryImport};
pub use publish::PublishSummary;
pub use record::LibraryRun;
pub use repo::{Publication, PublishState};
pub use target::StorageSettings;
