//! Helpers shared by install, list, lock and verify: config loading, the
//! plugin folder, error mapping to exit codes, and progress rendering.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plugin_manager::{ManagerConfig, Reporter};

use crate::cli::{Global, LogFormat, UsageError};

/// Maps a library error to anyhow, marking config errors for exit code 2.
pub fn lib_err(e: plugin_manager::Error) -> anyhow::Error {
    // A placed config mistake keeps its type: the error report renders it
    // as a block with the file's line (and counts it as exit code 2).
    if e.is_config() && !matches!(e, plugin_manager::Error::ConfigAt { .. }) {
        anyhow::Error::new(UsageError(e.to_string()))
    } else {
        anyhow::Error::new(e)
    }
}

/// Loads the config and adds `OPTIMUS_PLUGIN_ARTIFACTS` sources (relative
/// paths resolve against the current directory).
pub fn load_config(path: &Path, extra: &[String]) -> anyhow::Result<ManagerConfig> {
    let mut cfg = ManagerConfig::load(path).map_err(lib_err)?;
    if !extra.is_empty() {
        let cwd = std::env::current_dir()?;
        cfg.add_sources(extra, &cwd, "OPTIMUS_PLUGIN_ARTIFACTS")
            .map_err(lib_err)?;
    }
    Ok(cfg)
}

/// The plugin folder: `--plugin-dir`, else the config's, else `.plugins`
/// (`plugin_spec::files::DEFAULT_DIR`).
pub fn plugin_dir(global: &Global, config: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(d) = &global.plugin_dir {
        return Ok(d.clone());
    }
    if let Some(c) = config {
        let cfg = ManagerConfig::load(c).map_err(lib_err)?;
        return Ok(plugin_manager::plugin_dir_for(&cfg, None));
    }
    Ok(PathBuf::from(plugin_spec::files::DEFAULT_DIR))
}

/// A provider context reading the process environment (the binary's job;
/// the libraries never read it themselves).
pub fn provider_context(
    cfg: &ManagerConfig,
    retry_deadline_secs: u64,
) -> plugin_repo::ProviderContext {
    let retry = plugin_repo::RetrySettings {
        deadline: std::time::Duration::from_secs(retry_deadline_secs),
        ..plugin_repo::RetrySettings::default()
    };
    plugin_repo::ProviderContext::new(cfg.base_dir.clone())
        .with_env(Arc::new(|key: &str| std::env::var(key).ok()))
        .with_retry(retry)
}

/// A multi-threaded runtime for the async library calls.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Progress bars on a terminal (text log format), else one info-level log
/// event per step through the process's one logger (`-v` or `RUST_LOG=info`
/// shows them; JSON with `--log-format json`).
pub fn reporter(global: &Global) -> Arc<dyn Reporter> {
    if global.log_format == LogFormat::Text && std::io::stderr().is_terminal() {
        Arc::new(cli_render::progress::Bars::default())
    } else {
        Arc::new(cli_render::progress::Events::default())
    }
}

/// How stdout is rendered: colour only on a terminal and without
/// `NO_COLOR`, cut to `COLUMNS` or the terminal's width.
pub fn style() -> cli_render::Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let columns = std::env::var("COLUMNS").ok();
    cli_render::Style::detect(
        std::io::stdout().is_terminal(),
        no_color,
        columns.as_deref(),
    )
}

/// The largest `--retry-deadline`: a week is already "keep trying"; larger
/// values are refused (exit 2) rather than overflowing the clock.
const MAX_RETRY_DEADLINE_SECS: u64 = 7 * 86_400;

/// Where artifacts come from and how they are fetched: shared by `install`
/// and `lock`, so both read the same flags and environment.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Extra sources, comma separated (as upstream's env var)
    #[arg(
        long,
        env = "OPTIMUS_PLUGIN_ARTIFACTS",
        value_delimiter = ',',
        value_name = "SOURCES"
    )]
    pub artifacts: Vec<String>,
    /// Give up on an artifact after this many seconds without progress
    /// (transient errors are retried until then; at most 604800, a week)
    #[arg(
        long,
        env = "OPTIMUS_PLUGIN_RETRY_DEADLINE",
        default_value_t = 180,
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(0..=MAX_RETRY_DEADLINE_SECS)
    )]
    pub retry_deadline: u64,
    /// Downloads at once
    #[arg(short, long, env = "OPTIMUS_PLUGIN_JOBS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}
