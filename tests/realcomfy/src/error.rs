//! What can go wrong while starting or stopping a kit server.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// `setup.sh` has not built this level (or the venv) under `REALCOMFY_HOME`.
    #[error("the real-ComfyUI kit is not built: {missing} is missing; {hint}")]
    NotBuilt {
        missing: PathBuf,
        hint: &'static str,
    },
    /// A kit script could not be run at all.
    #[error("could not run {script}: {source}")]
    Spawn {
        script: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No free local port could be reserved.
    #[error("could not reserve a local port: {0}")]
    Port(#[source] std::io::Error),
    /// `start.sh` failed for another reason than a taken port, or kept losing port races.
    #[error("start.sh {port} {level} failed (attempt {attempts}): {stderr}")]
    StartFailed {
        level: &'static str,
        port: u16,
        attempts: u32,
        stderr: String,
    },
    /// `start.sh` succeeded but did not print a PID.
    #[error("start.sh printed {stdout:?} instead of the server's PID")]
    NoPid { stdout: String },
}
