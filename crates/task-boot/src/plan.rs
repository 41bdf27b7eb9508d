//! Checks the server's reply before anything touches the disk.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use safe_fs::SafeRelPath;
use secrecy::SecretString;

use crate::envfile::{is_valid_key, render_env_file};
use crate::write::{ENV_FILE, MARKER_FILE, SECRET_FILE};
use crate::{AssetObject, BootError, RunInput};

/// The marker upstream templates leave in a value they could not resolve.
const NO_VALUE: &str = "<no value>";

/// Limits on what one run may write.
///
/// ```
/// let l = task_boot::Limits::default();
/// assert_eq!((l.max_files, l.max_bytes), (10_000, 256 << 20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most files (server files plus assets).
    pub max_files: u64,
    /// Most bytes over all files (server files plus assets).
    pub max_bytes: u64,
}

impl Default for Limits {
    /// 10,000 files and 256 MiB.
    fn default() -> Self {
        Self {
            max_files: 10_000,
            max_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// The largest run-input reply accepted: JSON escaping can grow the
    /// files, so twice the byte limit plus 16 MiB for envs and secrets.
    ///
    /// ```
    /// let l = task_boot::Limits { max_files: 10, max_bytes: 1 << 20 };
    /// assert_eq!(l.max_reply_bytes(), (2 << 20) + (16 << 20));
    /// ```
    pub fn max_reply_bytes(&self) -> u64 {
        self.max_bytes.saturating_mul(2).saturating_add(16 << 20)
    }
}

/// One file to write under `in/`.
pub struct PlannedFile<'a> {
    /// Where, relative to `in/`.
    pub path: SafeRelPath,
    /// The bytes.
    pub content: Cow<'a, [u8]>,
}

impl fmt::Debug for PlannedFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} bytes)", self.path, self.content.len())
    }
}

/// Everything to write, checked. `Debug` shows names and sizes only.
pub struct InputPlan<'a> {
    /// The `.env` text.
    pub env_text: String,
    /// The `.secret` text.
    pub secret_text: SecretString,
    /// Files, sorted by path.
    pub files: Vec<PlannedFile<'a>>,
    /// Number of env entries.
    pub env_count: usize,
    /// Number of secret entries.
    pub secret_count: usize,
    /// Sum of the files' sizes.
    pub file_bytes: u64,
    /// Places still holding `<no value>` (`envs.KEY`, `secrets.KEY`,
    /// `files/NAME`), for a warning.
    pub no_value: Vec<String>,
}

impl fmt::Debug for InputPlan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputPlan")
            .field("env_count", &self.env_count)
            .field("secret_count", &self.secret_count)
            .field("files", &self.files)
            .field("file_bytes", &self.file_bytes)
            .field("no_value", &self.no_value)
            .finish_non_exhaustive()
    }
}

