//! `optimus-plugin sync`: fetch the server's YAML plugins into the local
//! plugin folder.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use plugin_sync::SyncError;
use plugin_sync::client::{ClientConfig, SyncOptions, SyncReport, plugins_url, sync};

use crate::cli::{Global, Output, UsageError};

/// Replace the local YAML plugins with the ones the Optimus server serves.
///
/// Reads `host:` from the client config (other keys ignored), downloads
/// `{host}/plugins`, validates every plugin and swaps the new set in
/// atomically. Binaries and other files in the plugin folder are kept.
/// Nothing changes if anything fails.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--plugin-dir: default .plugins (no config is read for it).

Exit codes: 0 synced or up to date, 1 the work failed (network after \
retries, server refused, invalid archive or plugin), 2 bad usage or config, \
143/130 stopped by SIGTERM/SIGINT (nothing changed).

Examples:
  optimus-plugin sync -c optimus.yaml
  optimus-plugin sync --host optimus.example.org:9100"
)]
pub struct Args {
    /// Client config (optimus.yaml) with the server's `host:`
    #[arg(short = 'c', long, env = "OPTIMUS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Server host[:port] or URL; overrides the config (no scheme means http://)
    #[arg(long, env = "OPTIMUS_HOST", value_name = "HOST")]
    host: Option<String>,
    /// Timeout of one HTTP attempt, in seconds
    #[arg(
        long,
        env = "OPTIMUS_SYNC_TIMEOUT",
        default_value_t = 30,
        value_name = "SECS"
    )]
    timeout: u64,
    /// Most HTTP attempts on network errors and 5xx/429 answers
    #[arg(
        long,
        env = "OPTIMUS_SYNC_ATTEMPTS",
        default_value_t = 4,
        value_name = "N"
    )]
    attempts: u32,
    /// Largest accepted archive download, in bytes
    #[arg(
        long,
        env = "OPTIMUS_SYNC_MAX_BYTES",
        value_name = "BYTES",
        default_value_t = plugin_sync::archive::ArchiveLimits::default().max_download_bytes
    )]
    max_bytes: u64,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let host = match (&args.host, &args.config) {
        (Some(h), _) => h.clone(),
        (None, Some(path)) => ClientConfig::load(path)
            .map_err(|e| client_config_error(path, &e))?
            .host
            .ok_or_else(|| {
                UsageError(format!(
                    "{}: no `host:` key; add it or pass --host",
                    path.display()
                ))
            })?,
        (None, None) => {
            return Err(UsageError(
                "no server: pass -c optimus.yaml (with `host:`), --host or OPTIMUS_HOST".into(),
            )
            .into());
        }
    };
    let url = plugins_url(&host).map_err(|e| UsageError(e.to_string()))?;
    if args.timeout == 0 || args.attempts == 0 {
        return Err(UsageError("--timeout and --attempts must be at least 1".into()).into());
    }
    let plugin_dir = global
        .plugin_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(".plugins"));
    let mut opts = SyncOptions::new(url, plugin_dir);
    opts.timeout = Duration::from_secs(args.timeout);
    opts.max_attempts = args.attempts;
    opts.limits.max_download_bytes = args.max_bytes;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let cancel = opts.cancel.clone();
    let report = match shutdown::run_cancellable(&rt, &cancel, sync(&opts)) {
        (Err(e @ SyncError::Cancelled { .. }), Some(sig)) => {
            anyhow::bail!(shutdown::Interrupted::new(sig, e.to_string()))
        }
        (res, _) => res,
    };
    let report = report.map_err(|e: SyncError| {
        if e.is_config() {
            anyhow::Error::new(UsageError(e.to_string()))
        } else {
            anyhow::Error::new(e).context("sync failed; local plugins unchanged")
        }
    })?;
    print(global.output, &report)?;
    Ok(ExitCode::SUCCESS)
}

fn print(output: Output, r: &SyncReport) -> anyhow::Result<()> {
    match output {
        Output::Json => {
            outln!("{}", serde_json::to_string_pretty(r)?);
        }
        Output::Text => {
            if r.http_status == 304 {
                outln!(
                    "{} YAML plugins in {} are up to date ({} answered 304 Not Modified)",
                    r.plugins,
                    r.plugin_dir.display(),
                    r.url
                );
                return Ok(());
            }
            for c in &r.added {
                outln!("added    {} {}", c.name, c.version);
            }
            for u in &r.updated {
                outln!("updated  {} {} -> {}", u.name, u.old_version, u.new_version);
            }
            for c in &r.removed {
                outln!("removed  {} {}", c.name, c.version);
            }
            outln!(
                "synced {} YAML plugins from {} into {}: {} added, {} updated, {} removed, {} unchanged",
                r.plugins,
                r.url,
                r.plugin_dir.display(),
                r.added.len(),
                r.updated.len(),
                r.removed.len(),
                r.unchanged
            );
        }
    }
    Ok(())
}

/// A mistake in the client config as the same block as the manager
/// config's (exit code 2); other errors (unreadable file) as one line.
fn client_config_error(path: &std::path::Path, e: &plugin_sync::SyncError) -> anyhow::Error {
    use plugin_sync::error::ConfigError;
    if let plugin_sync::SyncError::Config(ConfigError::Yaml { origin, source }) = e {
        let shown = path.display().to_string();
        if let Ok(text) = std::fs::read_to_string(path) {
            let placed = plugin_manager::config::yaml_problem(&shown, &text, source);
            if matches!(placed, plugin_manager::Error::ConfigAt { .. }) {
                return anyhow::Error::new(placed);
            }
        }
        return anyhow::Error::new(UsageError(format!("{origin}: {source}")));
    }
    anyhow::Error::new(UsageError(e.to_string()))
}
