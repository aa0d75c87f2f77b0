//! One module per command family; `run` opens the core once and dispatches. Every command is a
//! short adapter over `animatrix_core::Studio`.

pub(crate) mod demo;
mod endpoint;
mod jobs;
mod media;
mod pool;
mod request;
mod server;
pub(crate) mod storage;
mod watch;

use animatrix_core::{Studio, logging};

use crate::cli::{Cli, Command};
use crate::exit::Failure;

pub fn run(cli: Cli) -> Result<(), Failure> {
    let studio = Studio::open_default()?;
    let console = if cli.global.verbose {
        logging::Console::Verbose
    } else {
        logging::Console::Quiet
    };
    // Logging is best effort for a CLI: a read-only log dir must not stop `endpoint list`.
    let _guard = logging::init(studio.data_dir(), console).ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::internal("The CLI could not start its async runtime.", e.to_string())
        })?;
    let g = cli.global;
    runtime.block_on(async move {
        match cli.command {
            Command::Endpoint(cmd) => endpoint::run(&studio, cmd, g.json).await,
            Command::Media(cmd) => media::run(&studio, cmd, g.json).await,
            Command::Demo(cmd) => demo::run(&studio, cmd, g.json).await,
            Command::Storage(cmd) => storage::storage(&studio, cmd, g.json).await,
            Command::Publish { job } => storage::publish(&studio, &job, g.json).await,
            Command::Unpublish { job } => storage::unpublish(&studio, &job, g.json).await,
            Command::Share { job, expires } => {
                storage::share(&studio, &job, &expires, g.json).await
            }
            Command::Library(cmd) => storage::library(&studio, cmd, g.json).await,
            Command::Pool(cmd) => pool::run(&studio, cmd, g.json).await,
            Command::Doctor { all: true } => server::doctor_all(&studio, g.json).await,
            Command::Doctor { all: false } => server::doctor(&studio, g.endpoint, g.json).await,
            Command::Templates => server::templates(&studio, g.endpoint, g.offline, g.json).await,
            cmd => jobs::run(&studio, cmd, &g).await,
        }
    })
}
