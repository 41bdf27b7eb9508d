//! Go's regexp syntax, as upstream Optimus compiles a question's `regexp`
//! (`regexp.MustCompile`, RE2 with Perl extensions).
//!
//! Go and Rust's `regex` crate disagree on many patterns: `\Qa.b\E` (a quoted
//! literal) and `a{,3}` (not a repetition, so the literal text `a{,3}`) are
//! valid in Go, `x**`, `a{2}{3}` (stacked repetition) and counts over 1000
//! (also nested ones multiplied: `(a{500}){3}`) are refused by Go. So a
//! pattern is checked by Go's rules here, and translated to an equivalent
//! Rust pattern for checking answers: `\w`, `\d`, `\s` and `\b` are ASCII in
//! Go, `<` and `>` escaped are literals, `[` in a class is a literal.
//!
//! Known gaps (documented in docs/plugin-spec.md): Unicode script names are
//! checked by shape and by Rust's tables, and Go's program-size limit is
//! estimated rather than computed exactly.

use std::collections::HashSet;
use std::fmt::Write as _;

mod class;
mod escape;

/// Go's limit on a repetition count.
const MAX_REPEAT: i64 = 1000;
/// Go's limit on nesting.
const MAX_HEIGHT: usize = 1000;
/// Go's program-size limit (`maxSize`), in instructions.
const MAX_SIZE: u64 = (128 << 20) / 40;

/// Checks `pattern` by Go's rules; `Ok` holds the equivalent Rust pattern,
/// `Err` why Go refuses it.
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let mut p = Parser {
        s: pattern.chars().collect(),
        i: 0,
        depth: 0,
        names: HashSet::new(),
    };
    let e = p.alternation()?;
    if p.i < p.s.len() {
        // Only a `)` stops the top level early.
        return Err("unexpected `)`".into());
    }
    if e.size > MAX_SIZE {
        return Err("expression too large".into());
    }
    Ok(e.rust)
}

/// Repetitions inside an expression, for Go's nested-count rule.
#[derive(Clone, Debug)]
struct Rep {
    /// Go's count for the rule: max, or min when unbounded; 0 stops it.
    count: i64,
    inner: Vec<Rep>,
}

/// A parsed piece: its Rust spelling, estimated Go size and repetitions.
#[derive(Default, Debug)]
struct Expr {
    rust: String,
    size: u64,
    reps: Vec<Rep>,
    /// `(?i)`: flags for the rest of the group, not something to repeat.
    flags_only: bool,
}

impl Expr {
    /// One atom of Go size 1 (a character, a class, an anchor).
    fn atom(rust: String) -> Self {
        Expr {
            rust,
            size: 1,
            ..Expr::default()
        }
    }

    /// One literal character.
    fn literal(c: char) -> Self {
        let mut rust = String::new();
        push_literal(&mut rust, c);
        Expr::atom(rust)
    }
}

struct Parser {
    s: Vec<char>,
    i: usize,
    depth: usize,
    names: HashSet<String>,
}

/// Go's `repeatIsValid`: along every chain of nested repetitions the counts
/// multiplied stay within 1000.
fn repeat_is_valid(r: &Rep, mut n: i64) -> bool {
    if r.count == 0 {
        return true;
    }
    if r.count > n {
        return false;
    }
    if r.count > 0 {
        n /= r.count;
    }
    r.inner.iter().all(|c| repeat_is_valid(c, n))
}

