//! `optimus-plugin verify`: re-hash the installed files against the receipts.

use std::path::PathBuf;
use std::process::ExitCode;

use super::common::{lib_err, plugin_dir, style};
use crate::cli::{Global, Output};

/// Check installed files against the receipts.
///
/// Re-hashes every installed file and names each changed, missing or extra
/// one.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--plugin-dir: default the plugin_dir of --config, else .plugins.

Exit codes: 0 every file matches, 1 a file changed, is missing or is \
extra (each one named), 2 bad usage or config.

Example:
  optimus-plugin verify --plugin-dir /app/plugins"
)]
pub struct Args {
    /// Take the plugin folder from this config (when --plugin-dir is not given)
    #[arg(short, long, env = "OPTIMUS_PLUGIN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let dir = plugin_dir(global, args.config.as_deref())?;
    let report = plugin_manager::verify(&dir).map_err(lib_err)?;
    match global.output {
        Output::Json => outln!(
            "{}",
            serde_json::json!({"plugin_dir": dir, "ok": report.is_clean(), "report": report})
        ),
        Output::Text => {
            out!("{}", cli_render::table::verify(&report, style()));
            if report.is_clean() {
                outln!(
                    "{}: {} files verified, all match",
                    dir.display(),
                    report.checked
                );
            }
        }
    }
    if report.is_clean() {
        Ok(ExitCode::SUCCESS)
    } else {
        crate::cli::write_err(format_args!(
            "error: {} does not match its receipts ({} changed, {} missing, {} extra)",
            dir.display(),
            report.changed.len(),
            report.missing.len(),
            report.extra.len()
        ));
        Ok(ExitCode::from(1))
    }
}
