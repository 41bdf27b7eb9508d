//! `optimus-plugin validate [--path FILE|DIR]`: check YAML plugins.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use plugin_spec::{Problem, SpecError, Spelling};
use serde_json::json;

use crate::cli::{Global, Output, UsageError};

/// Check YAML plugins: every `*.yaml` of a folder (not recursing), or one file.
///
/// Prints one line per file: `ok` with the plugin's name, version and type,
/// or `invalid` with every problem as `line:col: message`. Exits 0 when all
/// are valid, 1 when any is invalid, 2 when the path does not exist.
///
/// Example: `optimus-plugin validate --path examples/plugins`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plugin file or a folder of them [default: --plugin-dir, else .plugins]
    #[arg(long, value_name = "FILE|DIR")]
    path: Option<PathBuf>,
}

/// The outcome for one file.
#[derive(Debug)]
struct FileReport {
    file: String,
    valid: bool,
    name: Option<String>,
    version: Option<String>,
    plugin_type: Option<String>,
    spelling: Option<&'static str>,
    problems: Vec<Problem>,
}

impl FileReport {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "file": self.file,
            "valid": self.valid,
            "name": self.name,
            "version": self.version,
            "plugin_type": self.plugin_type,
            "spelling": self.spelling,
            "problems": self.problems,
        })
    }
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let path = args
        .path
        .clone()
        .or_else(|| global.plugin_dir.clone())
        .unwrap_or_else(|| PathBuf::from(".plugins"));
    let files = plugin_files(&path)?;
    if files.is_empty() {
        tracing::warn!(path = %path.display(), "no *.yaml files to validate");
    }
    let reports: Vec<FileReport> = files.iter().map(|f| check(f)).collect();
    let valid = reports.iter().all(|r| r.valid);
    match global.output {
        Output::Json => {
            let report = json!({
                "path": path.display().to_string(),
                "valid": valid,
                "files": reports.iter().map(FileReport::to_json).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Output::Text => {
            for r in &reports {
                println!("{}", text_line(r));
            }
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The files to check: the file itself, or the folder's `*.yaml` files
/// (hidden ones, such as state files, left out), sorted by name.
fn plugin_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        anyhow::Error::new(UsageError(format!(
            "{}: cannot validate: {e}",
            path.display()
        )))
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(path).with_context(|| format!("{}: cannot list", path.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", path.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let p = entry.path();
        // `*.yaml` exactly, as the server names plugins.
        let is_yaml = p.extension().is_some_and(|e| e == "yaml");
        if name.starts_with('.') || !is_yaml || !p.is_file() {
            continue;
        }
        files.push(p);
    }
    files.sort();
    Ok(files)
}

fn check(file: &Path) -> FileReport {
    let shown = file.display().to_string();
    let mut report = FileReport {
        file: shown.clone(),
        valid: false,
        name: None,
        version: None,
        plugin_type: None,
        spelling: None,
        problems: Vec::new(),
    };
    let src = match std::fs::read_to_string(file) {
        Ok(src) => src,
        Err(e) => {
            report.problems.push(Problem {
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
            });
            return report;
        }
    };
    match plugin_spec::load_with_spelling(&src, &shown) {
        Ok((plugin, spelling)) => {
            let expected = plugin.file_name();
            if file.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
                report.problems.push(Problem {
                    line: 0,
                    column: 0,
                    message: format!(
                        "file name must be {expected}: the Optimus server finds plugins by it"
                    ),
                });
            }
            report.valid = report.problems.is_empty();
            report.name = Some(plugin.name);
            report.version = Some(plugin.version);
            report.plugin_type = Some(plugin.plugin_type.to_string());
            report.spelling = Some(match spelling {
                Spelling::Upstream => "upstream",
                Spelling::Design => "design",
            });
        }
        Err(SpecError::Invalid { problems, .. }) => report.problems = problems,
        Err(other) => report.problems.push(Problem {
            line: 0,
            column: 0,
            message: other.to_string(),
        }),
    }
    report
}

/// `ok FILE (name version, type)` or `invalid FILE: L:C: msg | L:C: msg`.
fn text_line(r: &FileReport) -> String {
    if r.valid {
        return format!(
            "ok      {} ({} {}, {})",
            r.file,
            r.name.as_deref().unwrap_or(""),
            r.version.as_deref().unwrap_or(""),
            r.plugin_type.as_deref().unwrap_or("")
        );
    }
    let problems: Vec<String> = r
        .problems
        .iter()
        .map(|p| {
            if p.line == 0 {
                p.message.clone()
            } else {
                p.to_string()
            }
        })
        .collect();
    format!("invalid {}: {}", r.file, problems.join(" | "))
}
