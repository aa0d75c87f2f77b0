//! Test support for the real-ComfyUI kit (`../shared/realcomfy`, see its README): a real
//! ComfyUI 0.3.64 on CPU with tiny stand-in models. Level 1 validates prompts exactly as a
//! production server; Level 2 executes the project's graphs end to end.
//!
//! ```no_run
//! use realcomfy_harness::{Level, require, serial, shared};
//!
//! #[test]
//! fn runs_on_a_real_comfyui() {
//!     if !require(Level::L2) {
//!         return; // not built and not required: skipped with a printed reason
//!     }
//!     let _one_at_a_time = serial(); // Level 2 runs share 2 CPU cores
//!     let server = shared(Level::L2).expect("kit server starts");
//!     let _log = server.log_on_failure(); // prints the server log tail if the test panics
//!     let url = server.base_url();
//!     // ... talk to `url` ...
//! }
//! ```
//!
//! Servers are started with `REALCOMFY_WATCH_PID` set to the test process, so no server outlives
//! a test run, even one that crashes (the shared per-binary servers are stopped that way when
//! the test binary exits; a [`KitServer`] owned by a test is stopped when dropped).

mod error;
mod kit;
mod server;
mod shared;
mod tiny;

pub use error::HarnessError;
pub use kit::{
    Level, REQUIRE_ENV, SETUP_HINT, is_built, kit_dir, missing_piece, realcomfy_home, repo_root,
    require,
};
pub use server::{FailureLog, KitServer, PORT_ATTEMPTS, free_port};
pub use shared::{serial, shared};
pub use tiny::{TINY_DRAFT, workflows_dir, write_tiny_catalog};
