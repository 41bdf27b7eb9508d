//! Tables that line up: left-aligned columns, widths from the content,
//! `-` for an empty cell, long cells cut with `…` to fit a width.

use unicode_width::UnicodeWidthStr;

/// The columns `text` takes on a terminal.
///
/// ```
/// assert_eq!(cli_render::table::width("näme"), 4);
/// ```
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` columns, ending in `…` when cut (never
/// inside a character).
///
/// ```
/// use cli_render::table::cut;
/// assert_eq!(cut("example/bq2bq:0.3.2", 10), "example/b…");
/// assert_eq!(cut("short", 10), "short");
/// ```
pub fn cut(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A table of text cells under one-word headers.
///
/// # Examples
///
/// ```
/// use cli_render::table::Table;
/// let mut t = Table::new(&["NAME", "IMAGE"]);
/// t.row(["bq2bq", "example/bq2bq:0.3.2"]);
/// t.row(["neo", ""]);
/// assert_eq!(t.render(None), "NAME   IMAGE\nbq2bq  example/bq2bq:0.3.2\nneo    -\n");
/// // Cut to 16 columns: the widest column gives way.
/// assert_eq!(t.render(Some(16)), "NAME   IMAGE\nbq2bq  example/…\nneo    -\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    fixed: Vec<usize>,
}

