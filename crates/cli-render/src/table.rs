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
/// assert_eq!(t.render(Some(16)), "NAME   IMAGE\nbq2bq  example…\nneo    -\n");
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
    /// narrowed (not below their header, nor 8 columns) until a line fits.
    pub fn render(&self, max: Option<usize>) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        if let Some(max) = max {
            let floor: Vec<usize> = self.headers.iter().map(|h| width(h).max(8)).collect();
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
