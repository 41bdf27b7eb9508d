//! The YAML plugin archive shared by `serve` and `sync`: a deterministic zip
//! builder (same plugin set, same bytes, same strong ETag) and a checked
//! reader that refuses anything but flat, valid `optimus-plugin-*.yaml`
//! files within size limits.
//!
//! ```
//! use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
//!
//! let yaml = "name: bq2bq\nplugintype: task\npluginversion: 0.3.2\nimage: example/bq2bq:0.3.2\nentrypoint:\n  script: run\n";
//! let file = PluginFile::new("optimus-plugin-bq2bq.yaml", yaml.as_bytes().to_vec(), "example")?;
//! let archive = build_archive(vec![file.clone()])?;
//! assert_eq!(archive.etag, build_archive(vec![file])?.etag, "deterministic");
//!
//! let back = read_archive(&archive.zip, &ArchiveLimits::default(), "example")?;
//! assert_eq!(back[0].entry.name, "bq2bq");
//! assert_eq!(back[0].contents.as_ref(), yaml.as_bytes());
//! # Ok::<(), plugin_sync::SyncError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::path::Path;

use bytes::Bytes;
use safe_fs::SafeRelPath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::error::SyncError;

/// File names of YAML plugins start with this.
pub const YAML_PLUGIN_PREFIX: &str = plugin_spec::files::FILE_PREFIX;
/// File names of YAML plugins end with this.
pub const YAML_PLUGIN_SUFFIX: &str = plugin_spec::files::FILE_SUFFIX;

/// Whether `name` is a flat YAML plugin file name (`optimus-plugin-<x>.yaml`).
///
/// ```
/// use plugin_sync::archive::is_yaml_plugin_file_name;
/// assert!(is_yaml_plugin_file_name("optimus-plugin-neo.yaml"));
/// assert!(!is_yaml_plugin_file_name("optimus-neo_linux_amd64"));
/// assert!(!is_yaml_plugin_file_name("sub/optimus-plugin-neo.yaml"));
/// ```
pub fn is_yaml_plugin_file_name(name: &str) -> bool {
    plugin_spec::files::is_plugin_file_name(name)
}

/// One plugin of an archive, as listed by `GET /plugins/index.json`.
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// assert_eq!((file.entry.name.as_str(), file.entry.version.as_str()), ("neo", "1.0.0"));
/// assert_eq!(file.entry.size, yaml.len() as u64);
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginEntry {
    /// File name (`optimus-plugin-<name>.yaml`).
    pub file: String,
    /// Plugin name from the YAML.
    pub name: String,
    /// Plugin version from the YAML.
    pub version: String,
    /// sha256 of the file, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// A validated YAML plugin file: its bytes and what they declare.
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// assert_eq!(file.contents.as_ref(), yaml.as_bytes());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PluginFile {
    /// Name, version and digest.
    pub entry: PluginEntry,
    /// The file's bytes, unchanged.
    pub contents: Bytes,
}

impl PluginFile {
    /// Checks the file name (flat `optimus-plugin-*.yaml`), that the bytes
    /// are UTF-8 and that they parse and validate as a YAML plugin.
    /// `origin` (a URL, a folder) is used in messages.
    ///
    /// ```
    /// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
    /// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
    /// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
    /// assert_eq!(file.entry.file, "optimus-plugin-neo.yaml");
    /// assert!(PluginFile::new("neo.yaml", yaml.as_bytes().to_vec(), "example").is_err());
    /// assert!(PluginFile::new("optimus-plugin-neo.yaml", b"name: [".to_vec(), "example").is_err());
    /// # Ok::<(), plugin_sync::SyncError>(())
    /// ```
    pub fn new(file: &str, contents: Vec<u8>, origin: &str) -> Result<Self, SyncError> {
        let refuse = |reason: String| SyncError::UnsafeEntry {
            origin: origin.to_owned(),
            entry: file.to_owned(),
            reason,
        };
        let safe = SafeRelPath::new(file).map_err(|e| refuse(e.to_string()))?;
        if safe.depth() != 1 || safe.as_str() != file {
            return Err(refuse(
                "entries must be flat file names, without folders".into(),
            ));
        }
        if !is_yaml_plugin_file_name(file) {
            return Err(refuse(format!(
                "not a YAML plugin file name (expected {YAML_PLUGIN_PREFIX}<name>{YAML_PLUGIN_SUFFIX})"
            )));
        }
        let invalid = |detail: String| SyncError::InvalidPlugin {
            file: file.to_owned(),
            origin: origin.to_owned(),
            detail,
        };
        let text = std::str::from_utf8(&contents)
            .map_err(|e| invalid(format!("{file}: not UTF-8 text ({e})")))?;
        // Refused only when upstream's loader refuses it; warnings are logged.
        let loaded = plugin_spec::check_str(text, file).map_err(|e| invalid(e.to_string()))?;
        for w in &loaded.warnings {
            tracing::warn!(file, origin, "{w}");
        }
        let plugin = loaded.plugin;
        let sha256 = hex::encode(Sha256::digest(&contents));
        Ok(Self {
            entry: PluginEntry {
                file: file.to_owned(),
                name: plugin.name,
                version: plugin.version,
                sha256,
                size: contents.len() as u64,
            },
            contents: Bytes::from(contents),
        })
    }
}

