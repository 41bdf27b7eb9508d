//! Bracketed classes: `[a-z]`, `[^\d]`, `[[:alpha:]]`, as Go reads them.

use std::fmt::Write as _;

use super::escape::perl_class;
use super::{Expr, Parser, push_literal};

impl Parser {
    /// A bracketed class; the cursor is after `[`.
    pub(super) fn class(&mut self) -> Result<Expr, String> {
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
        Ok(Expr::atom(rust))
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

const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];
