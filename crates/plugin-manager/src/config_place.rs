//! Positions for config problems that serde places badly: a missing key is
//! reported at the last key read, so it is moved to the mapping that lacks
//! it (the `-` of its list entry, or the key that owns it); an unknown
//! value or key is named with the key or section it belongs to. Works on
//! the text of block and flow YAML as people write configs; when the shape
//! is not recognised the original position stays.

/// The mapping holding the key written at `line`:`column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    /// An entry of a list: where its `-` (or `{`) is, and the key owning
    /// the list, when found.
    Item {
        line: u64,
        column: u64,
        list: Option<String>,
    },
    /// A key whose value is the mapping.
    Key {
        line: u64,
        column: u64,
        name: String,
    },
}

impl Owner {
    /// `an entry of `providers``, `` `auth` ``.
    pub(crate) fn describe(&self) -> String {
        match self {
            Owner::Item { list: Some(l), .. } => format!("this entry of `{l}`"),
            Owner::Item { list: None, .. } => "this list entry".to_owned(),
            Owner::Key { name, .. } => format!("`{name}`"),
        }
    }

    /// Line, column and marked length.
    pub(crate) fn span(&self) -> (u64, u64, u64) {
        match self {
            Owner::Item { line, column, .. } => (*line, *column, 1),
            Owner::Key { line, column, name } => (*line, *column, chars(name)),
        }
    }
}

pub(crate) fn chars(s: &str) -> u64 {
    u64::try_from(s.chars().count()).unwrap_or(u64::MAX)
}

/// One line split into indentation, `- ` markers and content.
struct Shape<'t> {
    /// 0-based column where the content starts (after `- ` markers).
    content: usize,
    /// 0-based column of the last `-` marker, if any.
    dash: Option<usize>,
    /// The content.
    rest: &'t str,
}

fn shape(line: &str) -> Option<Shape<'_>> {
    let trimmed = line.trim_start_matches(' ');
    if trimmed.trim().is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let mut col = line.len() - trimmed.len();
    let mut rest = trimmed;
    let mut dash = None;
    while rest == "-" || rest.starts_with("- ") {
        dash = Some(col);
        let after = &rest[1..];
        let spaces = after.len() - after.trim_start_matches(' ').len();
        col += 1 + spaces;
        rest = &after[spaces..];
    }
    Some(Shape {
        content: col,
        dash,
        rest,
    })
}

/// The key a line starts with (`name:`), if it does.
fn key_of(rest: &str) -> Option<&str> {
    let end = rest
        .find(": ")
        .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))?;
    let key = rest[..end].trim().trim_matches(['"', '\'']);
    (!key.is_empty() && !key.contains(['{', '[', ','])).then_some(key)
}