/// A literal character in Rust syntax: letters and digits as they are,
/// anything else as `\x{..}` (never special, inside a class or out).
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric()
        || c == '_'
        || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
    }
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn alternation(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_HEIGHT {
            return Err("expression nests too deeply".into());
        }
        let mut out = self.concat()?;
        while self.peek() == Some('|') {
            self.i += 1;
            let next = self.concat()?;
            out.rust.push('|');
            out.rust.push_str(&next.rust);
            out.size += next.size + 1;
            out.reps.extend(next.reps);
        }
        self.depth -= 1;
        Ok(out)
    }

    fn concat(&mut self) -> Result<Expr, String> {
        let mut out = Expr::default();
        // The last atom, which a repetition applies to.
        let mut last: Option<Expr> = None;
        let mut last_was_repeat = false;
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            if let Some((min, max, len)) = self.repeat_op() {
                let op: String = self.s[self.i..self.i + len].iter().collect();
                if last_was_repeat {
                    return Err(format!("invalid nested repetition operator: `{op}`"));
                }
                let Some(atom) = last.take() else {
                    return Err(format!("missing argument to repetition operator: `{op}`"));
                };
                self.i += len;
                let mut lazy = "";
                if self.peek() == Some('?') {
                    self.i += 1;
                    lazy = "?";
                }
                last = Some(repeat(atom, min, max, &op, lazy)?);
                last_was_repeat = true;
                continue;
            }
            last_was_repeat = false;
            if let Some(done) = last.take() {
                append(&mut out, done);
            }
            match self.atom()? {
                // Go keeps the atom before `(?i)` as the one to repeat.
                Some(flags) if flags.flags_only => match last.as_mut() {
                    Some(prev) => prev.rust.push_str(&flags.rust),
                    None => append(&mut out, flags),
                },
                other => last = other,
            }
        }
        if let Some(done) = last {
            append(&mut out, done);
        }
        Ok(out)
    }

    /// A repetition operator at the cursor: `*`, `+`, `?`, or a valid
    /// `{n}`, `{n,}`, `{n,m}` (anything else starting with `{` is a literal).
    /// Returns (min, max with -1 for none, length in chars). For `*+?` the
    /// counts are marked with min -2 (not a counted repetition).
    fn repeat_op(&self) -> Option<(i64, i64, usize)> {
        match self.peek()? {
            '*' => Some((-2, 0, 1)),
            '+' => Some((-2, 1, 1)),
            '?' => Some((-2, 2, 1)),
            '{' => {
                let mut j = self.i + 1;
                let (min, nj) = self.int_at(j)?;
                j = nj;
                let max;
                if self.s.get(j) == Some(&',') {
                    j += 1;
                    if self.s.get(j) == Some(&'}') {
                        max = -1;
                    } else {
                        let (m, nj) = self.int_at(j)?;
                        max = m;
                        j = nj;
                    }
                } else {
                    max = min;
                }
                if self.s.get(j) != Some(&'}') {
                    return None;
                }
                Some((min, max, j + 1 - self.i))
            }
            _ => None,
        }
    }

    /// Go's `parseInt`: digits without a leading zero; values past 10^8 are -1.
    fn int_at(&self, mut j: usize) -> Option<(i64, usize)> {
        let first = *self.s.get(j)?;
        if !first.is_ascii_digit() {
            return None;
        }
        if first == '0' && self.s.get(j + 1).is_some_and(char::is_ascii_digit) {
            return None;
        }
        let mut n: i64 = 0;
        while let Some(d) = self.s.get(j).and_then(|c| c.to_digit(10)) {
            if n >= 100_000_000 {
                n = -1;
            } else if n >= 0 {
                n = n * 10 + i64::from(d);
            }
            j += 1;
        }
        Some((n, j))
    }

    fn atom(&mut self) -> Result<Option<Expr>, String> {
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        self.i += 1;
        match c {
            '(' => self.group(),
            '[' => self.class().map(Some),
            '\\' => self.escape(),
            '.' | '^' | '$' => Ok(Some(Expr::atom(c.to_string()))),
            _ => Ok(Some(Expr::literal(c))),
        }
    }

    fn group(&mut self) -> Result<Option<Expr>, String> {
        let mut open = String::from("(");
        if self.peek() == Some('?') {
            // Named group: `(?P<name>` or `(?<name>`.
            let named = match (self.at(1), self.at(2)) {
                (Some('P'), Some('<')) => Some(3),
                (Some('<'), Some(c)) if c != '=' && c != '!' => Some(2),
                _ => None,
            };
            if let Some(skip) = named {
                let start = self.i + skip;
                let Some(end) = self.s[start..].iter().position(|&c| c == '>') else {
                    return Err("invalid named capture".into());
                };
                let name: String = self.s[start..start + end].iter().collect();
                if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                    return Err(format!("invalid named capture: `{name}`"));
                }
                if !self.names.insert(name.clone()) {
                    return Err(format!("duplicate capture group name: `{name}`"));
                }
                self.i = start + end + 1;
            } else {
                // Flags, then `)` (flags for the rest) or `:` (a group).
                self.i += 1;
                let mut flags = String::new();
                let mut negated = false;
                let mut saw_flag = false;
                loop {
                    let Some(c) = self.peek() else {
                        return Err("missing closing )".into());
                    };
                    self.i += 1;
                    match c {
                        'i' | 'm' | 's' | 'U' => {
                            flags.push(c);
                            saw_flag = true;
                        }
                        '-' if !negated => {
                            flags.push('-');
                            negated = true;
                            saw_flag = false;
                        }
                        ':' | ')' => {
                            if negated && !saw_flag {
                                return Err("invalid or unsupported Perl syntax: `(?-`".into());
                            }
                            if c == ')' {
                                // Flags for the rest of the enclosing group.
                                let rust = if flags.is_empty() {
                                    String::new()
                                } else {
                                    format!("(?{flags})")
                                };
                                return Ok(Some(Expr {
                                    rust,
                                    flags_only: true,
                                    ..Expr::default()
                                }));
                            }
                            open = if flags.is_empty() {
                                "(?:".into()
                            } else {
                                format!("(?{flags}:")
                            };
                            break;
                        }
                        _ => return Err("invalid or unsupported Perl syntax: `(?`".into()),
                    }
                }
            }
        }
        let inner = self.alternation()?;
        if self.peek() != Some(')') {
            return Err("missing closing )".into());
        }
        self.i += 1;
        Ok(Some(Expr {
            rust: format!("{open}{})", inner.rust),
            size: inner.size + 1,
            reps: inner.reps,
            flags_only: false,
        }))
    }
}

