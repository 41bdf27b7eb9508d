//! `optimus-plugin validate [--path FILE|DIR]`: check YAML plugins.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use plugin_spec::{Problem, SpecError, Spelling};
use serde_json::json;

use crate::cli::{Global, Output, UsageError};

/// Check YAML plugins: the plugin files of a folder, or one file.
///
/// A folder's plugin files are its `optimus-plugin-<name>.yaml` files (not
/// recursing), the files upstream Optimus loads. Prints one line per file: `ok` with the plugin's name, version and type,
/// `warn` with that and every warning, or `invalid` with every error (what
/// makes upstream's loader refuse the file) and warning, each as
/// `line:col: message`. Exits 0 when no file has an error (with `--strict`:
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

/// The outcome for one file.
#[derive(Debug, Default)]
struct FileReport {
    file: String,
    valid: bool,
    name: Option<String>,
    version: Option<String>,
    plugin_type: Option<String>,
    spelling: Option<&'static str>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
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
            "warnings": self.warnings,
        })
    }
}

fn note(message: String) -> Problem {
    Problem {
        line: 0,
        column: 0,
        message,
    }
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let path = args
        .path
        .clone()
        .or_else(|| global.plugin_dir.clone())
        .unwrap_or_else(|| PathBuf::from(".plugins"));
    let mut reports = collect(&path)?;
    if reports.is_empty() {
        tracing::warn!(path = %path.display(), "no optimus-plugin-<name>.yaml files to validate");
    }
    folder_rules(&mut reports);
    let valid = reports.iter().all(|r| r.valid);
    let clean = reports.iter().all(|r| r.warnings.is_empty());
    match global.output {
        Output::Json => {
            let report = json!({
                "path": path.display().to_string(),
                "valid": valid,
                "warnings": reports.iter().map(|r| r.warnings.len()).sum::<usize>(),
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
    Ok(if valid && (clean || !args.strict) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The reports for `path`: the file itself, or the folder's plugin files as
/// upstream discovers them (the one definition of a plugin file, in
/// `plugin_spec::files`), plus a warning for each YAML file there that
/// upstream leaves out.
fn collect(path: &Path) -> anyhow::Result<Vec<FileReport>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        anyhow::Error::new(UsageError(format!(
            "{}: cannot validate: {e}",
            path.display()
        )))
    })?;
    if !meta.is_dir() {
        return Ok(vec![check(path)]);
    }
    let found = plugin_spec::files::discover(path)
        .with_context(|| format!("{}: cannot list", path.display()))?;
    let mut reports: Vec<FileReport> = found.files.iter().map(|(_, p)| check(p)).collect();
    for (name, why) in &found.skipped {
        reports.push(FileReport {
            file: path.join(name).display().to_string(),
            valid: true,
            warnings: vec![note(why.clone())],
            ..FileReport::default()
        });
    }
    // YAML files upstream does not load at all: say so.
    let entries =
        std::fs::read_dir(path).with_context(|| format!("{}: cannot list", path.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", path.display()))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let ext = Path::new(&name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let yamlish = matches!(ext.as_deref(), Some("yaml" | "yml"));
        if name.starts_with('.') || !yamlish || plugin_spec::files::is_plugin_file_name(&name) {
            continue;
        }
        if entry.path().is_file() {
            reports.push(FileReport {
                file: entry.path().display().to_string(),
                valid: true,
                warnings: vec![note(format!(
                    "not a plugin file: upstream loads only {}<name>{} files, so it ignores this one",
                    plugin_spec::files::FILE_PREFIX,
                    plugin_spec::files::FILE_SUFFIX
                ))],
                ..FileReport::default()
            });
        }
    }
    reports.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(reports)
}

/// Two files naming the same plugin: upstream's server refuses to start.
fn folder_rules(reports: &mut [FileReport]) {
    let named: Vec<(String, String)> = reports
        .iter()
        .filter_map(|r| Some((r.file.clone(), r.name.clone()?)))
        .collect();
    let pairs: Vec<(&str, &str)> = named
        .iter()
        .map(|(f, n)| (f.as_str(), n.as_str()))
        .collect();
    for (file, first, name) in plugin_spec::files::duplicate_names(&pairs) {
        if let Some(r) = reports.iter_mut().find(|r| r.file == file) {
            r.valid = false;
            r.problems.push(note(format!(
                "plugin `{name}` is also defined by {first}; upstream refuses a folder with two plugins of one name"
            )));
        }
    }
}

fn check(file: &Path) -> FileReport {
    let mut report = FileReport {
        file: file.display().to_string(),
        ..FileReport::default()
    };
    match plugin_spec::check_file(file) {
        Ok(loaded) => {
            report.valid = true;
            report.name = Some(loaded.plugin.name);
            report.version = Some(loaded.plugin.version);
            report.plugin_type = Some(loaded.plugin.plugin_type.to_string());
            report.spelling = Some(spelling_name(loaded.spelling));
            report.warnings = loaded.warnings;
        }
        Err(SpecError::Invalid {
            problems, warnings, ..
        }) => {
            report.problems = problems;
            report.warnings = warnings;
        }
        Err(other) => report.problems.push(note(other.to_string())),
    }
    report
}

fn spelling_name(spelling: Spelling) -> &'static str {
    match spelling {
        Spelling::Upstream => "upstream",
        Spelling::Design => "design",
        Spelling::Spec => "spec",
    }
}

fn joined(list: &[Problem]) -> String {
    list.iter()
        .map(|p| {
            if p.line == 0 {
                p.message.clone()
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// `ok FILE (name version, type)`, `warn FILE (...): L:C: msg | ...` or
/// `invalid FILE: L:C: msg | L:C: msg [; warnings: ...]`.
fn text_line(r: &FileReport) -> String {
    if r.valid {
        let what = match &r.name {
            Some(name) => format!(
                " ({name} {}, {})",
                r.version.as_deref().unwrap_or(""),
                r.plugin_type.as_deref().unwrap_or("")
            ),
            None => String::new(),
        };
        if r.warnings.is_empty() {
            return format!("ok      {}{what}", r.file);
        }
        return format!("warn    {}{what}: {}", r.file, joined(&r.warnings));
    }
    let mut line = format!("invalid {}: {}", r.file, joined(&r.problems));
    if !r.warnings.is_empty() {
        line.push_str("; warnings: ");
        line.push_str(&joined(&r.warnings));
    }
    line
}
