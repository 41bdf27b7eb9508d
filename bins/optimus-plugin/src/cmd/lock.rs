//! `optimus-plugin lock -c FILE`: resolve every artifact and write
//! `optimus-plugins.lock` (source, sha256, size) beside the config.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::common::{FetchArgs, lib_err, load_config, provider_context, reporter, runtime, style};
use crate::cli::{Global, Output};

/// Download every artifact of the config and pin its sha256 in a lock file.
///
/// Writes optimus-plugins.lock (source, sha256, size of each artifact)
/// beside the config; `install` checks every artifact against it, and
/// `install --locked` refuses any artifact it does not pin.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--plugin-dir is not used: the lock file goes beside the config.

Exit codes: 0 written, 1 an artifact could not be fetched, 2 bad usage \
or config.

Example:
  optimus-plugin lock -c optimus.yaml && git add optimus-plugins.lock"
)]
pub struct Args {
    /// The Optimus server config
    #[arg(short, long, env = "OPTIMUS_PLUGIN_CONFIG", value_name = "FILE")]
    config: PathBuf,
    #[command(flatten)]
    fetch: FetchArgs,
    /// Where to write [default: optimus-plugins.lock beside the config]
    #[arg(long, value_name = "FILE")]
    lock_file: Option<PathBuf>,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&args.config, &args.fetch.artifacts)?;
    let ctx = provider_context(&cfg, args.fetch.retry_deadline);
    let lock = runtime()?
        .block_on(plugin_manager::resolve_lock(
            &cfg,
            &ctx,
            usize::from(args.fetch.jobs),
            reporter(global),
        ))
        .map_err(lib_err)?;
    let path = args.lock_file.clone().unwrap_or_else(|| cfg.lock_path());
    safe_fs::atomic::write_file(&path, lock.to_yaml().as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    match global.output {
        Output::Json => outln!(
            "{}",
            serde_json::json!({"lock_file": path, "artifacts": lock.artifacts.iter().map(|a| serde_json::json!({"source": a.source, "sha256": a.sha256, "size": a.size})).collect::<Vec<_>>()})
        ),
        Output::Text => {
            out!("{}", cli_render::table::lock(&lock, &path, style()));
        }
    }
    Ok(ExitCode::SUCCESS)
}
