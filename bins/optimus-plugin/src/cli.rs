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

/// stdout was closed by its reader (`optimus-plugin list | head -1`): not a
/// failure of the work. The process stops writing and exits 0 without a
/// word, as ripgrep does (documented in docs/cli.md).
#[derive(Debug, thiserror::Error)]
#[error("stdout closed")]
pub struct StdoutClosed;

/// Writes results to stdout (and flushes); a reader that went away becomes
/// [`StdoutClosed`], any other failure an error naming stdout.
pub fn write_out(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
    }
}

/// Writes to stderr; a closed stderr is ignored (there is no one left to
/// tell).
pub fn write_err(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// Prints an error chain on stderr and picks the exit code: 2 for usage and
/// config errors, 130/143 for work a signal interrupted (one line), 0 when
/// stdout's reader went away ([`StdoutClosed`]), 1 for everything else.
/// A mistake in a config file is one rustc-style block with the file's
/// line (secrets masked); with `--log-format json` every error is one JSON
/// log line instead (`level`, `message`, and for a config mistake `file`,
/// `line`, `column`, `help`).
pub fn report(err: &anyhow::Error, log_format: LogFormat) -> ExitCode {
    if err.chain().any(<dyn std::error::Error>::is::<StdoutClosed>) {
        return ExitCode::SUCCESS;
    }
    if let Some(i) = err.downcast_ref::<shutdown::Interrupted>() {
        write_err(format_args!("error: {i}"));
        return ExitCode::from(i.signal.exit_code());
    }
    let usage = err.chain().any(|e| {
        e.is::<UsageError>()
            || e.downcast_ref::<plugin_manager::Error>()
                .is_some_and(plugin_manager::Error::is_config)
    });
    let code = if usage {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    };
    if log_format == LogFormat::Json {
        log_json(err);
        return code;
    }
    let stderr = std::io::stderr().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let style = cli_render::Style::detect(stderr, no_color, None);
    // The config's lines are shown (it is a local file, read again); a
    // refused plugin's are not: it is named as inside its artifact (a file
    // of that name here may be another one).
    let text = cli_render::diagnostic::error_chain(
        err.as_ref(),
        |t| match t {
            cli_render::diagnostic::Text::Config(file) => std::fs::read_to_string(file).ok(),
            cli_render::diagnostic::Text::Plugin(_) => None,
        },
        style,
    );
    write_err(format_args!("{}", text.trim_end_matches('\n')));
    code
}

/// The error as one JSON log line on stderr, in the shape of the other log
/// lines (`timestamp`, `level`, `message`, fields). Written directly, not
/// through the logger, so no `RUST_LOG` filter can hide it.
fn log_json(err: &anyhow::Error) {
    let placed = err.chain().find_map(|e| match e.downcast_ref() {
        Some(plugin_manager::Error::ConfigAt { file, problem }) => Some((file, problem)),
        _ => None,
    });
    let mut line = serde_json::json!({
        "timestamp": jiff::Timestamp::now().to_string(),
        "level": "ERROR",
    });
    if let Some((file, p)) = placed {
        line["message"] = p.message.clone().into();
        line["file"] = file.clone().into();
        line["line"] = p.line.into();
        line["column"] = p.column.into();
        if let Some(help) = &p.help {
            line["help"] = help.clone().into();
        }
        if !p.expected.is_empty() {
            line["expected"] = p.expected.join(", ").into();
        }
    } else {
        line["message"] = err.to_string().into();
        let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
        if !causes.is_empty() {
            line["causes"] = causes.into();
        }
    }
    write_err(format_args!("{line}"));
}
