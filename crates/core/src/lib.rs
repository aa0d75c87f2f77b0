//! Animatrix Studio core: everything the app does, testable headless (no Tauri here).
//!
//! [`Studio`] (module [`api`]) is the one API the CLI and the Tauri command layer call; below it:
//! `jobs` (the one job model, its repository, the engine), `store` (SQLite behind one handle),
//! `config` (data dir, endpoints), `secrets` (OS keychain), `demo` (offline demo packs),
//! `assets` (imported media), `logging`.

pub mod api;
pub mod assets;
pub mod config;
pub mod demo;
pub mod error;
pub mod jobs;
pub mod logging;
pub mod media_targets;
pub mod pools;
pub mod secrets;
pub mod sharing;
pub mod store;
pub mod templates;

pub use api::Studio;
pub use config::endpoints::{AuthKind, EndpointView, NewEndpoint};
pub use error::CoreError;

/// The media layer, re-exported so the CLI and app need no direct dependency.
pub mod media {
    pub use animatrix_media::*;
}

/// The object-storage layer (targets, credentials, expiry parsing), re-exported for the shells.
pub mod storage {
    pub use animatrix_storage::*;
}
