//! `.netrc` parsing, as go-getter honours it: `machine`, `default`,
//! `login`, `password`, `account` and `macdef` tokens, whitespace
//! separated, with `#` comments and `"quoted"` tokens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::ProviderContext;

/// Login and password for one host.
#[derive(Clone)]
pub(crate) struct NetrcEntry {
    pub login: SecretString,
    pub password: SecretString,
}

/// Parsed `.netrc`: per-machine entries and the `default` one.
#[derive(Clone, Default)]
pub(crate) struct Netrc {
    machines: HashMap<String, NetrcEntry>,
    default: Option<NetrcEntry>,
}

impl std::fmt::Debug for Netrc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.machines.keys().collect();
        hosts.sort();
        f.debug_struct("Netrc")
            .field("machines", &hosts)
            .field("default", &self.default.is_some())
            .finish()
    }
}

impl Netrc {
    /// The file named by `NETRC`, else `$HOME/.netrc`.
    pub(crate) fn path(ctx: &ProviderContext) -> Option<PathBuf> {
        ctx.var("NETRC")
            .map(PathBuf::from)
            .or_else(|| ctx.var("HOME").map(|h| Path::new(&h).join(".netrc")))
    }

    /// Reads the netrc file; a missing file is no credentials, an
    /// unreadable one is an error message (without content).
    pub(crate) fn load(path: &Path) -> Result<Option<Netrc>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(Self::parse(&text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Parses netrc text: tokens separated by whitespace, `"quoted tokens"`
    /// (with `\` escapes), `#` comments to the end of the line, and
    /// `macdef NAME` whose body runs to the next blank line (a macro is not
    /// credentials, and the `machine` after it is read as usual).
    pub(crate) fn parse(text: &str) -> Netrc {
        let mut out = Netrc::default();
        let mut lex = Lexer { text, pos: 0 };
        // (machine name or None for default, login, password)
        let mut current: Option<Pending> = None;
        while let Some(tok) = lex.token() {
            match tok.as_str() {
                "machine" => {
                    out.flush(current.take());
                    current = lex.token().map(|m| Pending {
                        machine: Some(m),
                        ..Pending::default()
                    });
                }
                "default" => {
                    out.flush(current.take());
                    current = Some(Pending::default());
                }
                "login" => {
                    let v = lex.token();
                    if let Some(c) = current.as_mut() {
                        c.login = v;
                    }
                }
                "password" => {
                    let v = lex.token();
                    if let Some(c) = current.as_mut() {
                        c.password = v;
                    }
                }
                "account" => {
                    lex.token();
                }
                "macdef" => {
                    out.flush(current.take());
                    lex.skip_macro();
                }
                _ => {}
            }
        }
        out.flush(current.take());
        out
    }

    fn flush(&mut self, pending: Option<Pending>) {
        let Some(p) = pending else { return };
        let entry = NetrcEntry {
            login: SecretString::from(p.login.unwrap_or_default()),
            password: SecretString::from(p.password.unwrap_or_default()),
        };
        match p.machine {
            Some(m) => {
                self.machines.entry(m.to_ascii_lowercase()).or_insert(entry);
            }
            None => {
                if self.default.is_none() {
                    self.default = Some(entry);
                }
            }
        }
    }

    /// Credentials for `host` (exact machine match, else `default`).
    pub(crate) fn lookup(&self, host: &str) -> Option<&NetrcEntry> {
        self.machines
            .get(&host.to_ascii_lowercase())
            .or(self.default.as_ref())
    }
}

/// An entry being read: `machine NAME` (or `default`) and its values.
#[derive(Default)]
struct Pending {
    machine: Option<String>,
    login: Option<String>,
    password: Option<String>,
}

/// Splits netrc text into tokens, keeping enough of the line structure for
/// comments and macro bodies.
struct Lexer<'a> {
    text: &'a str,
    /// Byte offset of the next unread character (always a char boundary).
    pos: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    /// Moves past the end of the current line.
    fn skip_line(&mut self) {
        self.pos = self
            .rest()
            .find('\n')
            .map_or(self.text.len(), |i| self.pos + i + 1);
    }

    /// The next token, or `None` at the end of the text.
    fn token(&mut self) -> Option<String> {
        loop {
            let rest = self.rest();
            let start = rest.find(|c: char| !c.is_whitespace())?;
            self.pos += start;
            if self.rest().starts_with('#') {
                self.skip_line();
                continue;
            }
            break;
        }
        let quoted = self.rest().starts_with('"');
        if quoted {
            self.pos += 1;
        }
        let mut tok = String::new();
        let mut chars = self.rest().char_indices();
        let mut end = self.rest().len();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' if quoted => {
                    end = i + 1;
                    break;
                }
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        tok.push(next);
                    }
                }
                c if !quoted && c.is_whitespace() => {
                    end = i;
                    break;
                }
                c => tok.push(c),
            }
        }
        self.pos += end;
        Some(tok)
    }

    /// Skips a macro definition: the rest of the `macdef NAME` line, then
    /// every line up to and including the next blank one.
    fn skip_macro(&mut self) {
        self.skip_line();
        while self.pos < self.text.len() {
            let line_end = self.rest().find('\n').unwrap_or(self.rest().len());
            let blank = self.rest()[..line_end].trim().is_empty();
            self.skip_line();
            if blank {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn machines_and_default() {
        let n = Netrc::parse(
            "machine a.example login alice password s3cret\n\
             machine B.example\n  login bob\n  password pw2 account x\n\
             default login anon password guest\n",
        );
        let a = n.lookup("a.example").unwrap();
        assert_eq!(a.login.expose_secret(), "alice");
        assert_eq!(a.password.expose_secret(), "s3cret");
        assert_eq!(
            n.lookup("b.example").unwrap().password.expose_secret(),
            "pw2"
        );
        assert_eq!(n.lookup("other").unwrap().login.expose_secret(), "anon");
        assert!(!format!("{n:?}").contains("s3cret"));
    }

    fn password<'a>(n: &'a Netrc, host: &str) -> Option<&'a str> {
        n.lookup(host).map(|e| e.password.expose_secret())
    }

    #[test]
    fn a_macro_ends_at_a_blank_line_and_the_next_machine_is_read() {
        let n = Netrc::parse(
            "machine a.example login alice password pa\n\
             macdef init\n\
             cd /pub\n\
             machine fake.example login mallory password inside-macro\n\
             \n\
             machine b.example login bob password pb\n",
        );
        assert_eq!(password(&n, "a.example"), Some("pa"));
        assert_eq!(password(&n, "b.example"), Some("pb"));
        // The macro body is not credentials.
        assert_eq!(password(&n, "fake.example"), None);
    }

    #[test]
    fn the_machine_right_after_a_macro_keeps_its_credentials() {
        let n = Netrc::parse(
            "macdef init\ncd /pub\nbinary\n\nmachine b.example login bob password pb\n",
        );
        assert_eq!(password(&n, "b.example"), Some("pb"));
        assert!(n.lookup("other").is_none());
    }

    #[test]
    fn a_macro_at_the_end_of_the_file_ends_there() {
        let n = Netrc::parse("machine a login x password y\nmacdef m\necho hi");
        assert_eq!(password(&n, "a"), Some("y"));
        assert!(n.lookup("echo").is_none());
    }

    #[test]
    fn default_applies_to_every_other_host_and_the_first_machine_wins() {
        let n = Netrc::parse(
            "machine a login x password first\n\
             machine A login x password second\n\
             default login anon password guest\n",
        );
        assert_eq!(password(&n, "A"), Some("first"));
        assert_eq!(password(&n, "elsewhere"), Some("guest"));
    }

    #[test]
    fn comments_run_to_the_end_of_the_line() {
        let n = Netrc::parse(
            "# machine old login x password stale\n\
             machine a # the build host\n\
             login x password y # rotated monthly\n\
             machine b login u password p#not-a-comment\n",
        );
        assert!(n.lookup("old").is_none());
        assert_eq!(password(&n, "a"), Some("y"));
        assert_eq!(password(&n, "b"), Some("p#not-a-comment"));
    }

    #[test]
    fn quoted_tokens_keep_spaces_and_escapes() {
        let n = Netrc::parse(
            "machine a login \"svc user\" password \"p w \\\"q\\\" #1\"\n\
             machine b login u password \"\"\n",
        );
        let a = n.lookup("a").unwrap();
        assert_eq!(a.login.expose_secret(), "svc user");
        assert_eq!(a.password.expose_secret(), "p w \"q\" #1");
        assert_eq!(password(&n, "b"), Some(""));
    }

    #[test]
    fn non_ascii_and_unterminated_input_do_not_panic() {
        let n = Netrc::parse("machine é login ü password \"ñ");
        assert_eq!(password(&n, "é"), Some("ñ"));
        let _ = Netrc::parse("macdef");
        let _ = Netrc::parse("machine");
        let _ = Netrc::parse("login x password \\");
    }

    #[test]
    fn no_default_means_no_entry() {
        let n = Netrc::parse("machine a login x password y");
        assert!(n.lookup("b").is_none());
    }
}
