//! Escapes: `\d`, `\pL`, `\Q...\E`, `\x{..}`, octal and the rest, as Go
//! reads them.

use super::{Expr, Parser, pending_prefix, push_literal};

impl Parser {
    pub(super) fn escape(&mut self) -> Result<Option<Expr>, String> {
        let Some(c) = self.peek() else {
            return Err("trailing backslash at end of expression".into());
        };
        let fixed = |rust: &str| Ok(Some(Expr::atom(rust.to_owned())));
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
                    return Ok(Some(Expr::atom(last_rust)));
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
            'p' | 'P' => self.unicode_class().map(|rust| Some(Expr::atom(rust))),
            _ => Ok(Some(Expr::literal(self.escaped_char()?))),
        }
    }

    /// The character of an escape that stands for one (Go's `parseEscape`),
    /// with the cursor on the character after the backslash.
    pub(super) fn escaped_char(&mut self) -> Result<char, String> {
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
    pub(super) fn unicode_class(&mut self) -> Result<String, String> {
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
}

/// Go's Perl classes, which are ASCII.
pub(super) fn perl_class(c: char) -> &'static str {
    match c {
        'd' => "0-9",
        'D' => "^0-9",
        's' => "\\t\\n\\x0C\\r ",
        'S' => "^\\t\\n\\x0C\\r ",
        'w' => "0-9A-Za-z_",
        _ => "^0-9A-Za-z_",
    }
}

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
