//! An install plan like terraform's: one line per artifact that changes,
//! `+` add, `~` update, `-` remove (and `=` unchanged, shown only when
//! asked), each with its reason; then `Plan: 1 to add, 1 to change, 3 to
//! remove.`

use std::fmt::Write as _;

use plugin_manager::{Action, Plan};

use crate::Style;
use crate::table::{cut, width};

/// The symbol and ANSI colour of an action.
fn mark(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Add => ("+", "32"),
        Action::Update => ("~", "33"),
        Action::Remove => ("-", "31"),
        Action::Unchanged => ("=", "2"),
    }
}

/// The plan's lines and its `Plan:` line; unchanged artifacts only with
/// `all` (`-v`), else counted on the `Plan:` line. Sources line up, cut
/// with `…` when `style.width` is too narrow for them and their reasons.
///
/// # Examples
///
/// ```
/// use plugin_manager::{Action, Plan, PlanItem};
/// let item = |source: &str, action, reason: &str| PlanItem {
///     source: source.into(), action, reason: reason.into() };
/// let plan = Plan { items: vec![
///     item("web:neo.zip", Action::Add, "not installed"),
///     item("web:bq2bq.tar.gz", Action::Unchanged, "same ETag"),
///     item("dist:old.tar.gz", Action::Remove, "no longer in the config"),
/// ] };
/// let text = cli_render::plan::render(&plan, false, cli_render::Style::plain());
/// let want = [
///     "  + web:neo.zip      not installed",
///     "  - dist:old.tar.gz  no longer in the config",
///     "",
///     "Plan: 1 to add, 0 to change, 1 to remove; 1 unchanged.",
/// ];
/// assert_eq!(text.lines().collect::<Vec<_>>(), want);
/// ```
pub fn render(plan: &Plan, all: bool, style: Style) -> String {
    let shown: Vec<_> = plan
        .items
        .iter()
        .filter(|i| all || i.action != Action::Unchanged)
        .collect();
    let mut out = String::new();
    let widest = shown.iter().map(|i| width(&i.source)).max().unwrap_or(0);
    // Room for the source: what the reasons leave, at least 20 columns.
    let room = style.width.map_or(widest, |w| {
        let reason = shown.iter().map(|i| width(&i.reason)).max().unwrap_or(0);
        widest.min(w.saturating_sub(6 + reason).max(20))
    });
    for item in &shown {
        let (symbol, colour) = mark(item.action);
        let source = cut(&item.source, room);
        let pad = room.saturating_sub(width(&source));
        let _ = writeln!(
            out,
            "  {} {source}{}  {}",
            style.paint(colour, symbol),
            " ".repeat(pad),
            item.reason
        );
    }
    if !shown.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// `Plan: 1 to add, 1 to change, 3 to remove.`, with `; N unchanged`
/// before the stop when some are; `No changes; N unchanged.` when nothing
/// changes.
///
/// # Examples
///
/// ```
/// let plan = plugin_manager::Plan::default();
/// assert_eq!(cli_render::plan::summary(&plan), "No changes.");
/// ```
pub fn summary(plan: &Plan) -> String {
    let same = plan.count(Action::Unchanged);
    let tail = if same > 0 {
        format!("; {same} unchanged.")
    } else {
        ".".to_owned()
    };
    if plan.is_noop() {
        return format!("No changes{tail}");
    }
    format!(
        "Plan: {} to add, {} to change, {} to remove{tail}",
        plan.count(Action::Add),
        plan.count(Action::Update),
        plan.count(Action::Remove),
    )
}
