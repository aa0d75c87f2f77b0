#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Integration tests: drive the fake over real HTTP and WebSocket connections and compare what
//! it answers with the captures in ../shared/comfyui.

mod common;
mod control;
mod execution;
mod faults;
mod hostile;
mod http;
mod validation;
