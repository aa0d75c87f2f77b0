use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("could not start {what}: {source}")]
    Spawn {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} exited early ({status}); its stderr is above")]
    ExitedEarly {
        what: &'static str,
        status: std::process::ExitStatus,
    },
    #[error("{what} was not ready after {seconds} s")]
    NotReady { what: &'static str, seconds: u64 },
    #[error("no free TCP port on 127.0.0.1: {0}")]
    NoPort(#[source] std::io::Error),
    #[error("WebDriver session could not be created: {0}")]
    NewSession(#[from] fantoccini::error::NewSessionError),
    #[error("WebDriver command failed while {doing}: {source}")]
    Command {
        doing: String,
        #[source]
        source: fantoccini::error::CmdError,
    },
    #[error("file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("X11: {0}")]
    X11(String),
}

impl HarnessError {
    pub(crate) fn cmd(
        doing: impl Into<String>,
    ) -> impl FnOnce(fantoccini::error::CmdError) -> Self {
        let doing = doing.into();
        move |source| HarnessError::Command { doing, source }
    }
}
