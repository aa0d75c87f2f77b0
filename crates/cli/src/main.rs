//! `animatrix`: the headless CLI over the same core as the desktop app.

mod cli;
mod commands;
mod exit;
mod output;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            output::print_failure(&failure, json);
            failure.exit_code()
        }
    }
}