/// Checks the reply (plus any asset objects) and prepares what to write:
/// keys must be shell names, values must not hold NUL, file names must pass
/// [`SafeRelPath`] and must not collide or use the reserved names `.env`,
/// `.secret` and the marker, and the limits hold. With `strict`, a
/// `<no value>` anywhere in envs, secrets or server files is an error;
/// otherwise it is listed in [`InputPlan::no_value`].
///
/// ```
/// use task_boot::{Limits, RunInput};
/// let mut input = RunInput::default();
/// input.files.insert("../etc/passwd".into(), "x".into());
/// let err = task_boot::plan_inputs(&input, Vec::new(), &Limits::default(), false).unwrap_err();
/// assert!(err.to_string().contains("'..'"));
/// ```
pub fn plan_inputs<'a>(
    input: &'a RunInput,
    assets: Vec<AssetObject>,
    limits: &Limits,
    strict: bool,
) -> Result<InputPlan<'a>, BootError> {
    let mut no_value = Vec::new();
    for (key, value) in &input.envs {
        check_entry("envs", key, value)?;
        if value.contains(NO_VALUE) {
            no_value.push(format!("envs.{key}"));
        }
    }
    for (key, value) in input.secrets.exposed() {
        check_entry("secrets", key, value)?;
        if value.contains(NO_VALUE) {
            no_value.push(format!("secrets.{key}"));
        }
    }

    let total_files = (input.files.len() + assets.len()) as u64;
    if total_files > limits.max_files {
        return Err(BootError::Limit {
            what: "number of files",
            limit: limits.max_files,
            actual: total_files,
        });
    }
    let mut files: Vec<PlannedFile<'a>> = Vec::with_capacity(input.files.len() + assets.len());
    let mut bytes = 0u64;
    for (name, content) in &input.files {
        let path = SafeRelPath::new(name).map_err(BootError::UnsafeName)?;
        if content.contains(NO_VALUE) {
            no_value.push(format!("files/{path}"));
        }
        bytes = add_bytes(bytes, content.len(), limits)?;
        files.push(PlannedFile {
            path,
            content: Cow::Borrowed(content.as_bytes()),
        });
    }
    for obj in assets {
        bytes = add_bytes(bytes, obj.content.len(), limits)?;
        files.push(PlannedFile {
            path: obj.path,
            content: Cow::Owned(obj.content),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    check_names(&files)?;

    if strict && !no_value.is_empty() {
        return Err(BootError::NoValue { places: no_value });
    }
    let env_text = render_env_file(input.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let secret_text = SecretString::from(render_env_file(input.secrets.exposed()));
    Ok(InputPlan {
        env_text,
        secret_text,
        files,
        env_count: input.envs.len(),
        secret_count: input.secrets.len(),
        file_bytes: bytes,
        no_value,
    })
}

fn check_entry(map: &'static str, key: &str, value: &str) -> Result<(), BootError> {
    if !is_valid_key(key) {
        return Err(BootError::BadKey {
            map,
            key: key.chars().take(200).collect(),
        });
    }
    if value.contains('\0') {
        return Err(BootError::BadValue {
            map,
            key: key.to_owned(),
            reason: "contains a NUL byte, which no shell variable can hold".into(),
        });
    }
    Ok(())
}

fn add_bytes(sum: u64, more: usize, limits: &Limits) -> Result<u64, BootError> {
    let sum = sum.saturating_add(more as u64);
    if sum > limits.max_bytes {
        return Err(BootError::Limit {
            what: "total size of files in bytes",
            limit: limits.max_bytes,
            actual: sum,
        });
    }
    Ok(sum)
}

/// `files` is sorted; a duplicate sits next to its twin, and a file that is
/// also a folder of another file (`a` and `a/b`) is found through the set of
/// folders.
fn check_names(files: &[PlannedFile<'_>]) -> Result<(), BootError> {
    let mut dirs = BTreeSet::new();
    for f in files {
        let mut cur = f.path.parent();
        while let Some(p) = cur {
            cur = p.parent();
            if !dirs.insert(p) {
                break;
            }
        }
    }
    for (i, f) in files.iter().enumerate() {
        if f.path.depth() == 1 && [ENV_FILE, SECRET_FILE, MARKER_FILE].contains(&f.path.as_str()) {
            return Err(BootError::NameConflict {
                name: f.path.to_string(),
                reason: "is reserved for optimus-init's own files".into(),
            });
        }
        if i > 0 && files[i - 1].path == f.path {
            return Err(BootError::NameConflict {
                name: f.path.to_string(),
                reason: "appears twice (after normalising the name)".into(),
            });
        }
        if dirs.contains(&f.path) {
            return Err(BootError::NameConflict {
                name: f.path.to_string(),
                reason: "is both a file and the folder of another file".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretMap;

    fn input(files: &[(&str, &str)]) -> RunInput {
        RunInput {
            files: files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..RunInput::default()
        }
    }

    fn plan_err(i: &RunInput, limits: Limits) -> String {
        plan_inputs(i, Vec::new(), &limits, false)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn refuses_unsafe_and_colliding_names() {
        let d = Limits::default();
        for (name, want) in [
            ("/etc/passwd", "absolute"),
            ("a/../../x", "'..'"),
            ("a\u{1}b", "forbidden character"),
            ("", "empty"),
            (".env", "reserved"),
            (".secret", "reserved"),
            (MARKER_FILE, "reserved"),
        ] {
            let e = plan_err(&input(&[(name, "x")]), d);
            assert!(e.contains(want), "{name:?}: {e}");
        }
        assert!(
            plan_err(&input(&[("a", "1"), ("a/b", "2")]), d).contains("both a file and the folder")
        );
        assert!(plan_err(&input(&[("a/b", "1"), ("./a//b", "2")]), d).contains("twice"));
        // `.env` below the top level is an ordinary file.
        assert!(plan_inputs(&input(&[("sub/.env", "x")]), Vec::new(), &d, false).is_ok());
    }

    #[test]
    fn limits_hold() {
        let i = input(&[("a", "12345"), ("b", "12345"), ("c", "1")]);
        let e = plan_err(
            &i,
            Limits {
                max_files: 2,
                max_bytes: 100,
            },
        );
        assert!(
            e.contains("number of files: 3 is over the limit of 2"),
            "{e}"
        );
        let e = plan_err(
            &i,
            Limits {
                max_files: 10,
                max_bytes: 10,
            },
        );
        assert!(
            e.contains("total size of files in bytes: 11 is over the limit of 10"),
            "{e}"
        );
        assert!(
            plan_inputs(
                &i,
                Vec::new(),
                &Limits {
                    max_files: 3,
                    max_bytes: 11
                },
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn keys_and_values_checked_without_showing_values() {
        let mut i = RunInput::default();
        i.envs.insert("BAD-KEY".into(), "v".into());
        assert!(plan_err(&i, Limits::default()).contains("envs key \"BAD-KEY\""));
        let i = RunInput {
            secrets: SecretMap::from_plain([("TOKEN".into(), "SENTINEL\0".into())]),
            ..RunInput::default()
        };
        let e = plan_err(&i, Limits::default());
        assert!(
            e.contains("secrets value of TOKEN contains a NUL") && !e.contains("SENTINEL"),
            "{e}"
        );
    }

    #[test]
    fn no_value_warns_or_fails_when_strict() {
        let mut i = input(&[("q.sql", "select <no value>")]);
        i.envs.insert("A".into(), "<no value>".into());
        i.secrets = SecretMap::from_plain([("S".into(), "x<no value>".into())]);
        let plan = plan_inputs(&i, Vec::new(), &Limits::default(), false).unwrap();
        assert_eq!(plan.no_value, ["envs.A", "secrets.S", "files/q.sql"]);
        let e = plan_inputs(&i, Vec::new(), &Limits::default(), true)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unresolved template value \"<no value>\" in: envs.A, secrets.S, files/q.sql"
        );
    }
}
