//! `optimus-plugin validate [--path FILE|DIR]`: check YAML plugins. The
//! rules are `plugin_spec::check_path`'s; this renders its report.

use std::path::PathBuf;
use std::process::ExitCode;

use plugin_spec::SpecError;
use serde_json::json;

use super::common::{plugin_dir, style};
use crate::cli::{Global, Output, UsageError};

/// Check YAML plugins: the plugin files of a folder, or one file.
///
/// A folder's plugin files are its `optimus-plugin-<name>.yaml` files (not
/// recursing), the files upstream Optimus loads. Prints each error (what
/// makes upstream's loader refuse the file) and warning as a block with its
/// file, line and column, the source line and a hint; `ok` with the
/// plugin's name, version and type for a file without any; then one
/// summary line. Exits 0 when no file has an error (with `--strict`:
/// nor a warning), 1 otherwise, 2 when the path does not exist.
///
/// Example: `optimus-plugin validate --path examples/plugins --strict`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plugin file or a folder of them [default: --plugin-dir, else .plugins]
    #[arg(long, value_name = "FILE|DIR")]
    path: Option<PathBuf>,
    /// Fail (exit 1) on warnings too, not only on errors
    #[arg(long)]
    strict: bool,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let path = match &args.path {
        Some(path) => path.clone(),
        None => plugin_dir(global, None)?,
    };
    let report = plugin_spec::check_path(&path).map_err(|e| match e {
        SpecError::Path { .. } => anyhow::Error::new(UsageError(e.to_string())),
        other => anyhow::Error::new(other),
    })?;
    if report.files.is_empty() {
        tracing::warn!(path = %path.display(), "no optimus-plugin-<name>.yaml files to validate");
    }
    match global.output {
        Output::Json => {
            let doc = json!({
                "path": path.display().to_string(),
                "valid": report.is_valid(),
                "warnings": report.warning_count(),
                "files": report.files,
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Output::Text => {
            let read = |file: &str| std::fs::read_to_string(file).ok();
            out!("{}", cli_render::diagnostic::report(&report, read, style()));
        }
    }
    let clean = report.warning_count() == 0;
    Ok(if report.is_valid() && (clean || !args.strict) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
