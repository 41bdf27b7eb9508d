//! `optimus-plugins.lock`: the resolved sha256 and size of every artifact,
//! kept beside the config and read by `install` (and required by
//! `install --locked`).
//!
//! The format is YAML, one short block per artifact, sorted by source, so a
//! change reads well in a diff:
//!
//! ```yaml
//! # optimus-plugins.lock: written by `optimus-plugin lock`; commit it with the config.
//! version: 1
//! artifacts:
//!   - source: "dist:bq2bq.tar.gz"
//!     sha256: "5f1d...c0"
//!     size: 10240
//! ```

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{normalize_sha256, yaml_error};
use crate::error::{Error, Result};

/// The lock file.
///
/// ```
/// use plugin_manager::{LockFile, LockedArtifact};
/// let lock = LockFile { artifacts: vec![LockedArtifact {
///     source: "dist:a.tar.gz".into(), sha256: "ab".repeat(32), size: 3 }] };
/// let text = lock.to_yaml();
/// assert_eq!(LockFile::from_str(&text, "optimus-plugins.lock").unwrap(), lock);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockFile {
    /// One entry per artifact, sorted by source.
    pub artifacts: Vec<LockedArtifact>,
}

/// One pinned artifact.
///
/// ```
/// use plugin_manager::{LockFile, LockedArtifact};
/// let lock = LockFile { artifacts: vec![LockedArtifact {
///     source: "dist:a.tar.gz".into(), sha256: "ab".repeat(32), size: 3 }] };
/// assert_eq!(lock.get("dist:a.tar.gz").unwrap().size, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedArtifact {
    /// The artifact's source key (as in receipts).
    pub source: String,
    /// sha256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    version: u32,
    #[serde(default)]
    artifacts: Vec<LockedArtifact>,
}

impl LockFile {
    /// Reads a lock file; `Ok(None)` if it does not exist.
    ///
    /// ```
    /// use plugin_manager::{LockFile, LockedArtifact};
    /// let lock = LockFile { artifacts: vec![LockedArtifact {
    ///     source: "dist:a.tar.gz".into(), sha256: "ab".repeat(32), size: 3 }] };
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("optimus-plugins.lock");
    /// assert_eq!(LockFile::read(&path).unwrap(), None);
    /// std::fs::write(&path, lock.to_yaml()).unwrap();
    /// assert_eq!(LockFile::read(&path).unwrap(), Some(lock));
    /// ```
    pub fn read(path: &Path) -> Result<Option<LockFile>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_str(&text, &path.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Config(format!(
                "cannot read lock file {}: {e}",
                path.display()
            ))),
        }
    }

    /// Parses lock file text; `origin` names it in messages.
    ///
    /// ```
    /// let err = plugin_manager::LockFile::from_str("version: 2\n", "optimus-plugins.lock").unwrap_err();
    /// assert!(err.to_string().contains("version 2 is not supported"), "{err}");
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &str) -> Result<LockFile> {
        let raw: Raw = serde_saphyr::from_str(text).map_err(|e| yaml_error(origin, &e))?;
        if raw.version != 1 {
            return Err(Error::Config(format!(
                "{origin}: lock file version {} is not supported (expected 1)",
                raw.version
            )));
        }
        let mut artifacts = raw.artifacts;
        for a in &mut artifacts {
            a.sha256 = normalize_sha256(&a.sha256)
                .map_err(|m| Error::Config(format!("{origin}: {}: {m}", a.source)))?;
        }
        artifacts.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(LockFile { artifacts })
    }

    /// The pin for `source`, if any.
    ///
    /// ```
    /// use plugin_manager::{LockFile, LockedArtifact};
    /// let lock = LockFile { artifacts: vec![LockedArtifact {
    ///     source: "dist:a.tar.gz".into(), sha256: "ab".repeat(32), size: 3 }] };
    /// assert!(lock.get("dist:a.tar.gz").is_some());
    /// assert!(lock.get("dist:b.tar.gz").is_none());
    /// ```
    pub fn get(&self, source: &str) -> Option<&LockedArtifact> {
        self.artifacts.iter().find(|a| a.source == source)
    }

    /// The file text (sorted, quoted, stable).
    ///
    /// ```
    /// use plugin_manager::{LockFile, LockedArtifact};
    /// let lock = LockFile { artifacts: vec![LockedArtifact {
    ///     source: "dist:a.tar.gz".into(), sha256: "ab".repeat(32), size: 3 }] };
    /// let text = lock.to_yaml();
    /// assert!(text.contains("source: \"dist:a.tar.gz\""), "{text}");
    /// ```
    pub fn to_yaml(&self) -> String {
        let mut sorted = self.artifacts.clone();
        sorted.sort_by(|a, b| a.source.cmp(&b.source));
        let mut out = String::from(
            "# optimus-plugins.lock: written by `optimus-plugin lock`; commit it with the config.\nversion: 1\n",
        );
        if sorted.is_empty() {
            out.push_str("artifacts: []\n");
            return out;
        }
        out.push_str("artifacts:\n");
        for a in &sorted {
            let _ = write!(
                out,
                "  - source: {}\n    sha256: {}\n    size: {}\n",
                quoted(&a.source),
                quoted(&a.sha256),
                a.size
            );
        }
        out
    }
}

/// `s` as a YAML double-quoted scalar: every character kept, `"`, `\` and
/// control characters escaped (cannot fail, unlike a serialiser call).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_spelling_survives_the_round_trip() {
        let sources = [
            "dist:a.tar.gz",
            "dist:with \"quotes\" and \\ back\\slash",
            "dist:line\nbreak\ttab\u{7}bell\u{85}next",
            "https://h/ünïcødé/🦀.zip",
            "dist:#not-a-comment: {x}",
        ];
        let lock = LockFile {
            artifacts: sources
                .iter()
                .map(|s| LockedArtifact {
                    source: (*s).to_owned(),
                    sha256: "ab".repeat(32),
                    size: 1,
                })
                .collect(),
        };
        let back = LockFile::from_str(&lock.to_yaml(), "t.lock").unwrap();
        let mut want: Vec<&str> = sources.to_vec();
        want.sort_unstable();
        let got: Vec<&str> = back.artifacts.iter().map(|a| a.source.as_str()).collect();
        assert_eq!(got, want);
    }
}
