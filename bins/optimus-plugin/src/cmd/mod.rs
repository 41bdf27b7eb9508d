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

/// The subcommands. Each one's help (summary, details, exit codes,
/// examples) is the doc comment of its `Args` struct: a doc comment on a
/// variant here would replace it, so the variants have none.
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum Command {
    Completions(completions::Args),
    Install(install::Args),
    List(list::Args),
    Lock(lock::Args),
    Verify(verify::Args),
    Serve(serve::Args),
    Sync(sync::Args),
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
