//! Snapshots of every human-readable output, as a terminal shows it and as
//! a pipe gets it. Run with `INSTA_UPDATE=always` to rewrite them after a
//! deliberate change; CI refuses new ones.

mod config;
mod diagnostics;
mod plans;
mod tables;

use cli_render::Style;

/// The two ways a person reads output: piped (a pod's log, `| less`) and at
/// an 80-column terminal with colours.
const STYLES: [(&str, Style); 2] = [
    ("piped", Style::plain()),
    ("terminal", Style::terminal(80, true)),
];
