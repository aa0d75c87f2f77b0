//! One module per command family; `run` opens the core once and dispatches.

pub(crate) mod demo;
mod endpoint;
mod jobs;
mod media;
mod server;

use animatrix_core::{Studio, logging};

use crate::cli::{Cli, Command};
use crate::exit::Failure;

pub fn run(cli: Cli) -> Result<(), Failure> {
    let studio = Studio::open_default()?;
    let console = if cli.verbose {
        logging::Console::Verbose
    } else {
        logging::Console::Quiet
    };
    // Logging is best effort for a CLI: a read-only log dir must not stop `endpoint list`.
    let _guard = logging::init(studio.data_dir(), console).ok();
    let json = cli.json;
    match cli.command {
        Command::Endpoint(cmd) => endpoint::run(&studio, cmd, json),
        Command::Media(cmd) => media::run(&studio, cmd, json),
        Command::Demo(cmd) => demo::run(&studio, cmd, json),
        other => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| Failure {
                    error: animatrix_common::UserError::new(
                        "internal_error",
                        "The CLI could not start its async runtime.",
                        "See the log.",
                    )
                    .with_detail(e.to_string()),
                    class: crate::exit::FailureClass::Other,
                })?;
            runtime.block_on(async move {
                let engine = animatrix_core::jobs::Engine::new(studio)?;
                match other {
                    Command::Doctor { endpoint } => server::doctor(&engine, endpoint, json).await,
                    Command::Templates { endpoint, offline } => {
                        server::templates(&engine, endpoint, offline, json).await
                    }
                    cmd => jobs::run(&engine, cmd, json).await,
                }
            })
        }
    }
}
