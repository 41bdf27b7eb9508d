//! What a person reads from `optimus-plugin`: the rendering of results,
//! kept out of the binary so it is tested here, both as a terminal shows it
//! and as a pipe or a pod's log gets it.
//!
//! - [`diagnostic`]: problems of YAML plugins shaped like rustc's
//!   (`error:`, `--> file:line:col`, the source line with `^` under the
//!   span, `help:`), and one summary line.
//! - [`mask`]: secret values out of the config lines a block quotes.
//! - [`plan`]: an install plan like terraform's (`+`, `~`, `-`, `=`) and
//!   its `Plan: ...` line.
//! - [`table`]: left-aligned columns whose widths come from the content,
//!   cut with `…` to fit a width.
//! - [`time`]: "3 minutes ago" for a terminal.
//! - [`progress`]: download bars on a terminal, log events elsewhere.
//!
//! Every function takes a [`Style`] instead of looking at the terminal or
//! the environment itself; the binary builds it once with [`Style::detect`].

pub mod diagnostic;
pub mod mask;
pub mod plan;
pub mod progress;
pub mod table;
pub mod time;

/// How output is rendered: colours, the width to fit, and whether a person
/// at a terminal reads it (relative times, Unicode box drawing).
///
/// # Examples
///
/// ```
/// use cli_render::Style;
/// // Piped: no colour, no width, ASCII.
/// assert_eq!(Style::detect(false, false, None), Style::plain());
/// // A terminal with NO_COLOR set and COLUMNS=100.
/// let s = Style::detect(true, true, Some("100"));
/// assert_eq!((s.color, s.width, s.tty), (false, Some(100), true));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Cut long table cells to fit this many columns; `None`: never cut.
    pub width: Option<usize>,
    /// A person at a terminal reads it.
    pub tty: bool,
}

impl Style {
    /// Piped output: no colour, no width limit, plain ASCII.
    ///
    /// ```
    /// assert!(!cli_render::Style::plain().color);
    /// ```
    pub const fn plain() -> Style {
        Style {
            color: false,
            width: None,
            tty: false,
        }
    }

    /// A terminal `width` columns wide, with or without colour.
    ///
    /// ```
    /// let s = cli_render::Style::terminal(80, true);
    /// assert_eq!((s.width, s.tty, s.color), (Some(80), true, true));
    /// ```
    pub const fn terminal(width: usize, color: bool) -> Style {
        Style {
            color,
            width: Some(width),
            tty: true,
        }
    }

    /// The style for stdout: `tty` whether it is a terminal, `no_color`
    /// whether `NO_COLOR` is set (to anything), `columns` the value of
    /// `COLUMNS`. The width is `COLUMNS` when it is a number, else the
    /// terminal's (when stdout is one), else none. Colour only on a
    /// terminal and never with `NO_COLOR`.
    ///
    /// ```
    /// let s = cli_render::Style::detect(false, false, Some("60"));
    /// assert_eq!((s.width, s.color), (Some(60), false));
    /// ```
    pub fn detect(tty: bool, no_color: bool, columns: Option<&str>) -> Style {
        let from_env = columns
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0);
        let width = from_env.or_else(|| {
            tty.then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                .flatten()
        });
        Style {
            color: tty && !no_color,
            width,
            tty,
        }
    }

    /// `text` in an ANSI colour (`code`, e.g. `"32"` green) when colours
    /// are on, else as is.
    ///
    /// ```
    /// use cli_render::Style;
    /// assert_eq!(Style::plain().paint("32", "+"), "+");
    /// assert_eq!(Style::terminal(80, true).paint("32", "+"), "\x1b[32m+\x1b[0m");
    /// ```
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// `n` and the noun, singular for one: `1 file`, `2 files`.
///
/// ```
/// assert_eq!(cli_render::count(1, "error"), "1 error");
/// assert_eq!(cli_render::count(0, "warning"), "0 warnings");
/// ```
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A size for people, in binary units with one decimal: `512 B`,
/// `4.1 MiB` (exact bytes stay in `--output json` and the lock file).
///
/// ```
/// use cli_render::bytes;
/// assert_eq!(bytes(0), "0 B");
/// assert_eq!(bytes(1023), "1023 B");
/// assert_eq!(bytes(1536), "1.5 KiB");
/// assert_eq!(bytes(4_300_000), "4.1 MiB");
/// assert_eq!(bytes(u64::MAX), "16.0 EiB");
/// ```
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    // Tenths of the unit, in integers: exact for every u64.
    let mut unit = 0;
    let mut div: u128 = 1024;
    while unit + 1 < UNITS.len() && u128::from(n) >= div * 1024 {
        div *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(n) * 10 + div / 2) / div;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}
