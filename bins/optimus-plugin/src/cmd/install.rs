//! `optimus-plugin install -c FILE`: install exactly the configured plugin
//! set, atomically.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use plugin_manager::{InstallOptions, InstallReport, LockFile};

use super::common::{
    FetchArgs, lib_err, load_config, plugin_dir, provider_context, reporter, runtime, style,
};
use crate::cli::{Global, Output};

/// Install exactly the configured plugin set, atomically.
///
/// Fetches every artifact of the config's `plugins:` and `plugin:` sections
/// (and --artifacts), checks its sha256 pin if any, unpacks it and switches
/// the plugin folder to the new set in one step. Plugins no longer in the
/// config are gone from the new set; unchanged artifacts are not fetched
/// again. A failed install changes nothing a reader can see.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--plugin-dir: default the config's plugin_dir, else .plugins.

Exit codes: 0 installed or up to date, 1 the work failed (network after \
retries, checksum, unsafe archive, invalid plugin), 2 bad usage or config, \
143/130 stopped by SIGTERM/SIGINT before the switch (nothing changed).

Examples:
  optimus-plugin install -c /etc/optimus/optimus.yaml
  optimus-plugin install -c optimus.yaml --dry-run     # print the plan, change nothing
  optimus-plugin install -c optimus.yaml --locked      # every artifact must be pinned
  optimus-plugin install --rollback --plugin-dir /app/plugins"
)]
#[allow(clippy::struct_excessive_bools)]
pub struct Args {
    /// The Optimus server config (its `plugins:` and `plugin:` sections)
    #[arg(
        short,
        long,
        env = "OPTIMUS_PLUGIN_CONFIG",
        value_name = "FILE",
        required_unless_present = "rollback"
    )]
    config: Option<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
    /// Print the plan and change nothing
    #[arg(long)]
    dry_run: bool,
    /// Refuse any artifact without a sha256 pin (config or lock file)
    #[arg(long, env = "OPTIMUS_PLUGIN_LOCKED")]
    locked: bool,
    /// Lock file to read [default: optimus-plugins.lock beside the config]
    #[arg(long, env = "OPTIMUS_PLUGIN_LOCK_FILE", value_name = "FILE")]
    lock_file: Option<PathBuf>,
    /// Download and unpack every artifact again
    #[arg(long)]
    force: bool,
    /// Switch back to the previous plugin set instead of installing
    #[arg(long, conflicts_with_all = ["dry_run", "force", "locked"])]
    rollback: bool,
    /// Seconds to wait for another install on the same plugin folder
    #[arg(
        long,
        env = "OPTIMUS_PLUGIN_LOCK_TIMEOUT",
        default_value_t = 120,
        value_name = "SECS"
    )]
    lock_timeout: u64,
    /// Skip the one syncfs before the switch (tests, tmpfs)
    #[arg(long, hide = true)]
    no_sync: bool,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_secs(args.lock_timeout);
    if args.rollback {
        let dir = plugin_dir(global, args.config.as_deref())?;
        let generation = plugin_manager::rollback(&dir, timeout).map_err(lib_err)?;
        match global.output {
            Output::Text => outln!("{}: switched back to {generation}", dir.display()),
            Output::Json => outln!(
                "{}",
                serde_json::json!({"plugin_dir": dir, "generation": generation, "rollback": true})
            ),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(config) = args.config.as_deref() else {
        anyhow::bail!(crate::cli::UsageError("--config is required".into()));
    };
    let cfg = load_config(config, &args.fetch.artifacts)?;
    let dir = plugin_manager::plugin_dir_for(&cfg, global.plugin_dir.as_deref());
    let lock_path = args.lock_file.clone().unwrap_or_else(|| cfg.lock_path());
    let lock = LockFile::read(&lock_path).map_err(lib_err)?;
    if args.lock_file.is_some() && lock.is_none() {
        anyhow::bail!(crate::cli::UsageError(format!(
            "lock file {} does not exist",
            lock_path.display()
        )));
    }
    let cancel = shutdown::CancellationToken::new();
    let opts = InstallOptions {
        jobs: usize::from(args.fetch.jobs),
        dry_run: args.dry_run,
        locked: args.locked,
        force: args.force,
        lock_timeout: timeout,
        sync: !args.no_sync,
        cancel: cancel.clone(),
    };
    let ctx = provider_context(&cfg, args.fetch.retry_deadline);
    let rep = reporter(global);
    let work = plugin_manager::install(&cfg, &dir, &ctx, lock.as_ref(), &opts, rep);
    let report = match shutdown::run_cancellable(&runtime()?, &cancel, work) {
        (Err(e @ plugin_manager::Error::Cancelled { .. }), Some(sig)) => {
            anyhow::bail!(shutdown::Interrupted::new(sig, e.to_string()))
        }
        (res, _) => res.map_err(lib_err)?,
    };
    render(global, &report, args.dry_run)?;
    Ok(ExitCode::SUCCESS)
}

fn render(global: &Global, report: &InstallReport, dry_run: bool) -> anyhow::Result<()> {
    if global.output == Output::Json {
        let mut v = serde_json::to_value(report)?;
        v["dry_run"] = dry_run.into();
        outln!("{v}");
        return Ok(());
    }
    out!(
        "{}",
        cli_render::plan::render(&report.plan, global.verbose > 0, style())
    );
    if dry_run {
        outln!("Dry run: nothing changed.");
    } else if let Some(g) = &report.generation {
        outln!(
            "{}: {} plugins installed ({g})",
            report.plugin_dir.display(),
            report.plugins.len()
        );
    } else {
        outln!("{}: up to date", report.plugin_dir.display());
    }
    Ok(())
}
