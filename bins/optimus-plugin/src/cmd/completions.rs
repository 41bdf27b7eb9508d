//! `optimus-plugin completions SHELL`.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

const BIN_NAME: &str = "optimus-plugin";

/// Print a completion script for SHELL on stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  optimus-plugin completions bash > /etc/bash_completion.d/optimus-plugin
  optimus-plugin completions zsh > \"${fpath[1]}/_optimus-plugin\"
  optimus-plugin completions fish > ~/.config/fish/completions/optimus-plugin.fish")]
pub struct Args {
    /// Shell to generate for
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN_NAME, &mut script);
    if args.shell == Shell::Bash {
        script = fix_bash_state_names(&script).into_bytes();
    }
    out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

/// clap_complete 4.6 (clap-rs/clap#6421) spells the hyphen of the binary
/// name as `__subcmd__` in the bash `case` arms but as `__` in the state
/// those arms are matched against, so no subcommand's flags or values ever
/// complete. Spell both the same way; a no-op once clap_complete is fixed.
fn fix_bash_state_names(script: &[u8]) -> String {
    String::from_utf8_lossy(script).replace(
        &BIN_NAME.replace('-', "__subcmd__"),
        &BIN_NAME.replace('-', "__"),
    )
}
