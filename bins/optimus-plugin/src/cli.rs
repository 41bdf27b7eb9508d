//! Flags shared by every subcommand, logging set-up and error rendering.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, ValueEnum};

/// Install, list, validate, sync, serve, lock and verify Optimus plugins.
#[derive(Debug, Parser)]
#[command(name = "optimus-plugin", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: crate::cmd::Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Plugin folder to act on [default: per command, see its --help; lock
    /// and completions do not use it]
    #[arg(long, global = true, env = "OPTIMUS_PLUGIN_DIR", value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// How to print results
    #[arg(long, global = true, env = "OPTIMUS_OUTPUT", value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// How to print log lines (on stderr)
    #[arg(long, global = true, env = "OPTIMUS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log detail (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Result rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Human-readable lines
    Text,
    /// One JSON document on stdout
    Json,
}

/// Log line rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines
    Text,
    /// One JSON object per line (for Kubernetes log collectors)
    Json,
}

/// A failure caused by bad usage or a bad config: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Sets up `tracing` on stderr as the flags ask, the one logger of the
/// process (install's progress lines go through it too). `RUST_LOG`
/// overrides `-v`.
pub fn init_logging(global: &Global) {
    let level = match global.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colours only on a terminal and without NO_COLOR: piped lines (install's progress lines, a
    // pod's log) stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_target(false);
    match global.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Prints an error chain on stderr and picks the exit code: 2 for usage and
/// config errors, 130/143 for work a signal interrupted (one line), 1 for
/// everything else.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if let Some(i) = err.downcast_ref::<shutdown::Interrupted>() {
        eprintln!("error: {i}");
        return ExitCode::from(i.signal.exit_code());
    }
    let usage = err.chain().any(<dyn std::error::Error>::is::<UsageError>);
    let stderr = std::io::stderr().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let style = cli_render::Style::detect(stderr, no_color, None);
    // No source lines: a refused plugin is named as inside its artifact (a
    // file of that name here may be another one).
    eprint!(
        "{}",
        cli_render::diagnostic::error_chain(err.as_ref(), |_| None, style)
    );
    if usage {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
