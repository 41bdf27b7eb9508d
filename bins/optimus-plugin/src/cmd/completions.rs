//! `optimus-plugin completions SHELL`.

use std::process::ExitCode;

use clap::CommandFactory;

/// Print a completion script for SHELL on stdout.
///
/// Example: `optimus-plugin completions bash > /etc/bash_completion.d/optimus-plugin`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shell to generate for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::cli::Cli::command();
    clap_complete::generate(
        args.shell,
        &mut cmd,
        "optimus-plugin",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
