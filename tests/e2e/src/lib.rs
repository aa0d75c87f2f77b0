//! Cross-crate end-to-end tests live in `tests/`; this library is their reusable harness.
//!
//! [`window`] drives the real desktop app: an Xvfb display, `tauri-driver` in front of
//! `WebKitWebDriver`, a WebDriver session that launches `animatrix-studio` with a fresh data dir,
//! and cleanup of every process on drop.

pub mod window;

pub mod studio_env;

pub mod gallery;
