//! `optimus-plugin list`: the installed plugins, from the receipts.

use std::path::PathBuf;
use std::process::ExitCode;

use plugin_manager::Receipts;

use super::common::{lib_err, plugin_dir, style};
use crate::cli::{Global, Output};

/// List installed plugins: name, type, version, image, source, sha256, install time.
///
/// Read from the receipts of the installed set; with --output json, one
/// document `{"plugin_dir", "generation", "plugins": [...]}`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--plugin-dir: default the plugin_dir of --config, else .plugins.

Exit codes: 0 listed (also when nothing is installed), 1 the receipts \
cannot be read, 2 bad usage or config.

Example:
  optimus-plugin list --plugin-dir /app/plugins --output json"
)]
pub struct Args {
    /// Take the plugin folder from this config (when --plugin-dir is not given)
    #[arg(short, long, env = "OPTIMUS_PLUGIN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Full values: the whole sha256, no cell cut to the terminal's width
    #[arg(long)]
    wide: bool,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let dir = plugin_dir(global, args.config.as_deref())?;
    let receipts = Receipts::read(&dir).map_err(lib_err)?;
    let mut rows = Vec::new();
    for a in receipts.iter().flat_map(|r| &r.artifacts) {
        if a.plugins.is_empty() {
            rows.push(serde_json::json!({
                "name": null, "type": null, "version": null, "image": null,
                "file": a.files.first().map(|f| f.path.clone()),
                "source": a.source, "sha256": a.sha256, "installed_at": a.installed_at,
            }));
        }
        for p in &a.plugins {
            rows.push(serde_json::json!({
                "name": p.name, "type": p.plugin_type, "version": p.version, "image": p.image,
                "file": p.file, "source": a.source, "sha256": a.sha256, "installed_at": a.installed_at,
            }));
        }
    }
    match global.output {
        Output::Json => {
            outln!(
                "{}",
                serde_json::json!({
                    "plugin_dir": dir,
                    "generation": receipts.as_ref().map(|r| r.generation.clone()),
                    "plugins": rows,
                })
            );
        }
        Output::Text => {
            if receipts.is_none() {
                out!("{}", cli_render::table::nothing_installed(&dir));
                return Ok(ExitCode::SUCCESS);
            }
            let style = style();
            out!("{}", cli_render::table::plugins(&rows, args.wide, style));
        }
    }
    Ok(ExitCode::SUCCESS)
}
