//! A relative path that is known to stay inside the folder it is joined to.

use std::fmt;
use std::path::{Path, PathBuf};

/// Longest accepted path, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest accepted single component, in bytes (Linux `NAME_MAX`).
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Deepest accepted nesting.
pub const MAX_DEPTH: usize = 64;

/// Why a path was refused. The message quotes the path (escaped) and says
/// what is wrong with it.
///
/// ```
/// use safe_fs::{PathError, SafeRelPath};
/// assert!(matches!(SafeRelPath::new("../etc/passwd"), Err(PathError::ParentDir(_))));
/// assert!(matches!(SafeRelPath::new("/etc/passwd"), Err(PathError::Absolute(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// Empty, or only `.` and `/` parts.
    #[error("path {0:?} is empty")]
    Empty(String),
    /// Starts with `/`, `\` or a drive letter.
    #[error("path {0:?} is absolute; only relative paths are allowed")]
    Absolute(String),
    /// Has a `..` part.
    #[error("path {0:?} contains '..', which could escape the target folder")]
    ParentDir(String),
    /// Has a NUL, a control character or a backslash.
    #[error("path {path:?} contains a forbidden character {ch:?}")]
    ForbiddenChar {
        /// The offending path.
        path: String,
        /// The offending character.
        ch: char,
    },
    /// Longer than [`MAX_PATH_BYTES`], a part longer than
    /// [`MAX_COMPONENT_BYTES`], or deeper than [`MAX_DEPTH`].
    #[error("path {path:?} is too long: {what}")]
    TooLong {
        /// The offending path, cut to 200 characters.
        path: String,
        /// Which limit was passed.
        what: String,
    },
}

/// A normalised relative path: no empty, `.` or `..` parts, no absolute
/// prefix, no control characters or backslashes, within the length limits.
/// Joining it to a folder can never name anything outside that folder
/// (symlinks inside the folder aside: callers that create files must not
/// follow links they did not make).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = safe_fs::SafeRelPath::new("conf/./app.yaml").unwrap();
/// assert_eq!(p.join_to(dir.path()), dir.path().join("conf").join("app.yaml"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SafeRelPath {
    normalized: String,
}

impl SafeRelPath {
    /// Checks and normalises `raw` (`./a//b/` becomes `a/b`).
    ///
    /// ```
    /// # use safe_fs::SafeRelPath;
    /// assert_eq!(SafeRelPath::new("a/./b/").unwrap().as_str(), "a/b");
    /// assert!(SafeRelPath::new("a/../../b").is_err());
    /// assert!(SafeRelPath::new("C:/x").is_err());
    /// ```
    pub fn new(raw: &str) -> Result<Self, PathError> {
        let shown = || truncate(raw);
        if raw.len() > MAX_PATH_BYTES {
            return Err(PathError::TooLong {
                path: shown(),
                what: format!("{} bytes, the limit is {MAX_PATH_BYTES}", raw.len()),
            });
        }
        if let Some(ch) = raw.chars().find(|c| c.is_control() || *c == '\\') {
            return Err(PathError::ForbiddenChar { path: shown(), ch });
        }
        let bytes = raw.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        if raw.starts_with('/') || drive {
            return Err(PathError::Absolute(shown()));
        }
        let mut parts = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(PathError::ParentDir(shown())),
                p if p.len() > MAX_COMPONENT_BYTES => {
                    return Err(PathError::TooLong {
                        path: shown(),
                        what: format!(
                            "a part has {} bytes, the limit is {MAX_COMPONENT_BYTES}",
                            p.len()
                        ),
                    });
                }
                p => parts.push(p),
            }
        }
        if parts.is_empty() {
            return Err(PathError::Empty(shown()));
        }
        if parts.len() > MAX_DEPTH {
            return Err(PathError::TooLong {
                path: shown(),
                what: format!("{} levels deep, the limit is {MAX_DEPTH}", parts.len()),
            });
        }
        Ok(Self {
            normalized: parts.join("/"),
        })
    }

    /// The normalised path, `/`-separated.
    ///
    /// ```
    /// assert_eq!(safe_fs::SafeRelPath::new("a//b/").unwrap().as_str(), "a/b");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// The parts, outermost first.
    ///
    /// ```
    /// let p = safe_fs::SafeRelPath::new("a/b/c").unwrap();
    /// assert_eq!(p.components().collect::<Vec<_>>(), ["a", "b", "c"]);
    /// ```
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.normalized.split('/')
    }

    /// The last part.
    ///
    /// ```
    /// assert_eq!(safe_fs::SafeRelPath::new("a/b.sql").unwrap().file_name(), "b.sql");
    /// ```
    pub fn file_name(&self) -> &str {
        self.normalized
            .rsplit('/')
            .next()
            .unwrap_or(&self.normalized)
    }

    /// Number of parts.
    ///
    /// ```
    /// assert_eq!(safe_fs::SafeRelPath::new("a/b/c").unwrap().depth(), 3);
    /// ```
    pub fn depth(&self) -> usize {
        self.components().count()
    }

    /// The folder holding this path, or `None` at the top level.
    ///
    /// ```
    /// let p = safe_fs::SafeRelPath::new("a/b/c").unwrap();
    /// assert_eq!(p.parent().unwrap().as_str(), "a/b");
    /// assert!(safe_fs::SafeRelPath::new("top").unwrap().parent().is_none());
    /// ```
    pub fn parent(&self) -> Option<SafeRelPath> {
        self.normalized.rsplit_once('/').map(|(p, _)| Self {
            normalized: p.to_owned(),
        })
    }

    /// `root` joined with this path; always inside `root`.
    ///
    /// ```
    /// let p = safe_fs::SafeRelPath::new("in/query.sql").unwrap();
    /// assert_eq!(p.join_to("/job".as_ref()), std::path::Path::new("/job/in/query.sql"));
    /// ```
    pub fn join_to(&self, root: &Path) -> PathBuf {
        let mut out = root.to_path_buf();
        for c in self.components() {
            out.push(c);
        }
        out
    }
}

