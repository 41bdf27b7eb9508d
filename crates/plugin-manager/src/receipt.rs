//! Receipts: what an installed plugin set holds and where each file came
//! from. Stored as `.optimus-receipts.json` inside the set, so it switches
//! atomically together with the files it describes.

use std::path::Path;

use plugin_repo::ArtifactMeta;
use serde::{Deserialize, Serialize};

use crate::digest::Algorithm;
use crate::error::{Error, Result};
use crate::extract::Format;

/// File name of the receipts inside a plugin set.
pub const RECEIPTS_FILE: &str = ".optimus-receipts.json";

/// The receipts of one installed plugin set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipts {
    /// Format version of this file.
    pub format: u32,
    /// Name of the generation folder holding this set.
    pub generation: String,
    /// The generation that was current when this one was published (the
    /// target of `install --rollback`).
    pub previous: Option<String>,
    /// When the set was published (RFC 3339).
    pub installed_at: String,
    /// The config file this set was installed from (as given on the
    /// command line), so that `sync` can name it when it refuses the
    /// folder. Absent in receipts written by older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// One entry per artifact, in config order.
    pub artifacts: Vec<ArtifactReceipt>,
}

/// What one artifact installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactReceipt {
    /// The source key (`provider:path` or the source URL without options).
    pub source: String,
    /// How it was unpacked.
    pub format: Format,
    /// sha256 of the artifact's bytes (hex).
    pub sha256: String,
    /// Size of the artifact in bytes.
    pub size: u64,
    /// Store metadata seen at download time (ETag, generation, ...).
    pub meta: ArtifactMeta,
    /// When this artifact was downloaded (RFC 3339).
    pub installed_at: String,
    /// Every file it installed.
    pub files: Vec<FileReceipt>,
    /// The YAML plugins among those files.
    pub plugins: Vec<PluginInfo>,
}

/// One installed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReceipt {
    /// Path relative to the plugin folder.
    pub path: String,
    /// XXH3-128 of the content (32 hex digits): what this version records
    /// (see [`crate::digest`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xxh3_128: Option<String>,
    /// sha256 of the content (hex): in receipts of format 1, written by
    /// older versions; still checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Unix mode as installed (`0o755` or `0o644`).
    pub mode: u32,
    /// What `lstat` said of the file when it was last known to be right
    /// (at install, or when a later install re-hashed it). A file whose
    /// stat still matches is not hashed again; see [`crate::drift`].
    /// Absent in receipts written by older versions (then it is hashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<FileStat>,
}

/// The `lstat` fields that change whenever a file's content or inode
/// changes, as git's index records them. Times are nanoseconds since the
/// Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last modification of the content.
    pub mtime_ns: i64,
    /// Last change of the inode (content, mode, links); a user cannot set
    /// it back.
    pub ctime_ns: i64,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
}

impl FileReceipt {
    /// The digest to check the file against: XXH3-128 when recorded, else
    /// sha256. `None` when the receipt holds neither (never after
    /// [`Receipts::read`], which refuses such a file).
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::FileReceipt;
    /// use plugin_manager::digest::Algorithm;
    /// let f = FileReceipt { path: "optimus-plugin-a.yaml".into(), xxh3_128: None,
    ///     sha256: Some("ab".repeat(32)), size: 8, mode: 0o644, stat: None };
    /// assert_eq!(f.digest().unwrap().0, Algorithm::Sha256);
    /// ```
    pub fn digest(&self) -> Option<(Algorithm, &str)> {
        match (&self.xxh3_128, &self.sha256) {
            (Some(x), _) => Some((Algorithm::Xxh3_128, x)),
            (None, Some(s)) => Some((Algorithm::Sha256, s)),
            (None, None) => None,
        }
    }
}

impl FileStat {
    /// The stat of `m` (from `symlink_metadata`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// use plugin_manager::FileStat;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("optimus-plugin-a.yaml");
    /// std::fs::write(&path, "name: a\n").unwrap();
    /// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    /// let before = FileStat::of(&std::fs::symlink_metadata(&path).unwrap());
    /// assert_eq!((before.size, before.mode), (8, 0o640));
    /// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    /// let after = FileStat::of(&std::fs::symlink_metadata(&path).unwrap());
    /// assert_ne!(before, after, "a chmod changes the stat");
    /// ```
    pub fn of(m: &std::fs::Metadata) -> FileStat {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        FileStat {
            ino: m.ino(),
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
            mode: m.mode() & 0o7777,
        }
    }
}

/// A YAML plugin found in the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Plugin name.
    pub name: String,
    /// `task` or `hook`.
    pub plugin_type: String,
    /// Plugin version.
    pub version: String,
    /// Executor image.
    pub image: String,
    /// The YAML file, relative to the plugin folder.
    pub file: String,
}

/// The receipts format this version writes: 2, files recorded with
/// XXH3-128. It reads format 1 too (files recorded with sha256).
pub const RECEIPTS_FORMAT: u32 = 2;

/// The oldest receipts format this version reads.
pub const RECEIPTS_FORMAT_OLDEST: u32 = 1;

