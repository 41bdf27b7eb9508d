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
        let simple = |rust: &str| {
            Ok(Some(Expr {
                rust: rust.to_owned(),
                size: 1,
                reps: Vec::new(),
                flags_only: false,
            }))
        };
        match c {
            '(' => self.group(),
            '[' => self.class().map(Some),
            '\\' => self.escape(),
            '.' => simple("."),
            '^' => simple("^"),
            '$' => simple("$"),
            _ => {
                let mut rust = String::new();
                push_literal(&mut rust, c);
                Ok(Some(Expr {
                    rust,
                    size: 1,
                    reps: Vec::new(),
                    flags_only: false,
                }))
            }
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

    fn escape(&mut self) -> Result<Option<Expr>, String> {
        let Some(c) = self.peek() else {
            return Err("trailing backslash at end of expression".into());
        };
        let fixed = |rust: &str| {
            Ok(Some(Expr {
                rust: rust.to_owned(),
                size: 1,
                reps: Vec::new(),
                flags_only: false,
            }))
        };
        match c {
            'A' | 'z' => {
                self.i += 1;
                fixed(if c == 'A' { "\\A" } else { "\\z" })
            }
            'b' => {
                self.i += 1;
                fixed("(?-u:\\b)")
            }
            'B' => {
                self.i += 1;
                fixed("(?-u:\\B)")
            }
            'Q' => {
                // A literal up to `\E` or the end of the pattern; each
                // character its own atom, so a repetition takes the last.
                self.i += 1;
                let tail = &self.s[self.i..];
                let end = tail.windows(2).position(|w| w == ['\\', 'E']);
                let lit: Vec<char> = match end {
                    Some(e) => tail[..e].to_vec(),
                    None => tail.to_vec(),
                };
                self.i += lit.len() + if end.is_some() { 2 } else { 0 };
                let Some((&last, init)) = lit.split_last() else {
                    return Ok(Some(Expr::default()));
                };
                // The characters before the last are emitted as a group of
                // their own; the caller sees only the last as the atom.
                let mut rust = String::new();
                for &c in init {
                    push_literal(&mut rust, c);
                }
                let mut last_rust = String::new();
                push_literal(&mut last_rust, last);
                if init.is_empty() {
                    return Ok(Some(Expr {
                        rust: last_rust,
                        size: 1,
                        reps: Vec::new(),
                        flags_only: false,
                    }));
                }
                // `(?:init)` then the last character inside one atom would
                // let a repetition take them all; emit `init` then mark the
                // last one by wrapping only it (the repetition wraps the atom).
                Ok(Some(pending_prefix(&rust, &last_rust, init.len())))
            }
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                self.i += 1;
                fixed(&format!("[{}]", perl_class(c)))
            }
            'p' | 'P' => self.unicode_class().map(|rust| {
                Some(Expr {
                    rust,
                    size: 1,
                    reps: Vec::new(),
                    flags_only: false,
                })
            }),
            _ => {
                let ch = self.escaped_char()?;
                let mut rust = String::new();
                push_literal(&mut rust, ch);
                Ok(Some(Expr {
                    rust,
                    size: 1,
                    reps: Vec::new(),
                    flags_only: false,
                }))
            }
        }
    }

    /// The character of an escape that stands for one (Go's `parseEscape`),
    /// with the cursor on the character after the backslash.
    fn escaped_char(&mut self) -> Result<char, String> {
        let Some(c) = self.peek() else {
            return Err("trailing backslash at end of expression".into());
        };
        self.i += 1;
        let bad = |text: String| Err(format!("invalid escape sequence: `\\{text}`"));
        match c {
            '1'..='7' if !self.peek().is_some_and(|d| ('0'..='7').contains(&d)) => {
                // A back-reference, which RE2 does not have.
                bad(c.to_string())
            }
            '0'..='7' => {
                let mut v = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.i += 1;
                        }
                        None => break,
                    }
                }
                Ok(char::from_u32(v).unwrap_or('\0'))
            }
            'x' => {
                if self.peek() == Some('{') {
                    self.i += 1;
                    let start = self.i;
                    let mut v: u32 = 0;
                    while let Some(d) = self.peek().and_then(|d| d.to_digit(16)) {
                        v = v.saturating_mul(16).saturating_add(d);
                        self.i += 1;
                        if v > 0x0010_FFFF {
                            return bad("x{...}".into());
                        }
                    }
                    if self.i == start || self.peek() != Some('}') {
                        return bad("x{...".into());
                    }
                    self.i += 1;
                    return char::from_u32(v).ok_or_else(|| "invalid escape sequence".to_owned());
                }
                let hi = self.peek().and_then(|d| d.to_digit(16));
                let lo = self.at(1).and_then(|d| d.to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        self.i += 2;
                        Ok(char::from_u32(h * 16 + l).unwrap_or('\0'))
                    }
                    _ => bad("x".into()),
                }
            }
            'a' => Ok('\u{7}'),
            'f' => Ok('\u{c}'),
            'n' => Ok('\n'),
            'r' => Ok('\r'),
            't' => Ok('\t'),
            'v' => Ok('\u{b}'),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c),
            c => bad(c.to_string()),
        }
    }

    /// `\pL`, `\p{Greek}`, `\p{^Greek}`, `\PL` (cursor on `p`/`P`).
    fn unicode_class(&mut self) -> Result<String, String> {
        let negated_p = self.peek() == Some('P');
        self.i += 1;
        let name: String = match self.peek() {
            None => return Err("invalid character class range: `\\p`".into()),
            Some('{') => {
                let start = self.i + 1;
                let Some(end) = self.s[start..].iter().position(|&c| c == '}') else {
                    return Err("invalid character class range: `\\p{`".into());
                };
                self.i = start + end + 1;
                self.s[start..start + end].iter().collect()
            }
            Some(c) => {
                self.i += 1;
                c.to_string()
            }
        };
        let (negated, bare) = match name.strip_prefix('^') {
            Some(rest) => (!negated_p, rest.to_owned()),
            None => (negated_p, name.clone()),
        };
        if !go_unicode_class(&bare) {
            return Err(format!("invalid character class range: `\\p{{{name}}}`"));
        }
        let letter = if negated { 'P' } else { 'p' };
        Ok(format!("\\{letter}{{{bare}}}"))
    }

    /// A bracketed class; the cursor is after `[`.
    fn class(&mut self) -> Result<Expr, String> {
        let mut rust = String::from("[");
        if self.peek() == Some('^') {
            self.i += 1;
            rust.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err("missing closing ]".into());
            };
            if c == ']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            // `[:alpha:]`
            if c == '[' && self.at(1) == Some(':') {
                let start = self.i + 2;
                if let Some(end) = self.s[start..].windows(2).position(|w| w == [':', ']']) {
                    let name: String = self.s[start..start + end].iter().collect();
                    let bare = name.strip_prefix('^').unwrap_or(&name);
                    if !POSIX_CLASSES.contains(&bare) {
                        return Err(format!("invalid character class range: `[:{name}:]`"));
                    }
                    let _ = write!(rust, "[:{name}:]");
                    self.i = start + end + 2;
                    continue;
                }
            }
            if c == '\\' {
                match self.at(1) {
                    Some(k @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                        self.i += 2;
                        let _ = write!(rust, "[{}]", perl_class(k));
                        continue;
                    }
                    Some('p' | 'P') => {
                        self.i += 1;
                        let u = self.unicode_class()?;
                        rust.push_str(&u);
                        continue;
                    }
                    _ => {}
                }
            }
            let lo = self.class_char()?;
            let mut hi = lo;
            if self.peek() == Some('-') && self.at(1).is_some_and(|c| c != ']') {
                self.i += 1;
                hi = self.class_char()?;
                if hi < lo {
                    return Err(format!("invalid character class range: `{lo}-{hi}`"));
                }
            }
            push_literal(&mut rust, lo);
            if hi != lo {
                rust.push('-');
                push_literal(&mut rust, hi);
            }
        }
        rust.push(']');
        Ok(Expr {
            rust,
            size: 1,
            reps: Vec::new(),
            flags_only: false,
        })
    }

    fn class_char(&mut self) -> Result<char, String> {
        let Some(c) = self.peek() else {
            return Err("missing closing ]".into());
        };
        self.i += 1;
        if c == '\\' {
            return self.escaped_char();
        }
        Ok(c)
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

/// Go's Perl classes, which are ASCII.
fn perl_class(c: char) -> &'static str {
    match c {
        'd' => "0-9",
        'D' => "^0-9",
        's' => "\\t\\n\\x0C\\r ",
        'S' => "^\\t\\n\\x0C\\r ",
        'w' => "0-9A-Za-z_",
        _ => "^0-9A-Za-z_",
    }
}

const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Go's Unicode general categories.
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// Whether Go knows the Unicode class `name`: `Any`, a category, or a
/// script written as Go's table names it (`Greek`, `Old_Italic`).
fn go_unicode_class(name: &str) -> bool {
    if name == "Any" || CATEGORIES.contains(&name) {
        return true;
    }
    let shaped = name.split('_').all(|part| {
        let mut cs = part.chars();
        cs.next().is_some_and(|c| c.is_ascii_uppercase()) && cs.all(|c| c.is_ascii_alphabetic())
    });
    shaped && regex::Regex::new(&format!("\\p{{sc={name}}}")).is_ok()
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
