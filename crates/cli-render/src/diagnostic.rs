//! Problems of YAML plugins shaped like rustc's diagnostics: one block per
//! problem with `error:` or `warning:` and a short message, `--> file:line:col`,
//! the source line with `^` under the span and a `help:` line; then one
//! summary line for all files. annotate-snippets draws the blocks.

use std::fmt::Write as _;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Level, Origin, Renderer, Snippet};
use plugin_spec::{FileReport, Problem, Report, Severity};

use crate::{Style, count};

/// One problem of a file as a rustc-style block. `source` is the file's
/// text when it could be read again; without it (or for a problem at 0:0)
/// the block names the file only.
///
/// # Examples
///
/// ```
/// let src = "name: neo\nimagee: x\n";
/// let err = plugin_spec::load_str(src, "p.yaml").unwrap_err();
/// let p = err.problems().iter().find(|p| p.message.contains("imagee")).unwrap();
/// let text = cli_render::diagnostic::problem(
///     "p.yaml", Some(src), p, plugin_spec::Severity::Error, cli_render::Style::plain());
/// assert!(text.starts_with("error: unknown key `imagee` in the plugin\n"));
/// assert!(text.contains(" --> p.yaml:2:1\n"));
/// assert!(text.contains("2 | imagee: x\n"));
/// assert!(text.contains("  | ^^^^^^\n"));
/// assert!(text.contains("help: did you mean \"image\"?"));
/// ```
pub fn problem(
    file: &str,
    source: Option<&str>,
    problem: &Problem,
    severity: Severity,
    style: Style,
) -> String {
    let level = match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let line_text = usize::try_from(problem.line)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| source?.lines().nth(i));
    let title = level.primary_title(problem.message.as_str());
    let mut group = if let Some(text) = line_text {
        let span = span(text, problem.column, problem.len);
        title.element(
            Snippet::source(text)
                .line_start(usize::try_from(problem.line).unwrap_or(1))
                .path(file)
                .annotation(AnnotationKind::Primary.span(span)),
        )
    } else {
        let mut origin = Origin::path(file);
        if problem.line > 0 {
            origin = origin
                .line(usize::try_from(problem.line).unwrap_or(0))
                .char_column(usize::try_from(problem.column).unwrap_or(0));
        }
        title.element(origin)
    };
    match (&problem.help, problem.expected.is_empty()) {
        (Some(help), _) => group = group.element(Level::HELP.message(help.as_str())),
        (None, false) => {
            let keys = problem.expected.join(", ");
            group = group.element(Level::NOTE.message(format!("expected one of: {keys}")));
        }
        (None, true) => {}
    }
    renderer(style).render(&[group])
}

/// The renderer for `style`: colours or not, Unicode on a terminal, plain
/// ASCII otherwise.
fn renderer(style: Style) -> Renderer {
    let base = if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let base = if style.tty {
        base.decor_style(DecorStyle::Unicode)
    } else {
        base.decor_style(DecorStyle::Ascii)
    };
    match style.width {
        Some(w) => base.term_width(w),
        None => base,
    }
}

/// The byte range to mark in `line`: `len` characters from the 1-based
/// `column`, or (length unknown) the word there, up to a `:` or a blank.
fn span(line: &str, column: u64, len: u64) -> std::ops::Range<usize> {
    let col = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let end = if len > 0 {
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        rest.char_indices()
            .nth(n)
            .map_or(line.len(), |(i, _)| start + i)
    } else {
        let word = rest
            .char_indices()
            .find(|&(i, c)| i > 0 && (c.is_whitespace() || c == ':'))
            .map_or(rest.len(), |(i, _)| i);
        start + word
    };
    start..end
}