/// The key owning the block found above line index `below` whose content
/// starts left of `column` (0-based).
fn owning_key(lines: &[&str], below: usize, column: usize) -> Option<(usize, usize, String)> {
    for i in (0..below).rev() {
        let Some(s) = shape(lines[i]) else { continue };
        if s.content < column {
            return key_of(s.rest).map(|k| (i, s.content, k.to_owned()));
        }
    }
    None
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The mapping that holds the key at `line`:`column` (1-based).
pub(crate) fn owner(text: &str, line: u64, column: u64) -> Option<Owner> {
    let lines: Vec<&str> = text.lines().collect();
    let idx = usize::try_from(line.checked_sub(1)?).ok()?;
    let col = usize::try_from(column.checked_sub(1)?).ok()?;
    let here = lines.get(idx)?;
    // A flow mapping: the unmatched `{` before the column.
    if let Some(before) = here.get(..col) {
        let mut depth = 0usize;
        for (i, c) in before.char_indices().rev() {
            match c {
                '}' => depth += 1,
                '{' if depth == 0 => {
                    let head = before[..i].trim_end();
                    // `key: {...}`: the mapping is that key's value.
                    if let Some(k) = head.strip_suffix(':') {
                        let start = k.rfind(['{', ',', ' ']).map_or(0, |j| j + 1);
                        let name = k[start..].trim_matches(['"', '\'']);
                        if !name.is_empty() && name != "-" {
                            return Some(Owner::Key {
                                line,
                                column: to_u64(start + 1),
                                name: name.to_owned(),
                            });
                        }
                    }
                    // `- {...}`: a list entry.
                    let list = owning_key(&lines, idx, i).map(|(_, _, k)| k);
                    return Some(Owner::Item {
                        line,
                        column: to_u64(i + 1),
                        list,
                    });
                }
                '{' => depth -= 1,
                _ => {}
            }
        }
    }
    for i in (0..=idx).rev() {
        let Some(s) = shape(lines[i]) else { continue };
        if s.content > col {
            continue;
        }
        if s.content == col {
            if let Some(d) = s.dash {
                let list = owning_key(&lines, i, d + 1).map(|(_, _, k)| k);
                return Some(Owner::Item {
                    line: to_u64(i + 1),
                    column: to_u64(d + 1),
                    list,
                });
            }
            continue;
        }
        return key_of(s.rest).map(|k| Owner::Key {
            line: to_u64(i + 1),
            column: to_u64(s.content + 1),
            name: k.to_owned(),
        });
    }
    None
}

/// The key written before the value at `line`:`column` on the same line
/// (`type` for `- type: locl`).
pub(crate) fn key_before(text: &str, line: u64, column: u64) -> Option<String> {
    let here = text
        .lines()
        .nth(usize::try_from(line.checked_sub(1)?).ok()?)?;
    let before = here.get(..usize::try_from(column.checked_sub(1)?).ok()?)?;
    let before = before.trim_end().strip_suffix(':')?;
    let start = before.rfind(['{', ',', '-', ' ']).map_or(0, |i| i + 1);
    let key = before[start..].trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_owned())
}

/// What is written at `line`:`column`: `a list`, `a mapping` or `a value`.
pub(crate) fn kind_at(text: &str, line: u64, column: u64) -> &'static str {
    let at = text
        .lines()
        .nth(usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX))
        .and_then(|l| l.get(usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX)..))
        .unwrap_or("");
    if at.starts_with('-') || at.starts_with('[') {
        "a list"
    } else if at.starts_with('{') || key_of(at).is_some() {
        "a mapping"
    } else {
        "a value"
    }
}

#[cfg(test)]
mod tests {
    use super::{Owner, key_before, kind_at, owner};

    const CFG: &str = "plugins:\n  providers:\n    - name: ex\n      path: .\n    - {name: b}\n  plugins:\n    - provider: ex\n      auth:\n        bearer: x\n";

    #[test]
    fn a_key_of_a_list_entry_belongs_to_the_entry() {
        let o = owner(CFG, 4, 7).unwrap();
        assert_eq!(
            o,
            Owner::Item {
                line: 3,
                column: 5,
                list: Some("providers".into())
            }
        );
        assert_eq!(o.describe(), "this entry of `providers`");
        assert_eq!(owner(CFG, 7, 7).unwrap().span(), (7, 5, 1));
    }

    #[test]
    fn a_nested_key_belongs_to_its_parent_key() {
        let o = owner(CFG, 9, 9).unwrap();
        assert_eq!(o.span(), (8, 7, 4));
        assert_eq!(o.describe(), "`auth`");
        assert_eq!(owner(CFG, 2, 3).unwrap().describe(), "`plugins`");
        assert_eq!(owner(CFG, 1, 1), None);
    }

    #[test]
    fn a_flow_entry_is_found_by_its_brace() {
        let o = owner(CFG, 5, 8).unwrap();
        assert_eq!(o.span(), (5, 7, 1));
        assert_eq!(o.describe(), "this entry of `providers`");
        let o = owner("auth:\n  basic: {username: u}\n", 2, 13).unwrap();
        assert_eq!(o.describe(), "`basic`");
        assert_eq!(o.span(), (2, 3, 5));
    }

    #[test]
    fn values_are_named_by_their_key() {
        assert_eq!(
            key_before("  - type: locl\n", 1, 11).as_deref(),
            Some("type")
        );
        assert_eq!(
            key_before("  - {name: a, type: locl}\n", 1, 20).as_deref(),
            Some("type")
        );
        assert_eq!(kind_at("plugins:\n  - name: x\n", 2, 3), "a list");
        assert_eq!(kind_at("a: b\n", 1, 4), "a value");
    }
}
