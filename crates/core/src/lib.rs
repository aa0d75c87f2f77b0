//! Animatrix Studio core: everything the app does, testable headless (no Tauri here).
//!
//! The [`Studio`] facade is what the CLI and the Tauri command layer hold; every capability is
//! a module behind it: `config` (data dir, endpoints), `store` (SQLite), `secrets` (OS keychain),
//! `logging`, `jobs`, `demo` (offline demo packs).

pub mod assets;
pub mod config;
pub mod demo;
pub mod error;
pub mod jobs;
pub mod logging;
pub mod media_targets;
pub mod secrets;
pub mod store;
mod studio;
pub mod templates;

pub use config::endpoints::{AuthKind, EndpointView, NewEndpoint};
pub use error::CoreError;
pub use studio::Studio;

/// The media layer, re-exported so the CLI and app need no direct dependency.
pub mod media {
    pub use animatrix_media::*;
}
