//! `optimus-init`: the init container of an Optimus job run.
//!
//! Asks the Optimus server for the run's inputs and writes them to the
//! shared volume (`JOB_DIR/in`), so any image can be the executor.
//! `optimus-init exec -- CMD ARGS...` runs a command with `in/.env` and
//! `in/.secret` loaded, for executor images without a shell.

mod cli;
mod exec;
mod logging;
mod run;
mod termination;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match &cli.command {
        Some(cli::Command::Exec { command }) => exec::exec(&cli.job_dir, command),
        None => {
            logging::init(cli.log_format, cli.verbose);
            run::run(&cli)
        }
    }
}