/// Every problem of every file, errors before warnings within a file, each
/// as a [`problem`] block; `ok FILE (name version, type)` for a file with
/// nothing to say; then [`summary`]. `source` gives a file's text (to
/// show its lines), or `None`.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("optimus-plugin-neo.yaml");
/// std::fs::write(&file, "name: neo\nplugintype: task\npluginversion: 1.0.0\n\
///                        image: neo:1\nentrypoint:\n  script: run\ndefaultconfg: []\n")?;
/// let report = plugin_spec::check_path(&file)?;
/// let text = cli_render::diagnostic::report(
///     &report, |f| std::fs::read_to_string(f).ok(), cli_render::Style::plain());
/// assert!(text.contains("help: did you mean \"defaultconfig\"?"));
/// assert!(text.ends_with("1 file: 0 ok, 1 with 1 error, 0 warnings\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn report(report: &Report, source: impl Fn(&str) -> Option<String>, style: Style) -> String {
    let mut out = String::new();
    for file in &report.files {
        if file.problems.is_empty() && file.warnings.is_empty() {
            let _ = writeln!(
                out,
                "{} {}{}",
                style.paint("32", "ok"),
                file.file,
                what(file)
            );
            continue;
        }
        let text = source(&file.file);
        let found = file
            .problems
            .iter()
            .map(|p| (p, Severity::Error))
            .chain(file.warnings.iter().map(|p| (p, Severity::Warning)));
        for (p, severity) in found {
            out.push_str(&problem(&file.file, text.as_deref(), p, severity, style));
            out.push_str("\n\n");
        }
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// ` (name version, type)` of a file that loads, else nothing.
fn what(file: &FileReport) -> String {
    match (&file.name, &file.version, &file.plugin_type) {
        (Some(name), Some(version), Some(kind)) => format!(" ({name} {version}, {kind})"),
        _ => String::new(),
    }
}

/// One line for all files: `4 files: 3 ok, 1 with 2 errors, 3 warnings`
/// (`ok` counts the files upstream loads, warnings or not).
///
/// # Examples
///
/// ```
/// let report = plugin_spec::Report::default();
/// assert_eq!(cli_render::diagnostic::summary(&report), "0 files: 0 ok, 0 warnings");
/// ```
pub fn summary(report: &Report) -> String {
    let ok = report.files.iter().filter(|f| f.valid).count();
    let bad = report.files.len() - ok;
    let errors: usize = report.files.iter().map(|f| f.problems.len()).sum();
    let mut line = format!("{}: {ok} ok", count(report.files.len(), "file"));
    if bad > 0 {
        let _ = write!(line, ", {bad} with {}", count(errors, "error"));
    }
    let _ = write!(line, ", {}", count(report.warning_count(), "warning"));
    line
}

/// Which file [`error_chain`] asks the text of: a refused YAML plugin (named
/// as inside its artifact) or the config file of a
/// [`plugin_manager::Error::ConfigAt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text<'a> {
    /// A YAML plugin's origin.
    Plugin(&'a str),
    /// A config file.
    Config(&'a str),
}

/// A mistake in a config file ([`plugin_manager::Error::ConfigAt`]) as a
/// rustc-style block. The line shown has the value of every secret-bearing
/// key (and the credentials of every URL) replaced by `***`
/// ([`crate::mask::mask_secrets`]).
///
/// # Examples
///
/// ```
/// let yaml = "plugins:\n  providers:\n    - type: http\n      name: web\n      url: https://h/\n      auth:\n        token: s3cr3t\n";
/// let err = plugin_manager::ManagerConfig::from_str(yaml, "optimus.yaml".as_ref()).unwrap_err();
/// let plugin_manager::Error::ConfigAt { file, problem } = &err else { panic!("{err}") };
/// let text = cli_render::diagnostic::config_problem(file, Some(yaml), problem, cli_render::Style::plain());
/// assert!(text.starts_with("error: unknown key `token` in `auth`\n"), "{text}");
/// assert!(text.contains(" --> optimus.yaml:7:9\n"), "{text}");
/// assert!(text.contains("7 |         token: ***\n"), "{text}");
/// assert!(!text.contains("s3cr3t"));
/// ```
pub fn config_problem(file: &str, source: Option<&str>, p: &Problem, style: Style) -> String {
    let masked = source.map(crate::mask::mask_secrets);
    problem(file, masked.as_deref(), p, Severity::Error, style)
}

/// An error and its causes for stderr: `error: ...` and one `caused by:`
/// line per cause; when a cause is a refused YAML plugin
/// ([`plugin_spec::SpecError::Invalid`]), its problems follow as
/// [`problem`] blocks instead of one long line (the file is named by the
/// error's origin; its lines are shown when `source` can read it); when a
/// cause is a placed config mistake ([`plugin_manager::Error::ConfigAt`]),
/// it is one [`config_problem`] block.
///
/// # Examples
///
/// ```
/// use cli_render::diagnostic::{Text, error_chain};
/// let err = plugin_spec::load_str("name: neo\nimagee: x\n", "optimus-plugin-neo.yaml").unwrap_err();
/// let text = error_chain(&err, |_| None, cli_render::Style::plain());
/// assert!(text.starts_with("error: missing `"));
/// assert!(text.contains("\n\nerror: unknown key `imagee` in the plugin\n"));
/// assert!(text.contains("--> optimus-plugin-neo.yaml:2:1"));
///
/// let yaml = "plugins:\n  plugin_dri: x\n";
/// let err = plugin_manager::ManagerConfig::from_str(yaml, "c.yaml".as_ref()).unwrap_err();
/// let text = error_chain(&err, |t| (t == Text::Config("c.yaml")).then(|| yaml.to_owned()), cli_render::Style::plain());
/// assert!(text.starts_with("error: unknown key `plugin_dri` in `plugins`\n --> c.yaml:2:3\n"), "{text}");
/// assert!(text.contains("help: did you mean \"plugin_dir\"?"), "{text}");
/// ```
pub fn error_chain(
    err: &(dyn std::error::Error + 'static),
    source: impl Fn(Text<'_>) -> Option<String>,
    style: Style,
) -> String {
    let mut chain = vec![err];
    while let Some(next) = chain.last().and_then(|e| e.source()) {
        chain.push(next);
    }
    let placed = chain.iter().find_map(|e| match e.downcast_ref() {
        Some(plugin_manager::Error::ConfigAt { file, problem }) => Some((file, problem)),
        _ => None,
    });
    if let Some((file, p)) = placed {
        let text = source(Text::Config(file));
        let mut out = config_problem(file, text.as_deref(), p, style);
        out.push('\n');
        return out;
    }
    let invalid = chain
        .iter()
        .enumerate()
        .find_map(|(i, e)| match e.downcast_ref() {
            Some(plugin_spec::SpecError::Invalid {
                origin,
                problems,
                warnings,
            }) => Some((i, origin, problems, warnings)),
            _ => None,
        });
    let mut out = String::new();
    let Some((at, origin, problems, warnings)) = invalid else {
        let _ = writeln!(out, "{} {err}", style.paint("1;31", "error:"));
        for cause in &chain[1..] {
            let _ = writeln!(out, "  caused by: {cause}");
        }
        return out;
    };
    // The errors above the refused plugin, without its text (which their
    // messages end with): the blocks say it better.
    let spec = chain[at].to_string();
    for (i, e) in chain[..at].iter().enumerate() {
        let text = e.to_string();
        let text = text.strip_suffix(&spec).unwrap_or(&text);
        let text = text.trim_end_matches([':', ' ']);
        if i == 0 {
            let _ = writeln!(out, "{} {text}", style.paint("1;31", "error:"));
        } else {
            let _ = writeln!(out, "  caused by: {text}");
        }
    }
    let text = source(Text::Plugin(origin));
    let found = problems
        .iter()
        .map(|p| (p, Severity::Error))
        .chain(warnings.iter().map(|p| (p, Severity::Warning)));
    for (p, severity) in found {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&problem(origin, text.as_deref(), p, severity, style));
        out.push('\n');
    }
    out
}