impl Receipts {
    /// Reads the receipts of the set at `plugin_dir`; `Ok(None)` when the
    /// folder or the file does not exist. A file that does not parse, or
    /// is of another format version, is an error naming it.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::{Receipts, RECEIPTS_FILE};
    /// let dir = tempfile::tempdir().unwrap();
    /// assert!(Receipts::read(dir.path()).unwrap().is_none());
    /// std::fs::write(dir.path().join(RECEIPTS_FILE), "{").unwrap();
    /// let err = Receipts::read(dir.path()).unwrap_err();
    /// assert!(err.to_string().contains("unreadable receipts"), "{err}");
    /// ```
    pub fn read(plugin_dir: &Path) -> Result<Option<Receipts>> {
        let path = plugin_dir.join(RECEIPTS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("reading", &path)(e)),
        };
        let r: Receipts = serde_json::from_str(&text)
            .map_err(|e| Error::State(format!("{}: unreadable receipts: {e}", path.display())))?;
        if !(RECEIPTS_FORMAT_OLDEST..=RECEIPTS_FORMAT).contains(&r.format) {
            return Err(Error::State(format!(
                "{}: receipts format {} (this version reads formats {RECEIPTS_FORMAT_OLDEST} to {RECEIPTS_FORMAT})",
                path.display(),
                r.format
            )));
        }
        r.check_digests()
            .map_err(|problem| Error::State(format!("{}: {problem}", path.display())))?;
        Ok(Some(r))
    }

    /// Every file must carry a well-formed digest: XXH3-128, or sha256 in
    /// receipts of format 1 and in artifacts carried over from such a set.
    fn check_digests(&self) -> std::result::Result<(), String> {
        for f in self.artifacts.iter().flat_map(|a| a.files.iter()) {
            let Some((algorithm, hex)) = f.digest() else {
                return Err(format!(
                    "unreadable receipts: file {:?} has no digest",
                    f.path
                ));
            };
            if !algorithm.is_digest(hex) {
                return Err(format!(
                    "unreadable receipts: file {:?}: {} is not {} hex digits",
                    f.path,
                    algorithm.name(),
                    algorithm.hex_len()
                ));
            }
        }
        Ok(())
    }

    /// The receipts as pretty JSON. An error (never an empty file) if
    /// they cannot be serialised.
    pub fn to_json(&self) -> Result<String> {
        let mut s = serde_json::to_string_pretty(self)
            .map_err(|e| Error::State(format!("cannot serialise the receipts: {e}")))?;
        s.push('\n');
        Ok(s)
    }

    /// The receipt of `source`, if that artifact is in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::Receipts;
    /// let receipts = Receipts { format: 2, generation: ".plugins.gen-1".into(), previous: None,
    ///     installed_at: "2026-01-01T00:00:00Z".into(), config: None, artifacts: Vec::new() };
    /// assert!(receipts.artifact("dist:a.tar.gz").is_none());
    /// let json = receipts.to_json().unwrap();
    /// assert!(json.ends_with('\n') && json.contains("\"generation\": \".plugins.gen-1\""), "{json}");
    /// ```
    pub fn artifact(&self, source: &str) -> Option<&ArtifactReceipt> {
        self.artifacts.iter().find(|a| a.source == source)
    }
}

/// The current time as RFC 3339 (UTC, seconds).
pub(crate) fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Receipts JSON of `format` with one file carrying `digest` (a JSON
    /// fragment such as `"sha256": "..."`, or nothing).
    fn receipts_json(format: u32, digest: &str) -> String {
        let sep = if digest.is_empty() { "" } else { "," };
        format!(
            r#"{{"format": {format}, "generation": ".plugins.gen-1", "previous": null,
              "installed_at": "2026-01-01T00:00:00Z",
              "artifacts": [{{"source": "dist:a.tar.gz", "format": "tar_gz",
                "sha256": "{art}", "size": 10, "meta": {{}},
                "installed_at": "2026-01-01T00:00:00Z",
                "files": [{{"path": "optimus-plugin-a.yaml"{sep} {digest}, "size": 8, "mode": 420}}],
                "plugins": []}}]}}"#,
            art = "ab".repeat(32)
        )
    }

    fn read(text: &str) -> Result<Option<Receipts>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RECEIPTS_FILE), text).unwrap();
        Receipts::read(dir.path())
    }

    #[test]
    fn format_1_receipts_are_read_and_checked_with_sha256() {
        let sha = "cd".repeat(32);
        let r = read(&receipts_json(1, &format!(r#""sha256": "{sha}""#)))
            .unwrap()
            .unwrap();
        let f = &r.artifacts[0].files[0];
        assert_eq!(f.digest(), Some((Algorithm::Sha256, sha.as_str())));
    }

    #[test]
    fn format_2_receipts_prefer_xxh3() {
        let x = "0f".repeat(16);
        let text = receipts_json(2, &format!(r#""xxh3_128": "{x}""#));
        let r = read(&text).unwrap().unwrap();
        assert_eq!(
            r.artifacts[0].files[0].digest(),
            Some((Algorithm::Xxh3_128, x.as_str()))
        );
        // Written back, the file keeps only the digest it has.
        let json = r.to_json().unwrap();
        assert!(
            json.contains("xxh3_128") && !json.contains("\"sha256\": null"),
            "{json}"
        );
    }

    #[test]
    fn a_file_without_a_good_digest_is_a_clear_error() {
        for (digest, want) in [
            ("", "file \"optimus-plugin-a.yaml\" has no digest"),
            (r#""xxh3_128": "abc""#, "xxh3_128 is not 32 hex digits"),
            (r#""sha256": "ZZ""#, "sha256 is not 64 hex digits"),
        ] {
            let err = read(&receipts_json(2, digest)).unwrap_err().to_string();
            assert!(
                err.contains("unreadable receipts") && err.contains(want),
                "{err}"
            );
        }
        let err = read(&receipts_json(3, r#""xxh3_128": "00""#))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("receipts format 3 (this version reads formats 1 to 2)"),
            "{err}"
        );
    }
}
