//! Checking plugin files and folders as `optimus-plugin validate` does: one
//! [`FileReport`] per file, with every error and warning at its line and
//! column, and the rules of a folder (which files upstream reads, two files
//! naming one plugin).

use std::path::Path;

use crate::files::{self, FILE_PREFIX, FILE_SUFFIX};
use crate::{PluginType, Problem, SpecError, Spelling};

/// The outcome of checking one file.
///
/// `valid` is false exactly when upstream refuses the file (or its folder
/// for it); `problems` then says why. `warnings` are what upstream takes but
/// we point out. Findings without a position (an unreadable file, a file
/// name) are at line and column 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FileReport {
    /// The file, as the path it was found under.
    pub file: String,
    /// Whether upstream loads the file.
    pub valid: bool,
    /// The plugin's name, when the file loads.
    pub name: Option<String>,
    /// The plugin's version, when the file loads.
    pub version: Option<String>,
    /// The plugin's type, when the file loads.
    pub plugin_type: Option<PluginType>,
    /// The format the file is written in, when it loads.
    pub spelling: Option<Spelling>,
    /// Why upstream refuses the file, in source order.
    pub problems: Vec<Problem>,
    /// What upstream takes but we point out, in source order.
    pub warnings: Vec<Problem>,
}

impl FileReport {
    /// A file upstream loads, with one finding we point out.
    fn warning(file: &Path, message: String) -> Self {
        FileReport {
            file: file.display().to_string(),
            valid: true,
            warnings: vec![Problem::unplaced(message)],
            ..FileReport::default()
        }
    }
}

/// The outcome of checking files and folders: one [`FileReport`] per file.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let ok = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: neo:1\n\
///           entrypoint:\n  script: run\n";
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), ok)?;
/// std::fs::write(dir.path().join("optimus-plugin-bad.yaml"), "name: bad\nimagee: x\n")?;
/// std::fs::write(dir.path().join("notes.yaml"), "not: a plugin\n")?;
///
/// let report = plugin_spec::check_path(dir.path())?;
/// assert_eq!(report.files.len(), 3);
/// assert!(!report.is_valid());
/// let bad = &report.files[1];
/// assert!(bad.file.ends_with("optimus-plugin-bad.yaml"));
/// assert!(bad.problems.iter().any(|p| (p.line, p.column) == (2, 1)));
/// // Upstream ignores notes.yaml: a warning, not an error.
/// assert!(report.files[0].warnings[0].message.starts_with("not a plugin file"));
/// assert_eq!(report.files[2].name.as_deref(), Some("neo"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Each file checked, sorted by path within each path asked for.
    pub files: Vec<FileReport>,
}

impl Report {
    /// Whether upstream loads every file (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.files.iter().all(|f| f.valid)
    }

    /// How many warnings the files have in all.
    pub fn warning_count(&self) -> usize {
        self.files.iter().map(|f| f.warnings.len()).sum()
    }
}

/// Checks each path of `paths` as [`check_path`] does, in order; the rules
/// of a folder apply within each folder.
///
/// # Errors
///
/// The first path that [`check_path`] cannot check.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("optimus-plugin-x.yaml");
/// std::fs::write(&file, "name: [\n")?;
/// let report = plugin_spec::check_paths([&file, &file])?;
/// assert_eq!(report.files.len(), 2);
/// assert!(!report.is_valid());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_paths<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
) -> Result<Report, SpecError> {
    let mut out = Report::default();
    for path in paths {
        out.files.extend(check_path(path.as_ref())?.files);
    }
    Ok(out)
}

/// Checks a plugin file, or the plugin files of a folder as upstream
/// Optimus discovers them ([`files::discover`]: the
/// `optimus-plugin-<name>.yaml` files at its top, not recursing).
///
/// In a folder, a file upstream passes over, and any other `*.yaml` /
/// `*.yml` file, gets a warning saying so; two files naming the same plugin
/// make the later one invalid (upstream's server refuses to start). A file
/// that cannot be read is invalid, with the reason at 0:0.
///
/// # Errors
///
/// [`SpecError::Path`] when `path` does not exist or cannot be inspected,
/// [`SpecError::List`] when the folder cannot be listed.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("optimus-plugin-other.yaml");
/// std::fs::write(&file, "name: neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///                        entrypoint:\n  script: run\n")?;
/// let report = plugin_spec::check_path(&file)?;
/// assert!(report.is_valid());
/// // Upstream loads it, but the name inside differs from the file's.
/// assert_eq!(report.warning_count(), 1);
/// assert!(plugin_spec::check_path(&dir.path().join("nope")).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_path(path: &Path) -> Result<Report, SpecError> {
    let meta = std::fs::metadata(path).map_err(|source| SpecError::Path {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(Report {
            files: vec![check_one(path)],
        });
    }
    let listing = |source| SpecError::List {
        path: path.to_owned(),
        source,
    };
    let found = files::discover(path).map_err(listing)?;
    let mut reports: Vec<FileReport> = found.files.iter().map(|(_, p)| check_one(p)).collect();
    for (name, why) in &found.skipped {
        reports.push(FileReport::warning(&path.join(name), why.clone()));
    }
    for file in files::other_yaml_files(path).map_err(listing)? {
        let why = format!(
            "not a plugin file: upstream loads only {FILE_PREFIX}<name>{FILE_SUFFIX} files, so it ignores this one"
        );
        reports.push(FileReport::warning(&file, why));
    }
    reports.sort_by(|a, b| a.file.cmp(&b.file));
    duplicate_rule(&mut reports);
    Ok(Report { files: reports })
}

/// Two files naming the same plugin: upstream's server refuses to start.
fn duplicate_rule(reports: &mut [FileReport]) {
    let named: Vec<(String, String)> = reports
        .iter()
        .filter_map(|r| Some((r.file.clone(), r.name.clone()?)))
        .collect();
    let pairs: Vec<(&str, &str)> = named
        .iter()
        .map(|(f, n)| (f.as_str(), n.as_str()))
        .collect();
    for (file, first, name) in files::duplicate_names(&pairs) {
        if let Some(r) = reports.iter_mut().find(|r| r.file == file) {
            r.valid = false;
            r.problems.push(Problem::unplaced(format!(
                "plugin `{name}` is also defined by {first}; upstream refuses a folder with two plugins of one name"
            )));
        }
    }
}

/// Checks one file ([`crate::check_file`]) into its report.
fn check_one(file: &Path) -> FileReport {
    let mut report = FileReport {
        file: file.display().to_string(),
        ..FileReport::default()
    };
    match crate::check_file(file) {
        Ok(loaded) => {
            report.valid = true;
            report.name = Some(loaded.plugin.name);
            report.version = Some(loaded.plugin.version);
            report.plugin_type = Some(loaded.plugin.plugin_type);
            report.spelling = Some(loaded.spelling);
            report.warnings = loaded.warnings;
        }
        Err(SpecError::Invalid {
            problems, warnings, ..
        }) => {
            report.problems = problems;
            report.warnings = warnings;
        }
        Err(other) => report.problems.push(Problem::unplaced(other.to_string())),
    }
    report
}
