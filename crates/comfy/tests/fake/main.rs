//! The client against the fake ComfyUI (tests/fake-comfy): every endpoint, every error class,
//! and the event hub through socket drops and restarts. One test binary keeps linking cheap.

#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)

mod common;
mod downloads;
mod endpoints;
mod errors;
mod hostile;
mod hub;
mod properties;
mod tls;
mod transfers;