impl Table {
    /// An empty table with these headers.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|&h| h.to_owned()).collect(),
            rows: Vec::new(),
            fixed: Vec::new(),
        }
    }

    /// Never cuts the columns at these indexes (names, versions, times),
    /// so the others give way first.
    ///
    /// ```
    /// let mut t = cli_render::table::Table::new(&["NAME", "SOURCE"]).fixed(&[0]);
    /// t.row(["a-long-plugin-name", "gs://bucket/a-long-path.tar.gz"]);
    /// assert_eq!(t.render(Some(32)).lines().nth(1), Some("a-long-plugin-name  gs://bucket…"));
    /// ```
    #[must_use]
    pub fn fixed(mut self, columns: &[usize]) -> Table {
        self.fixed = columns.to_vec();
        self
    }

    /// Adds a row; an empty cell shows as `-`, missing cells too.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        for cell in &mut row {
            if cell.is_empty() {
                "-".clone_into(cell);
            }
        }
        self.rows.push(row);
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, one line per row after the headers, columns two spaces
    /// apart and no trailing blanks. With `max`, the widest columns are
    /// narrowed (not below their header) until a line fits.
    pub fn render(&self, max: Option<usize>) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        if let Some(max) = max {
            let floor: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
            let gaps = 2 * widths.len().saturating_sub(1);
            while widths.iter().sum::<usize>() + gaps > max {
                let Some((i, _)) = widths
                    .iter()
                    .enumerate()
                    .filter(|&(i, &w)| w > floor[i] && !self.fixed.contains(&i))
                    .max_by_key(|&(_, &w)| w)
                else {
                    break;
                };
                widths[i] -= 1;
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, &w)) in row.iter().zip(&widths).enumerate() {
                let cell = cut(cell, w);
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(&cell);
                line.push_str(&" ".repeat(w.saturating_sub(width(&cell))));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The headers of `list`'s table.
pub const PLUGIN_HEADERS: [&str; 7] = [
    "NAME",
    "TYPE",
    "VERSION",
    "IMAGE",
    "SOURCE",
    "SHA256",
    "INSTALLED",
];

/// The columns of `list`'s table never cut: all but IMAGE and SOURCE.
pub const PLUGIN_FIXED: [usize; 5] = [0, 1, 2, 5, 6];

/// `list`'s table of installed plugins from its JSON rows (`name`, `type`,
/// `version`, `image`, `file`, `source`, `sha256`, `installed_at`; a row
/// without a name shows its `file`). The sha256 is cut to 12 characters
/// and cells to `style.width` unless `wide`; `INSTALLED` is relative on a
/// terminal.
///
/// # Examples
///
/// ```
/// let row = serde_json::json!({"name": "neo", "type": "task", "version": "1.0.0",
///     "image": "neo:1", "source": "web:neo.zip", "sha256": "9f86d081884c7d659a2feaa0c55ad015",
///     "installed_at": "2026-12-01T12:00:00Z"});
/// let text = cli_render::table::plugins(&[row], false, cli_render::Style::plain());
/// assert_eq!(text, "\
/// NAME  TYPE  VERSION  IMAGE  SOURCE       SHA256        INSTALLED
/// neo   task  1.0.0    neo:1  web:neo.zip  9f86d081884c  2026-12-01T12:00:00Z
/// ");
/// ```
pub fn plugins(rows: &[serde_json::Value], wide: bool, style: crate::Style) -> String {
    plugins_at(rows, wide, style, jiff::Timestamp::now())
}

/// [`plugins`] with the time to count `INSTALLED` from (tests).
///
/// ```
/// let row = serde_json::json!({"name": "neo", "installed_at": "2026-12-01T11:00:00Z"});
/// let now = "2026-12-01T12:00:00Z".parse().unwrap();
/// let text = cli_render::table::plugins_at(&[row], false, cli_render::Style::terminal(80, false), now);
/// assert!(text.ends_with("neo   -     -        -      -       -       1 hour ago\n"), "{text}");
/// ```
pub fn plugins_at(
    rows: &[serde_json::Value],
    wide: bool,
    style: crate::Style,
    now: jiff::Timestamp,
) -> String {
    let mut table = Table::new(&PLUGIN_HEADERS).fixed(&PLUGIN_FIXED);
    for r in rows {
        let s = |key: &str| r[key].as_str().unwrap_or_default().to_owned();
        let name = if r["name"].is_null() {
            s("file")
        } else {
            s("name")
        };
        let mut sha = s("sha256");
        if !wide {
            // The receipts may be edited by hand: cut by characters.
            sha = sha.chars().take(12).collect();
        }
        let installed = s("installed_at");
        let installed = if style.tty && !wide {
            crate::time::ago(&installed, now)
        } else {
            installed
        };
        table.row([
            name,
            s("type"),
            s("version"),
            s("image"),
            s("source"),
            sha,
            installed,
        ]);
    }
    table.render(if wide { None } else { style.width })
}

/// `verify`'s findings as a `STATUS FILE` table (`changed`, `missing`,
/// `extra`), nothing when every file matches.
///
/// # Examples
///
/// ```
/// let mut report = plugin_manager::VerifyReport::default();
/// assert_eq!(cli_render::table::verify(&report, cli_render::Style::plain()), "");
/// report.changed.push("optimus-plugin-neo.yaml".into());
/// report.extra.push("stray.txt".into());
/// assert_eq!(cli_render::table::verify(&report, cli_render::Style::plain()), "\
/// STATUS   FILE
/// changed  optimus-plugin-neo.yaml
/// extra    stray.txt
/// ");
/// ```
pub fn verify(report: &plugin_manager::VerifyReport, style: crate::Style) -> String {
    let mut table = Table::new(&["STATUS", "FILE"]).fixed(&[0]);
    for (status, files) in [
        ("changed", &report.changed),
        ("missing", &report.missing),
        ("extra", &report.extra),
    ] {
        for f in files {
            table.row([status, f.as_str()]);
        }
    }
    if table.is_empty() {
        return String::new();
    }
    table.render(style.width)
}

/// `lock`'s result: a `SOURCE SIZE SHA256` table (sizes in binary units,
/// [`crate::bytes`]; exact bytes are in the lock file and `--output json`)
/// and the `FILE: N artifacts pinned` line.
///
/// # Examples
///
/// ```
/// use plugin_manager::{LockFile, LockedArtifact};
/// let lock = LockFile { artifacts: vec![LockedArtifact {
///     source: "dist:bq2bq.tar.gz".into(), sha256: "ab".repeat(32), size: 4_300_000 }] };
/// let text = cli_render::table::lock(&lock, "optimus-plugins.lock".as_ref(), cli_render::Style::plain());
/// assert!(text.starts_with("SOURCE             SIZE     SHA256\ndist:bq2bq.tar.gz  4.1 MiB  abab"), "{text}");
/// assert!(text.ends_with("\noptimus-plugins.lock: 1 artifact pinned\n"), "{text}");
/// ```
pub fn lock(
    lock: &plugin_manager::LockFile,
    path: &std::path::Path,
    style: crate::Style,
) -> String {
    let mut table = Table::new(&["SOURCE", "SIZE", "SHA256"]).fixed(&[1, 2]);
    for a in &lock.artifacts {
        table.row([a.source.clone(), crate::bytes(a.size), a.sha256.clone()]);
    }
    format!(
        "{}{}: {} pinned\n",
        table.render(style.width),
        path.display(),
        crate::count(lock.artifacts.len(), "artifact")
    )
}

/// `list` when the folder holds no installed set.
///
/// ```
/// assert_eq!(cli_render::table::nothing_installed("/app/plugins".as_ref()),
///            "/app/plugins: no plugins installed\n");
/// ```
pub fn nothing_installed(dir: &std::path::Path) -> String {
    format!("{}: no plugins installed\n", dir.display())
}
