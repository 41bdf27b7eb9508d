//! Times for a person at a terminal: "3 minutes ago".

use jiff::Timestamp;

/// How long before `now` the RFC 3339 time `at` was, in the largest whole
/// unit (`just now`, `5 seconds ago`, `3 minutes ago`, `2 hours ago`,
/// `4 days ago`); the date for more than 30 days; `at` unchanged when it
/// is not an RFC 3339 time (a hand-edited receipt) or in the future.
///
/// # Examples
///
/// ```
/// let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
/// assert_eq!(cli_render::time::ago("2026-12-01T11:57:00Z", now), "3 minutes ago");
/// assert_eq!(cli_render::time::ago("2026-11-30T12:00:00+00:00", now), "1 day ago");
/// assert_eq!(cli_render::time::ago("2026-01-02T00:00:00Z", now), "2026-01-02");
/// assert_eq!(cli_render::time::ago("yesterday", now), "yesterday");
/// ```
pub fn ago(at: &str, now: Timestamp) -> String {
    let Ok(then) = at.parse::<Timestamp>() else {
        return at.to_owned();
    };
    let secs = now.as_second() - then.as_second();
    if secs < 0 {
        return at.to_owned();
    }
    let unit = |n: i64, noun: &str| {
        if n == 1 {
            format!("1 {noun} ago")
        } else {
            format!("{n} {noun}s ago")
        }
    };
    match secs {
        0..=1 => "just now".to_owned(),
        2..=59 => unit(secs, "second"),
        60..=3_599 => unit(secs / 60, "minute"),
        3_600..=86_399 => unit(secs / 3_600, "hour"),
        86_400..=2_592_000 => unit(secs / 86_400, "day"),
        _ => then.strftime("%Y-%m-%d").to_string(),
    }
}
