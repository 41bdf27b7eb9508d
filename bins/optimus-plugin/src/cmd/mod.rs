//! One module per subcommand.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::Cli;

mod common;
mod completions;
mod install;
mod list;
mod lock;
mod serve;
mod sync;
mod validate;
mod verify;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script
    Completions(completions::Args),
    /// Install exactly the configured plugin set, atomically
    Install(install::Args),
    /// List installed plugins
    List(list::Args),
    /// Pin every artifact's sha256 in optimus-plugins.lock
    Lock(lock::Args),
    /// Check installed files against the receipts
    Verify(verify::Args),
    /// Serve the installed YAML plugins to `sync` clients over HTTP
    Serve(serve::Args),
    /// Replace the local YAML plugins with the server's
    Sync(sync::Args),
    /// Check YAML plugins: every problem with its line and column
    Validate(validate::Args),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Completions(args) => completions::run(&args),
        Command::Install(args) => install::run(&cli.global, &args),
        Command::List(args) => list::run(&cli.global, &args),
        Command::Lock(args) => lock::run(&cli.global, &args),
        Command::Verify(args) => verify::run(&cli.global, &args),
        Command::Serve(args) => serve::run(&cli.global, &args),
        Command::Sync(args) => sync::run(&cli.global, &args),
        Command::Validate(args) => validate::run(&cli.global, &args),
    }
}
