//! The error type of this crate and the problems it carries.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a YAML plugin, with its position in the source.
///
/// `line` and `column` start at 1. Both are 0 when the problem has no position
/// (a plugin built in code rather than read from YAML). The message is short;
/// what a reader needs besides is data: the keys accepted where an unknown
/// key is (`expected`) and a hint (`help`, e.g. the closest of them), so a
/// renderer shows them once, as it likes. `Display` puts it all on one line.
///
/// ```
/// let err = plugin_spec::load_str("name: neo\nimagee: x\n", "p.yaml").unwrap_err();
/// let p = err.problems().iter().find(|p| p.message.contains("imagee")).unwrap();
/// assert_eq!((p.line, p.column, p.len), (2, 1, 6));
/// assert_eq!(p.message, "unknown key `imagee` in the plugin");
/// assert!(p.expected.iter().any(|k| k == "image"));
/// assert_eq!(p.help.as_deref(), Some("did you mean \"image\"?"));
/// assert!(p.to_string().starts_with("2:1: unknown key `imagee` in the plugin; expected one of: name, "));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Problem {
    /// 1-based line of the offending key or value (0: unknown).
    pub line: u64,
    /// 1-based column of the offending key or value (0: unknown).
    pub column: u64,
    /// How many characters from `column` the finding covers (0: not known;
    /// a renderer marks the word there).
    #[serde(skip_serializing_if = "is_zero")]
    pub len: u64,
    /// What is wrong, naming the key, for the person reading it.
    pub message: String,
    /// The keys accepted where an unknown key was found, in table order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<String>,
    /// A hint for the fix: the closest expected key, another spelling, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn is_zero(n: &u64) -> bool {
    *n == 0
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
            message,
            ..Problem::default()
        }
    }

    /// A problem at `line` and `column` (1-based), nothing else known.
    ///
    /// ```
    /// let p = plugin_spec::Problem::at(3, 5, "bad".into());
    /// assert_eq!(p.to_string(), "3:5: bad");
    /// ```
    pub fn at(line: u64, column: u64, message: String) -> Self {
        Problem {
            line,
            column,
            message,
            ..Problem::default()
        }
    }

    /// The same problem, marked over `len` characters.
    ///
    /// ```
    /// assert_eq!(plugin_spec::Problem::at(1, 1, "x".into()).with_len(4).len, 4);
    /// ```
    #[must_use]
    pub fn with_len(mut self, len: u64) -> Self {
        self.len = len;
        self
    }

    /// The same problem with the keys accepted there and, when one is
    /// close to `found` (a typo), `did you mean "that"?` as its help
    /// (unless it already has one).
    ///
    /// ```
    /// let p = plugin_spec::Problem::at(1, 1, "unknown key".into())
    ///     .with_expected(&["name", "defaultconfig"], "defaultconfg");
    /// assert_eq!(p.help.as_deref(), Some("did you mean \"defaultconfig\"?"));
    /// let far = plugin_spec::Problem::at(1, 1, "unknown key".into())
    ///     .with_expected(&["name", "image"], "zzz");
    /// assert_eq!(far.help, None);
    /// ```
    #[must_use]
    pub fn with_expected(mut self, expected: &[&str], found: &str) -> Self {
        self.expected = expected.iter().map(|&k| k.to_owned()).collect();
        if self.help.is_none() {
            self.help = closest(expected, found).map(|k| format!("did you mean \"{k}\"?"));
        }
        self
    }

    /// The same problem with `help` as its hint.
    ///
    /// ```
    /// let p = plugin_spec::Problem::at(1, 1, "x".into()).with_help("try y".into());
    /// assert_eq!(p.to_string(), "1:1: x; try y");
    /// ```
    #[must_use]
    pub fn with_help(mut self, help: String) -> Self {
        self.help = Some(help);
        self
    }
}

/// The key of `expected` closest to `found`, if close enough to be a typo:
/// same letters but for case, or a Jaro-Winkler similarity of 0.85 or more.
fn closest<'k>(expected: &[&'k str], found: &str) -> Option<&'k str> {
    let lower = found.to_lowercase();
    if let Some(k) = expected.iter().find(|k| k.to_lowercase() == lower) {
        return Some(k);
    }
    expected
        .iter()
        .map(|k| (strsim::jaro_winkler(&k.to_lowercase(), &lower), *k))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        if !self.expected.is_empty() {
            write!(f, "; expected one of: {}", self.expected.join(", "))?;
        }
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
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

/// The findings of one pass, in the order found until [`Findings::sorted`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Findings(Vec<Problem>);

impl Findings {
    /// A finding with only a position and a message.
    pub(crate) fn push(&mut self, (pos, message): (crate::node::Pos, String)) {
        self.0.push(Problem::at(pos.line, pos.col, message));
    }

    /// A finding with more data (a length, the expected keys, a hint).
    pub(crate) fn add(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// A hint for every "missing `key`" finding without one: which key is
    /// required and where it goes (`under `entrypoint``, in the spec
    /// format `under `default``, else at the top level).
    pub(crate) fn help_missing(&mut self) {
        for p in &mut self.0 {
            if p.help.is_some() {
                continue;
            }
            let Some(rest) = p.message.strip_prefix("missing `") else {
                continue;
            };
            let Some((key, after)) = rest.split_once('`') else {
                continue;
            };
            let (parent, leaf) = match key.rsplit_once('.') {
                Some((parent, leaf)) => (parent.rsplit('.').next(), leaf),
                None => (
                    after
                        .strip_prefix(" in `")
                        .and_then(|a| a.split_once('`'))
                        .map(|(p, _)| p),
                    key,
                ),
            };
            let place = parent.map_or_else(
                || "at the top level of the file".to_owned(),
                |p| format!("under `{p}`"),
            );
            p.help = Some(format!("`{leaf}` is required: add `{leaf}:` {place}"));
        }
    }

    /// The findings in source order.
    pub(crate) fn sorted(mut self) -> Vec<Problem> {
        self.0.sort_by_key(|p| (p.line, p.column));
        self.0
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts them in source order in place.
    pub(crate) fn sort(&mut self) {
        self.0.sort_by_key(|p| (p.line, p.column));
    }
}
