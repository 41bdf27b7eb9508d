//! Secret values in the config: inline, from an env var, or from a file.

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::{ConfigError, SecretProblem};
use crate::{ProviderContext, RepoError};

fn secret_err(what: &str, problem: SecretProblem) -> RepoError {
    RepoError::Config(ConfigError::Secret {
        what: what.to_owned(),
        problem,
    })
}

/// A secret given in the config in one of three ways, so that a ConfigMap
/// need hold no secret:
///
/// ```yaml
/// token: "inline value"          # or {value: "inline value"}
/// token: {env: PLUGIN_TOKEN}     # the value of an environment variable
/// token: {file: /var/run/token}  # a file's content (relative to the config dir),
///                                # trailing newline removed
/// ```
///
/// `Debug` never shows the inline value.
#[derive(Clone)]
pub enum SecretValue {
    /// The secret itself.
    Inline(SecretString),
    /// Name of an environment variable holding the secret.
    Env(String),
    /// Path of a file holding the secret.
    File(PathBuf),
}

impl SecretValue {
    /// An inline secret.
    ///
    /// ```
    /// let s = plugin_repo::SecretValue::inline("t0k");
    /// assert!(!format!("{s:?}").contains("t0k"));
    /// ```
    pub fn inline(value: impl Into<String>) -> Self {
        SecretValue::Inline(SecretString::from(value.into()))
    }

    /// Reads the secret. `what` names it in errors (e.g. `provider "x":
    /// auth.bearer`); the error never contains the value.
    ///
    /// ```
    /// use plugin_repo::{ProviderContext, SecretValue};
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("token"), "t0k\n")?;
    /// let ctx = ProviderContext::new(dir.path());
    /// let err = SecretValue::Env("NOT_SET".into()).resolve(&ctx, "auth.bearer").unwrap_err();
    /// assert!(err.to_string().contains("NOT_SET"));
    /// let from_file = SecretValue::File(dir.path().join("token")).resolve(&ctx, "auth.bearer")?;
    /// assert!(secrecy::ExposeSecret::expose_secret(&from_file).starts_with("t0k"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, ctx: &ProviderContext, what: &str) -> Result<SecretString, RepoError> {
        match self {
            SecretValue::Inline(s) => Ok(s.clone()),
            SecretValue::Env(name) => ctx
                .var(name)
                .map(SecretString::from)
                .ok_or_else(|| secret_err(what, SecretProblem::EnvUnset(name.clone()))),
            SecretValue::File(path) => {
                let full = ctx.resolve_path(path);
                let text = std::fs::read_to_string(&full).map_err(|source| {
                    secret_err(
                        what,
                        SecretProblem::Unreadable {
                            path: full.clone(),
                            source,
                        },
                    )
                })?;
                let trimmed = text.trim_end_matches(['\n', '\r']);
                if trimmed.is_empty() {
                    return Err(secret_err(what, SecretProblem::Empty(full)));
                }
                Ok(SecretString::from(trimmed.to_owned()))
            }
        }
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretValue::Inline(_) => f.write_str("SecretValue::Inline([REDACTED])"),
            SecretValue::Env(name) => write!(f, "SecretValue::Env({name:?})"),
            SecretValue::File(path) => write!(f, "SecretValue::File({path:?})"),
        }
    }
}

// Hand-written (not `#[serde(untagged)]`) so the YAML deserializer streams
// straight through and keeps line:column in its errors.
impl<'de> serde::Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a secret: a string, or a map with one of `value`, `env`, `file`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretValue, E> {
                Ok(SecretValue::inline(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<SecretValue, E> {
                Ok(SecretValue::Inline(SecretString::from(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretValue, A::Error> {
                let mut out: Option<SecretValue> = None;
                while let Some(key) = map.next_key::<String>()? {
                    if out.is_some() {
                        return Err(de::Error::custom(format!(
                            "a secret takes exactly one of `value`, `env`, `file`; `{key}` is one too many"
                        )));
                    }
                    out = Some(match key.as_str() {
                        "value" => {
                            SecretValue::Inline(SecretString::from(map.next_value::<String>()?))
                        }
                        "env" => SecretValue::Env(map.next_value::<String>()?),
                        "file" => SecretValue::File(map.next_value::<PathBuf>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["value", "env", "file"]));
                        }
                    });
                }
                out.ok_or_else(|| de::Error::custom("a secret needs one of `value`, `env`, `file`"))
            }
        }
        d.deserialize_any(V)
    }
}
