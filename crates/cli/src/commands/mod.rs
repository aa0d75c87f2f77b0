//! One module per command family; `run` opens the core once and dispatches.

mod endpoint;
mod media;

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
    }
}