/// `\Qab\E`: the literal `a` goes out before the atom `b`: one atom whose
/// Rust text has a NUL marker before the last character, so `repeat` wraps
/// only that character (and `append` drops the marker).
fn pending_prefix(prefix: &str, last: &str, count: usize) -> Expr {
    Expr {
        rust: format!("{prefix}\u{0}{last}"),
        size: u64::try_from(count).unwrap_or(u64::MAX).saturating_add(1),
        reps: Vec::new(),
        flags_only: false,
    }
}

/// Appends `e` to the concatenation `out`.
fn append(out: &mut Expr, e: Expr) {
    out.rust.push_str(&e.rust.replace('\u{0}', ""));
    out.size = out.size.saturating_add(e.size);
    out.reps.extend(e.reps);
}

/// Applies a repetition to `atom` (min -2: `*`, `+`, `?` by max 0/1/2).
fn repeat(atom: Expr, min: i64, max: i64, op: &str, lazy: &str) -> Result<Expr, String> {
    // `\Qab\E*`: only the last character repeats.
    let (prefix, body) = match atom.rust.split_once('\u{0}') {
        Some((p, b)) => (p.to_owned(), b.to_owned()),
        None => (String::new(), atom.rust.clone()),
    };
    if min == -2 {
        let sym = match max {
            0 => '*',
            1 => '+',
            _ => '?',
        };
        return Ok(Expr {
            rust: format!("{prefix}(?:{body}){sym}{lazy}"),
            size: atom.size.saturating_add(1),
            reps: atom.reps,
            flags_only: false,
        });
    }
    if !(0..=MAX_REPEAT).contains(&min) || max > MAX_REPEAT || (max >= 0 && min > max) {
        return Err(format!("invalid repeat count: `{op}`"));
    }
    let node = Rep {
        count: if max < 0 { min } else { max },
        inner: atom.reps,
    };
    if (min >= 2 || max >= 2) && !repeat_is_valid(&node, MAX_REPEAT) {
        return Err(format!("invalid repeat count: `{op}`"));
    }
    let times = u64::try_from(min.max(max).max(1)).unwrap_or(1);
    let counts = if max < 0 {
        format!("{{{min},}}")
    } else if max == min {
        format!("{{{min}}}")
    } else {
        format!("{{{min},{max}}}")
    };
    Ok(Expr {
        rust: format!("{prefix}(?:{body}){counts}{lazy}"),
        size: atom.size.saturating_mul(times).saturating_add(1),
        reps: vec![node],
        flags_only: false,
    })
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn ok(p: &str) -> String {
        translate(p).unwrap_or_else(|e| panic!("Go accepts `{p}` but we refused: {e}"))
    }

    #[test]
    fn go_accepts_what_rust_refuses_and_we_translate_it() {
        for (go, input, matches) in [
            (r"\Qa.b\E", "a.b", true),
            (r"\Qa.b\E", "axb", false),
            (r"^a{,3}$", "a{,3}", true),
            (r"^a{,3}$", "aaa", false),
            (r"^x\<y\>$", "x<y>", true),
            (r"^[[a]+$", "[a[", true),
            (r"^\w+$", "été", false),
            (r"^a{01}$", "a{01}", true),
            (r"(?P<1st>a)", "a", true),
            (r"^\Qab\E*$", "abbb", true),
            (r"^\Qab\E*$", "abab", false),
        ] {
            let rust = ok(go);
            let re = regex::Regex::new(&rust).unwrap_or_else(|e| panic!("{go} -> {rust}: {e}"));
            assert_eq!(re.is_match(input), matches, "{go} -> {rust} on {input}");
        }
    }

    #[test]
    fn go_refuses() {
        for p in [
            "a{1001}",
            "(a{500}){3}",
            "((a{500})*){3}",
            "x**",
            "x*+",
            "a{2}{3}",
            "x*??",
            "a{2,1}",
            "*a",
            "(",
            ")",
            "[a",
            "[z-a]",
            r"\8",
            r"\1",
            r"\e",
            r"\C",
            "(?=a)",
            "(?<!a)b",
            "(?P<n>a)(?P<n>b)",
            r"\p{Greekish}",
            r"\p{greek}",
            "[[:alphabet:]]",
            "(?-)",
            "a\\",
        ] {
            assert!(translate(p).is_err(), "Go refuses `{p}`");
        }
    }

    #[test]
    fn ordinary_patterns_pass() {
        for p in [
            "",
            "^[a-zA-Z0-9_\\-]+$",
            "^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
            "a{1000}",
            "(a{10}){100}",
            "a{1000,}",
            "x*?y+?z??",
            "a{2}?",
            "(?i)abc",
            "(?i:a)b",
            "(?s-m:.)",
            "\\p{Greek}\\pL\\p{^L}\\PL",
            "[[:alpha:][:^digit:]]",
            "\\x41\\x{263A}\\101\\0",
            "(?<name>a)",
            "^*",
            "[]a]",
            "[^]a]",
            "\\.\\-\\_\\ ",
        ] {
            let rust = ok(p);
            assert!(regex::Regex::new(&rust).is_ok(), "{p} -> {rust}");
        }
    }
}
