//! Harness for tests that drive the real app window through WebDriver.
//!
//! ```no_run
//! # async fn demo() {
//! use animatrix_e2e::window::{self, AppSession, LaunchOptions};
//! let Some(prereqs) = window::prerequisites_or_skip("my_test") else { return };
//! let app = AppSession::launch(&prereqs, LaunchOptions::default()).await.expect("launch");
//! app.click("nav-settings").await.expect("click");
//! app.close().await;
//! # }
//! ```
//!
//! Missing tools fail the test with a message saying what to install, unless
//! `ANIMATRIX_SKIP_WINDOW_TESTS=1` is set (then the test prints that it is skipped and passes).

mod error;
mod paths;
mod prereqs;
mod process;
mod session;
#[cfg(target_os = "linux")]
mod x11;
mod xvfb;

pub use error::HarnessError;
pub use paths::{test_output_dir, workspace_root};
pub use prereqs::{Prereqs, SKIP_ENV, check_prerequisites, prerequisites_or_skip};
pub use session::{AppSession, LaunchOptions, Timings, WAIT, testid_css};
#[cfg(target_os = "linux")]
pub use x11::window_titles;
