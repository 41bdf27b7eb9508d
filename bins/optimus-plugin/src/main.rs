//! `optimus-plugin`: install, list, validate, sync, serve, lock and verify
//! Optimus plugins. A thin front end: the work is done by the
//! `plugin-manager` and `plugin-spec` libraries.

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(&cli.global);
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => cli::report(&err),
    }
}
