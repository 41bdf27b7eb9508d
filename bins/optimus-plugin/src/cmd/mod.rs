//! One module per subcommand.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::Cli;

mod completions;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script
    Completions(completions::Args),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Completions(args) => completions::run(&args),
    }
}