/// A built archive: the zip bytes, their strong ETag and the index.
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// let archive = build_archive(vec![file])?;
/// assert!(archive.etag.starts_with("\"sha256:"));
/// assert_eq!(archive.plugins[0].name, "neo");
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PluginArchive {
    /// The zip file.
    pub zip: Bytes,
    /// Strong ETag: `"sha256:<hex of the zip>"`, quoted as HTTP wants.
    pub etag: String,
    /// The plugins, sorted by file name.
    pub plugins: Vec<PluginEntry>,
}

/// Builds the zip of `files`, sorted by file name, every entry deflated with
/// a fixed level, timestamp (1980-01-01) and mode (0644): the same set always
/// gives the same bytes. Two files with the same name or the same plugin
/// name are refused.
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// let err = build_archive(vec![file.clone(), file]).unwrap_err();
/// assert!(err.to_string().contains("neo"), "{err}");
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn build_archive(mut files: Vec<PluginFile>) -> Result<PluginArchive, SyncError> {
    files.sort_by(|a, b| a.entry.file.cmp(&b.entry.file));
    check_unique(&files, "the plugin set")?;
    let bad = |e: &dyn std::fmt::Display| SyncError::BadArchive {
        origin: "the archive builder".into(),
        detail: e.to_string(),
    };
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .large_file(false);
    let total: usize = files.iter().map(|f| f.contents.len()).sum();
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(total / 3 + 1024)));
    for f in &files {
        zip.start_file(f.entry.file.as_str(), options)
            .map_err(|e| bad(&e))?;
        zip.write_all(&f.contents).map_err(|e| bad(&e))?;
    }
    let bytes = zip.finish().map_err(|e| bad(&e))?.into_inner();
    let etag = format!("\"sha256:{}\"", hex::encode(Sha256::digest(&bytes)));
    Ok(PluginArchive {
        zip: Bytes::from(bytes),
        etag,
        plugins: files.into_iter().map(|f| f.entry).collect(),
    })
}

/// Reads the YAML plugins (`optimus-plugin-*.yaml`, regular files or links
/// to them) at the top of `dir` and validates each. Other files are ignored.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), yaml).unwrap();
/// std::fs::write(dir.path().join("README.md"), "ignored").unwrap();
/// let files = plugin_sync::archive::read_plugin_dir(dir.path())?;
/// assert_eq!(files.len(), 1);
/// assert_eq!(files[0].entry.name, "neo");
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn read_plugin_dir(dir: &Path) -> Result<Vec<PluginFile>, SyncError> {
    let origin = dir.display().to_string();
    let mut raw = Vec::new();
    for (name, path) in list_yaml_plugins(dir)? {
        let bytes = std::fs::read(&path).map_err(SyncError::io("reading", &path))?;
        raw.push((name, bytes));
    }
    validate_all(raw, &origin)
}

/// Fewest files worth a validation thread of their own.
const FILES_PER_THREAD: usize = 32;

