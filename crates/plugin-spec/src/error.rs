//! The error type of this crate and the problems it carries.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a YAML plugin, with its position in the source.
///
/// `line` and `column` start at 1. Both are 0 when the problem has no position
/// (a plugin built in code rather than read from YAML).
///
/// ```
/// let err = plugin_spec::load_str("name: neo\nimagee: x\n", "p.yaml").unwrap_err();
/// let p = err.problems().iter().find(|p| p.message.contains("imagee")).unwrap();
/// assert_eq!((p.line, p.column), (2, 1));
/// assert!(p.to_string().starts_with("2:1: unknown key `imagee`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// 1-based line of the offending key or value (0: unknown).
    pub line: u64,
    /// 1-based column of the offending key or value (0: unknown).
    pub column: u64,
    /// What is wrong, naming the key, for the person reading it.
    pub message: String,
}

impl Problem {
    /// A problem without a position (line and column 0): an unreadable
    /// file, a file name, a rule of a folder.
    ///
    /// ```
    /// let p = plugin_spec::Problem::unplaced("not UTF-8 text".into());
    /// assert_eq!((p.line, p.column), (0, 0));
    /// assert_eq!(p.to_string(), "0:0: not UTF-8 text");
    /// ```
    pub fn unplaced(message: String) -> Self {
        Problem {
            line: 0,
            column: 0,
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Why a YAML plugin could not be loaded (or a path not checked).
///
/// ```
/// use plugin_spec::SpecError;
/// match plugin_spec::load_file(std::path::Path::new("/nonexistent/optimus-plugin-x.yaml")) {
///     Err(SpecError::Read { path, .. }) => assert!(path.ends_with("optimus-plugin-x.yaml")),
///     other => panic!("{other:?}"),
/// }
/// let err = plugin_spec::load_str("name: [\n", "bad.yaml").unwrap_err();
/// assert!(matches!(err, SpecError::Invalid { .. }));
/// assert!(err.to_string().starts_with("bad.yaml:"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A path to check ([`crate::check_path`]) does not exist or cannot be
    /// inspected.
    #[error("{}: cannot validate: {source}", path.display())]
    Path {
        /// The path that was asked for.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A folder of plugin files could not be listed.
    #[error("{}: cannot list", path.display())]
    List {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is refused: upstream's loader for its format would refuse
    /// it too (malformed YAML, an unknown key in the classic format, a wrong
    /// type, a missing required field). Every error found is listed, one per
    /// line, as `origin:line:col: message`.
    #[error("{}", render(origin, problems))]
    Invalid {
        /// Where the text came from (a file path or any label the caller chose).
        origin: String,
        /// Every error, in source order.
        problems: Vec<Problem>,
        /// The warnings found besides, in source order (not in `Display`).
        warnings: Vec<Problem>,
    },
}

impl SpecError {
    /// The problems of an [`SpecError::Invalid`] error (empty for the other errors).
    ///
    /// ```
    /// let err = plugin_spec::load_str("name: neo\nimagee: x\n", "p.yaml").unwrap_err();
    /// assert!(err.problems().iter().any(|p| p.line == 2));
    /// ```
    pub fn problems(&self) -> &[Problem] {
        match self {
            SpecError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }

    /// The warnings found besides the errors (empty for the other errors).
    ///
    /// ```
    /// // A capital in the name is only a warning; the unknown key is an error.
    /// let err = plugin_spec::load_str("name: Neo\nimagee: x\n", "p.yaml").unwrap_err();
    /// assert!(err.warnings().iter().any(|w| w.line == 1));
    /// ```
    pub fn warnings(&self) -> &[Problem] {
        match self {
            SpecError::Invalid { warnings, .. } => warnings,
            _ => &[],
        }
    }
}

/// Renders problems as `origin:line:col: message`, one per line.
pub(crate) fn render(origin: &str, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(origin);
        out.push(':');
        out.push_str(&p.to_string());
    }
    out
}

/// A rule broken by a [`crate::Plugin`], found by [`crate::Plugin::validate`].
///
/// `path` names the field in upstream spelling, e.g.
/// `questions[0].subquestions[1].questions[0].regexp`; the empty path is the
/// plugin itself.
///
/// ```
/// let mut plugin = plugin_spec::Plugin::default();
/// plugin.name = "Neo".into();
/// let all = plugin.validate().unwrap_err();
/// let name = all.iter().find(|v| v.path == "name").expect("a name finding");
/// assert_eq!(name.severity, plugin_spec::Severity::Warning);
/// assert!(name.to_string().starts_with("name: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Field path in upstream spelling (`""` for the whole plugin).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Whether upstream refuses the plugin for it, or only we warn.
    pub severity: Severity,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Upstream's loader refuses the file for it.
    Error,
    /// Upstream loads the file; we point out a likely mistake.
    Warning,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}
