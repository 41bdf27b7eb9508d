//! The `.env` / `.secret` format: one `KEY='value'` per entry, sorted by key,
//! a `'` inside a value written as `'\''`. Any POSIX shell reproduces every
//! value byte for byte with `set -a; . ./.env`, because nothing inside single
//! quotes is special to the shell.

use std::path::Path;

use crate::BootError;

/// Whether `key` is a portable shell variable name: `[A-Za-z_][A-Za-z0-9_]*`.
///
/// ```
/// assert!(task_boot::is_valid_key("GCP_PROJECT_1"));
/// assert!(!task_boot::is_valid_key("1X"));
/// assert!(!task_boot::is_valid_key("A-B"));
/// assert!(!task_boot::is_valid_key(""));
/// ```
pub fn is_valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// Renders entries as `KEY='value'` lines sorted by key. Keys must satisfy
/// [`is_valid_key`] and values must not hold NUL ([`crate::plan_inputs`]
/// checks both before anything is written).
///
/// ```
/// let text = task_boot::render_env_file([("B", "it's"), ("A", "$HOME\n`x`")]);
/// assert_eq!(text, "A='$HOME\n`x`'\nB='it'\\''s'\n");
/// ```
pub fn render_env_file<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut entries: Vec<(&str, &str)> = entries.into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let size: usize = entries.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
    let mut out = String::with_capacity(size);
    for (key, value) in entries {
        debug_assert!(is_valid_key(key));
        out.push_str(key);
        out.push_str("='");
        out.push_str(&value.replace('\'', r"'\''"));
        out.push_str("'\n");
    }
    out
}

/// Reads back what [`render_env_file`] wrote (blank lines and `#` comment
/// lines are allowed too). `path` is only used in error messages, which
/// name the file and line but never a value.
///
/// ```
/// # use std::path::Path;
/// let back = task_boot::parse_env_file("A='x'\\''y'\nB='1\n2'\n", Path::new(".env")).unwrap();
/// assert_eq!(back, [("A".to_string(), "x'y".to_string()), ("B".to_string(), "1\n2".to_string())]);
/// assert!(task_boot::parse_env_file("A=$(rm -rf /)\n", Path::new(".env")).is_err());
/// ```
pub fn parse_env_file(text: &str, path: &Path) -> Result<Vec<(String, String)>, BootError> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut line = 1usize;
    let err = |line: usize, message: &str| BootError::EnvFile {
        path: path.to_path_buf(),
        line,
        message: message.to_owned(),
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
            line += 1;
            continue;
        }
        if rest.starts_with('#') {
            let end = rest.find('\n').unwrap_or(rest.len());
            rest = &rest[end..];
            continue;
        }
        let Some((key, after)) = rest.split_once("='") else {
            return Err(err(line, "expected KEY='value'"));
        };
        if !is_valid_key(key) {
            return Err(err(line, "the key is not a valid shell variable name"));
        }
        let start_line = line;
        let mut value = String::new();
        let mut cur = after;
        loop {
            let Some(close) = cur.find('\'') else {
                return Err(err(start_line, "the value's closing quote is missing"));
            };
            let chunk = &cur[..close];
            line += chunk.matches('\n').count();
            value.push_str(chunk);
            cur = &cur[close + 1..];
            if let Some(r) = cur.strip_prefix(r"\''") {
                value.push('\'');
                cur = r;
            } else if let Some(r) = cur.strip_prefix('\n') {
                cur = r;
                line += 1;
                break;
            } else if cur.is_empty() {
                break;
            } else {
                return Err(err(
                    line,
                    "unexpected text after the closing quote (only the format optimus-init writes is read)",
                ));
            }
        }
        out.push((key.to_owned(), value));
        rest = cur;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_values() {
        let values = [
            "",
            "'",
            "''",
            r"'\''",
            "a'b\"c",
            "$HOME ${X} `id` $(id)",
            "back\\slash\\",
            "multi\nline\n",
            "\n",
            "tab\tcr\r",
            "ünïcödé ✓ 日本",
            "<no value>",
        ];
        let entries: Vec<(String, &str)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("K{i:02}"), *v))
            .collect();
        let text = render_env_file(entries.iter().map(|(k, v)| (k.as_str(), *v)));
        let back = parse_env_file(&text, Path::new(".env")).unwrap();
        let want: Vec<(String, String)> = entries
            .iter()
            .map(|(k, v)| (k.clone(), (*v).to_owned()))
            .collect();
        assert_eq!(back, want);
    }

    #[test]
    fn parse_errors_name_file_and_line_not_value() {
        let e = parse_env_file("A='ok'\nB='SENTINEL\n", Path::new("/d/in/.secret"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/d/in/.secret:2:"), "{e}");
        assert!(!e.contains("SENTINEL"), "{e}");
        let e = parse_env_file("A='x'y\n", Path::new(".env"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(".env:1:") && e.contains("after the closing quote"),
            "{e}"
        );
        let e = parse_env_file("1A='x'\n", Path::new(".env"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a valid shell variable name"), "{e}");
    }

    #[test]
    fn output_is_sorted() {
        assert_eq!(render_env_file([("b", "2"), ("a", "1")]), "a='1'\nb='2'\n");
    }
}