/// [`PluginFile::new`] for each `(file name, bytes)`, in order. Parsing and
/// validating is most of the CPU time of reading an archive, so a large set
/// is split into contiguous chunks validated on up to
/// `available_parallelism` threads (at least [`FILES_PER_THREAD`] files
/// each). The result keeps the input order, and the error is the one of the
/// first failing file in that order, as a sequential loop would return.
fn validate_all(raw: Vec<(String, Vec<u8>)>, origin: &str) -> Result<Vec<PluginFile>, SyncError> {
    let validate = |chunk: Vec<(String, Vec<u8>)>| -> Result<Vec<PluginFile>, SyncError> {
        chunk
            .into_iter()
            .map(|(name, bytes)| PluginFile::new(&name, bytes, origin))
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(raw.len() / FILES_PER_THREAD);
    if threads <= 1 {
        return validate(raw);
    }
    let total = raw.len();
    let per_chunk = total.div_ceil(threads);
    let mut chunks = Vec::with_capacity(threads);
    let mut rest = raw.into_iter();
    loop {
        let chunk: Vec<_> = rest.by_ref().take(per_chunk).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || validate(chunk)))
            .collect();
        let mut out = Vec::with_capacity(total);
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}

/// [`read_plugin_dir`] then [`build_archive`].
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), yaml).unwrap();
/// std::fs::write(dir.path().join("README.md"), "ignored").unwrap();
/// let archive = plugin_sync::archive::archive_plugin_dir(dir.path())?;
/// assert_eq!(archive.plugins.len(), 1);
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn archive_plugin_dir(dir: &Path) -> Result<PluginArchive, SyncError> {
    build_archive(read_plugin_dir(dir)?)
}

/// The YAML plugin files at the top of `dir` as (file name, path), sorted;
/// links are followed, folders and other files skipped.
pub(crate) fn list_yaml_plugins(
    dir: &Path,
) -> Result<Vec<(String, std::path::PathBuf)>, SyncError> {
    plugin_manager::sync_state::list_yaml_plugins(dir).map_err(SyncError::io("listing", dir))
}

/// Limits applied to a downloaded archive. A zip bomb (huge expansion,
/// thousands of entries, overlapping entries) hits one of them before it
/// costs much memory or time.
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// let archive = build_archive(vec![file])?;
/// let tight = ArchiveLimits { max_download_bytes: 10, ..ArchiveLimits::default() };
/// assert!(read_archive(&archive.zip, &tight, "example").is_err());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Largest accepted download, in bytes (compressed).
    pub max_download_bytes: u64,
    /// Most entries accepted.
    pub max_entries: usize,
    /// Largest accepted single YAML plugin, uncompressed.
    pub max_entry_bytes: u64,
    /// Largest accepted sum of uncompressed sizes.
    pub max_total_bytes: u64,
}

impl Default for ArchiveLimits {
    /// 64 MiB download, 10 000 entries, 4 MiB per plugin, 256 MiB in all.
    fn default() -> Self {
        Self {
            max_download_bytes: 64 << 20,
            max_entries: 10_000,
            max_entry_bytes: 4 << 20,
            max_total_bytes: 256 << 20,
        }
    }
}

/// Whether `body` starts like a zip archive (a local file header, or the end
/// record of an empty archive).
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// let archive = build_archive(vec![file])?;
/// assert!(plugin_sync::archive::looks_like_zip(&archive.zip));
/// assert!(!plugin_sync::archive::looks_like_zip(b"<html>"));
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn looks_like_zip(body: &[u8]) -> bool {
    body.starts_with(b"PK\x03\x04") || body.starts_with(b"PK\x05\x06")
}