impl fmt::Display for SafeRelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

impl fmt::Debug for SafeRelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeRelPath({:?})", self.normalized)
    }
}

fn truncate(raw: &str) -> String {
    raw.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_dots_and_slashes() {
        assert_eq!(SafeRelPath::new("./a//b/./c/").unwrap().as_str(), "a/b/c");
        assert_eq!(SafeRelPath::new("a/b").unwrap().file_name(), "b");
        assert_eq!(
            SafeRelPath::new("a/b").unwrap().parent().unwrap().as_str(),
            "a"
        );
        assert!(SafeRelPath::new("a").unwrap().parent().is_none());
    }

    #[test]
    fn refuses_escapes_and_odd_names() {
        let cases = [
            ("", "empty"),
            ("./", "empty"),
            ("/etc/passwd", "absolute"),
            ("C:\\x", "forbidden character"),
            ("c:/x", "absolute"),
            ("a/../../b", "'..'"),
            ("..", "'..'"),
            ("a\\..\\b", "forbidden character"),
            ("a\0b", "forbidden character"),
            ("a\nb", "forbidden character"),
            ("a\u{7f}b", "forbidden character"),
        ];
        for (raw, want) in cases {
            let err = SafeRelPath::new(raw).unwrap_err().to_string();
            assert!(err.contains(want), "{raw:?}: {err}");
        }
    }

    #[test]
    fn enforces_length_limits() {
        let long_part = "x".repeat(MAX_COMPONENT_BYTES + 1);
        assert!(
            SafeRelPath::new(&long_part)
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
        let deep = vec!["d"; MAX_DEPTH + 1].join("/");
        assert!(
            SafeRelPath::new(&deep)
                .unwrap_err()
                .to_string()
                .contains("levels deep")
        );
        let huge = "y/".repeat(MAX_PATH_BYTES);
        assert!(SafeRelPath::new(&huge).is_err());
        assert!(SafeRelPath::new(&"z".repeat(MAX_COMPONENT_BYTES)).is_ok());
    }

    #[test]
    fn join_stays_inside_root() {
        let p = SafeRelPath::new("a/b.yaml").unwrap();
        assert_eq!(p.join_to(Path::new("/r")), PathBuf::from("/r/a/b.yaml"));
    }
}
