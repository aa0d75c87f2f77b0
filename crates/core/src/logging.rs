//! Tracing setup: a daily-rotated file in `<data dir>/logs` (always) plus stderr (CLI).
//!
//! Job lines carry `job_id` and, once known, `comfy_prompt_id` as span fields (see jobs). Secrets
//! are `secrecy::SecretString` everywhere, whose Debug prints `[REDACTED]`, so a stray `?secret`
//! cannot leak; a test greps the log file for the secret to prove it.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::CoreError;

pub const LOG_DIR_NAME: &str = "logs";
pub const LOG_FILE_PREFIX: &str = "animatrix.log";

pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_DIR_NAME)
}

/// Where stderr output goes besides the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// No stderr output (the desktop app).
    Off,
    /// Warnings and errors only, compact (the CLI's default).
    Quiet,
    /// Everything the filter lets through (CLI `--verbose`).
    Verbose,
}

/// Installs the global subscriber. Keep the returned guard alive for the life of the process:
/// dropping it flushes the file writer. Calling twice returns an error (the first one stays).
pub fn init(data_dir: &Path, console: Console) -> Result<WorkerGuard, CoreError> {
    let dir = log_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(14)
        .build(&dir)
        .map_err(|e| CoreError::Io {
            path: dir.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let file_filter = EnvFilter::try_from_env("ANIMATRIX_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,animatrix=debug,animatrix_core=debug"));
    let file_layer = fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_target(true)
        .with_filter(file_filter);
    let console_layer = match console {
        Console::Off => None,
        Console::Quiet => Some(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_target(false)
                .without_time()
                .with_filter(EnvFilter::new("warn"))
                .boxed(),
        ),
        Console::Verbose => Some(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter(EnvFilter::new("debug"))
                .boxed(),
        ),
    };
    tracing_subscriber::registry()
        .with(file_layer)
        .with(console_layer)
        .try_init()
        .map_err(|e| CoreError::InvalidSetting {
            key: "logging".into(),
            reason: e.to_string(),
        })?;
    Ok(guard)
}
