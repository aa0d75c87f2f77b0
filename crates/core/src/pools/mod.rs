//! Server pools: several ComfyUI servers used as one target. A pool is a named, ordered set of
//! existing endpoints (each keeps its own keychain secret), usable wherever an endpoint name is.
//! ComfyUI stays the engine: the app only picks, per job, the member that will start it soonest
//! (`route`), moves on to the next member when one refuses before accepting the prompt, and
//! resubmits a prompt a restarted server lost (`failover`). `store` holds every statement.

pub mod failover;
pub mod route;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::config::endpoints::EndpointView;

/// How long an expected wait may be before the composer warns, unless the pool says otherwise.
pub const DEFAULT_WAIT_WARNING_SECONDS: u32 = 600;
/// A wait threshold above a day is a typo, not a policy.
pub const MAX_WAIT_WARNING_SECONDS: u32 = 86_400;

/// What the user decides per pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PoolSettings {
    /// Resubmit, once, a prompt a member lost to a restart (`lost_on_server`) to another ready
    /// member. On by default: the user already asked for this video.
    pub failover: bool,
    /// The composer warns before Generate when the expected wait passes this.
    pub wait_warning_seconds: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            failover: true,
            wait_warning_seconds: DEFAULT_WAIT_WARNING_SECONDS,
        }
    }
}

impl PoolSettings {
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.wait_warning_seconds > MAX_WAIT_WARNING_SECONDS {
            return Err(CoreError::InvalidSetting {
                key: "wait_warning_seconds".into(),
                reason: format!("at most {MAX_WAIT_WARNING_SECONDS} seconds (a day)"),
            });
        }
        Ok(())
    }
}

/// A pool as the window and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PoolView {
    pub name: String,
    /// Member endpoint names, in the order they were added (the tie-break order of routing).
    pub members: Vec<String>,
    pub settings: PoolSettings,
    /// The pool is the default target (new jobs go to it when none is named).
    pub is_default: bool,
}

/// Where a job is sent: one server, or a pool that picks one per job.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Endpoint(EndpointView),
    Pool(PoolView),
}

impl Target {
    pub fn name(&self) -> &str {
        match self {
            Target::Endpoint(e) => &e.name,
            Target::Pool(p) => &p.name,
        }
    }
}