/// Reads and checks a plugin archive: every entry must be a flat
/// `optimus-plugin-*.yaml` regular file, within `limits` (actual bytes are
/// counted, the sizes the archive declares are not trusted), with a valid
/// YAML plugin inside; file names and plugin names must be unique. Names and
/// limits are checked for every entry before any plugin is parsed; the
/// first problem is returned; nothing is partially accepted.
///
/// ```
/// use plugin_sync::archive::{build_archive, read_archive, ArchiveLimits, PluginFile};
/// let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
/// let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
/// let archive = build_archive(vec![file])?;
/// let back = read_archive(&archive.zip, &ArchiveLimits::default(), "example")?;
/// assert_eq!(back.len(), 1);
/// assert!(read_archive(b"not a zip", &ArchiveLimits::default(), "example").is_err());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn read_archive(
    zip: &[u8],
    limits: &ArchiveLimits,
    origin: &str,
) -> Result<Vec<PluginFile>, SyncError> {
    let bad = |detail: String| SyncError::BadArchive {
        origin: origin.to_owned(),
        detail,
    };
    if zip.len() as u64 > limits.max_download_bytes {
        return Err(bad(format!(
            "{} bytes, larger than the limit of {} bytes",
            zip.len(),
            limits.max_download_bytes
        )));
    }
    if !looks_like_zip(zip) {
        return Err(bad("not a zip archive (no zip signature)".into()));
    }
    let mut archive = ZipArchive::new(Cursor::new(zip))
        .map_err(|e| bad(format!("{e} (truncated or corrupt zip?)")))?;
    if archive.len() > limits.max_entries {
        return Err(bad(format!(
            "{} entries, more than the limit of {}",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut total: u64 = 0;
    let mut raw = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("entry #{i}: {e}")))?;
        let raw_name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let refuse = |reason: String| SyncError::UnsafeEntry {
            origin: origin.to_owned(),
            entry: raw_name.clone(),
            reason,
        };
        if entry.is_dir() {
            return Err(refuse(
                "folders are not allowed; the archive must be flat".into(),
            ));
        }
        if entry.is_symlink() {
            return Err(refuse("symbolic links are not allowed".into()));
        }
        if SafeRelPath::new(&raw_name).is_err() || raw_name.contains('/') {
            // PluginFile::new gives the precise reason.
            PluginFile::new(&raw_name, Vec::new(), origin)?;
        }
        if !is_yaml_plugin_file_name(&raw_name) {
            return Err(refuse(format!(
                "only flat {YAML_PLUGIN_PREFIX}<name>{YAML_PLUGIN_SUFFIX} files are allowed"
            )));
        }
        if entry.size() > limits.max_entry_bytes {
            return Err(refuse(format!(
                "declares {} bytes uncompressed, more than the limit of {} per plugin",
                entry.size(),
                limits.max_entry_bytes
            )));
        }
        let room = limits
            .max_entry_bytes
            .min(limits.max_total_bytes.saturating_sub(total));
        let mut contents = Vec::with_capacity(usize::try_from(entry.size().min(room)).unwrap_or(0));
        (&mut entry)
            .take(room.saturating_add(1))
            .read_to_end(&mut contents)
            .map_err(|e| bad(format!("entry {raw_name:?}: {e}")))?;
        let got = contents.len() as u64;
        if got > room {
            return Err(refuse(format!(
                "expands past the limit ({} bytes per plugin, {} bytes in all): zip bomb?",
                limits.max_entry_bytes, limits.max_total_bytes
            )));
        }
        total += got;
        drop(entry);
        raw.push((raw_name, contents));
    }
    let out = validate_all(raw, origin)?;
    check_unique(&out, origin)?;
    Ok(out)
}

/// Refuses two files with the same name or the same plugin name.
fn check_unique(files: &[PluginFile], origin: &str) -> Result<(), SyncError> {
    let mut by_file: BTreeSet<&str> = BTreeSet::new();
    let mut by_name: BTreeMap<&str, &str> = BTreeMap::new();
    for f in files {
        if !by_file.insert(&f.entry.file) {
            return Err(SyncError::UnsafeEntry {
                origin: origin.to_owned(),
                entry: f.entry.file.clone(),
                reason: "appears twice".into(),
            });
        }
        if let Some(first) = by_name.insert(&f.entry.name, &f.entry.file) {
            return Err(SyncError::UnsafeEntry {
                origin: origin.to_owned(),
                entry: f.entry.file.clone(),
                reason: format!(
                    "declares plugin {:?}, already declared by {first}",
                    f.entry.name
                ),
            });
        }
    }
    Ok(())
}

/// A valid task plugin `name` at `version`, for the tests of this crate.
#[cfg(test)]
pub(crate) fn test_plugin(name: &str, version: &str) -> PluginFile {
    let yaml = format!(
        "name: {name}\nplugintype: task\npluginversion: {version}\nimage: example/{name}:{version}\nentrypoint:\n  script: run\n"
    );
    PluginFile::new(
        &format!("optimus-plugin-{name}.yaml"),
        yaml.into_bytes(),
        "test",
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_plugin as plugin;

    fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(*name, SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn same_set_same_bytes_whatever_the_order() {
        let a = build_archive(vec![plugin("a", "1"), plugin("b", "2")]).unwrap();
        let b = build_archive(vec![plugin("b", "2"), plugin("a", "1")]).unwrap();
        assert_eq!(a.zip, b.zip);
        assert_eq!(a.etag, b.etag);
        assert!(a.etag.starts_with("\"sha256:") && a.etag.ends_with('"'));
        let c = build_archive(vec![plugin("a", "1"), plugin("b", "3")]).unwrap();
        assert_ne!(a.etag, c.etag);
        let names: Vec<_> = a.plugins.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(names, ["optimus-plugin-a.yaml", "optimus-plugin-b.yaml"]);
    }

    #[test]
    fn round_trip_keeps_bytes() {
        let a = build_archive(vec![plugin("a", "1"), plugin("b", "2")]).unwrap();
        let back = read_archive(&a.zip, &ArchiveLimits::default(), "t").unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].entry.version, "2");
        assert_eq!(back[0].contents, plugin("a", "1").contents);
    }

    #[test]
    fn refuses_unsafe_and_odd_entries() {
        let good = plugin("a", "1").contents;
        let cases: [(&str, &str); 5] = [
            ("../x.yaml", "'..'"),
            ("sub/optimus-plugin-a.yaml", "flat"),
            ("/etc/optimus-plugin-a.yaml", "absolute"),
            ("notes.txt", "only flat"),
            ("x.yaml", "only flat"),
        ];
        for (name, want) in cases {
            let zip = raw_zip(&[(name, &good)]);
            let err = read_archive(&zip, &ArchiveLimits::default(), "t")
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{name}: {err}");
            assert!(err.contains(&format!("{name:?}")), "{name}: {err}");
        }
    }

    #[test]
    fn refuses_duplicates_and_invalid_plugins() {
        let good = plugin("a", "1").contents;
        let zip = raw_zip(&[
            ("optimus-plugin-a.yaml", &good),
            ("optimus-plugin-b.yaml", &good),
        ]);
        let err = read_archive(&zip, &ArchiveLimits::default(), "t").unwrap_err();
        assert!(err.to_string().contains("already declared"), "{err}");

        let zip = raw_zip(&[("optimus-plugin-a.yaml", b"name: a\nimagee: x\n")]);
        let err = read_archive(&zip, &ArchiveLimits::default(), "t").unwrap_err();
        assert!(matches!(err, SyncError::InvalidPlugin { .. }), "{err}");
        assert!(
            err.to_string().contains("optimus-plugin-a.yaml:2:1"),
            "{err}"
        );
    }

    #[test]
    fn large_sets_keep_their_order_and_the_first_error_wins() {
        // Enough files for several validation threads where there are cores.
        let n = FILES_PER_THREAD * 4 + 5;
        let files: Vec<PluginFile> = (0..n).map(|i| plugin(&format!("p{i:03}"), "1")).collect();
        let a = build_archive(files).unwrap();
        let back = read_archive(&a.zip, &ArchiveLimits::default(), "t").unwrap();
        let names: Vec<_> = back.iter().map(|f| f.entry.name.clone()).collect();
        let want: Vec<_> = (0..n).map(|i| format!("p{i:03}")).collect();
        assert_eq!(names, want);

        // Two invalid plugins in different chunks: the earlier one is named.
        let good = |i: usize| plugin(&format!("p{i:03}"), "1").contents.to_vec();
        let bad = b"name: x\nimagee: y\n".to_vec();
        let mut entries: Vec<(String, Vec<u8>)> = (0..n)
            .map(|i| (format!("optimus-plugin-p{i:03}.yaml"), good(i)))
            .collect();
        entries[n - 3].1.clone_from(&bad);
        entries[FILES_PER_THREAD + 1].1 = bad;
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_slice()))
            .collect();
        let err = read_archive(&raw_zip(&refs), &ArchiveLimits::default(), "t").unwrap_err();
        let first = format!("optimus-plugin-p{:03}.yaml", FILES_PER_THREAD + 1);
        assert!(
            matches!(&err, SyncError::InvalidPlugin { file, .. } if *file == first),
            "{err}"
        );
    }

    #[test]
    fn limits_stop_bombs_and_truncation() {
        let big = vec![b'#'; 5000];
        let zip = raw_zip(&[("optimus-plugin-a.yaml", &big)]);
        let limits = ArchiveLimits {
            max_entry_bytes: 1000,
            ..ArchiveLimits::default()
        };
        let err = read_archive(&zip, &limits, "t").unwrap_err().to_string();
        assert!(err.contains("limit"), "{err}");

        let a = build_archive(vec![plugin("a", "1")]).unwrap();
        let cut = &a.zip[..a.zip.len() - 10];
        let err = read_archive(cut, &ArchiveLimits::default(), "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read the plugin archive"), "{err}");

        let err = read_archive(b"<html></html>", &ArchiveLimits::default(), "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a zip"), "{err}");
    }
}
