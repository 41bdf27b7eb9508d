//! What `serve` hands out: the plugin folder's YAML plugins, each in the
//! classic lowercase format upstream's `optimus plugin sync` reads.
//!
//! * A classic file is served byte for byte.
//! * A design (PascalCase) or v0.20.7+ spec file is rewritten to the classic
//!   format ([`plugin_spec::Plugin::to_yaml`]), and the result is checked
//!   with the classic loader before it is served.
//! * A file that does not load (or cannot be written in the classic format)
//!   is left out, or, when an earlier good version of it was being served,
//!   that version is kept. Either way it is reported ([`LeftOut`]), and the
//!   other files are served: one bad file never costs clients all plugins.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
//!     "Name: neo\nVersion: 1.0.0\nImage: example/neo:1\nEntrypoint:\n  Script: neo run\n")?;
//! std::fs::write(dir.path().join("optimus-plugin-bad.yaml"), "name: [\n")?;
//! let set = plugin_sync::serve_set::collect(dir.path(), &[])?;
//! assert_eq!(set.files.len(), 1);
//! let served = std::str::from_utf8(&set.files[0].contents).unwrap();
//! let back = plugin_spec::check_str(served, "served.yaml")?;
//! assert_eq!(back.spelling, plugin_spec::Spelling::Upstream, "classic: {served}");
//! assert_eq!(back.plugin.version, "1.0.0");
//! assert_eq!(set.left_out[0].file, "optimus-plugin-bad.yaml");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use serde::Serialize;

use crate::archive::PluginFile;
use crate::error::SyncError;

/// A file of the folder that is not served as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// File name.
    pub file: String,
    /// Why, with file:line:col where there is one.
    pub reason: String,
    /// Whether an earlier good version of the file is served instead.
    pub kept_previous: bool,
}

/// The files to serve and the ones left out.
#[derive(Debug, Clone, Default)]
pub struct ServedSet {
    /// Classic-format files, sorted by file name.
    pub files: Vec<PluginFile>,
    /// Files not served as they are now, sorted by file name.
    pub left_out: Vec<LeftOut>,
}

/// Reads the plugin folder `dir` for serving. `previous` is what was served
/// before (its files are kept in place of ones that stopped loading). Only
/// listing the folder can fail.
///
/// # Examples
///
/// ```
/// use plugin_sync::serve_set::collect;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n").unwrap();
/// std::fs::write(dir.path().join("optimus-plugin-bad.yaml"), "name: [\n").unwrap();
/// let set = collect(dir.path(), &[])?;
/// assert_eq!(set.files.len(), 1);
/// assert_eq!(set.left_out[0].file, "optimus-plugin-bad.yaml");
/// assert!(collect(&dir.path().join("missing"), &[]).is_err());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn collect(dir: &Path, previous: &[PluginFile]) -> Result<ServedSet, SyncError> {
    let found = plugin_spec::files::discover(dir).map_err(SyncError::io("listing", dir))?;
    let mut set = ServedSet::default();
    // `keep`: serve the file's previous version instead, when there is one.
    let leave_out = |set: &mut ServedSet, file: &str, reason: String, keep: bool| {
        let kept = previous.iter().find(|p| keep && p.entry.file == file);
        if let Some(p) = kept {
            set.files.push(p.clone());
        }
        tracing::warn!(
            file,
            kept_previous = kept.is_some(),
            "not serving the file: {reason}"
        );
        set.left_out.push(LeftOut {
            file: file.to_owned(),
            reason,
            kept_previous: kept.is_some(),
        });
    };
    for (file, why) in found.skipped {
        leave_out(&mut set, &file, why, false);
    }
    for (file, path) in found.files {
        match served_bytes(&file, &path) {
            Ok((bytes, name, version)) => {
                let pf = plugin_file(&file, bytes, name, version);
                // Two files of one plugin: upstream refuses both; serve the
                // first only.
                if let Some(first) = set.files.iter().find(|f| f.entry.name == pf.entry.name) {
                    let reason = format!(
                        "plugin `{}` is also defined by {}",
                        pf.entry.name, first.entry.file
                    );
                    leave_out(&mut set, &file, reason, false);
                } else {
                    set.files.push(pf);
                }
            }
            Err(reason) => leave_out(&mut set, &file, reason, true),
        }
    }
    set.files.sort_by(|a, b| a.entry.file.cmp(&b.entry.file));
    set.files.dedup_by(|a, b| a.entry.file == b.entry.file);
    // A kept previous version may name a plugin another file names now.
    let mut names = std::collections::HashSet::new();
    let mut unique = Vec::with_capacity(set.files.len());
    for f in std::mem::take(&mut set.files) {
        if names.insert(f.entry.name.clone()) {
            unique.push(f);
        } else {
            set.left_out.push(LeftOut {
                file: f.entry.file.clone(),
                reason: format!("plugin `{}` is also defined by another file", f.entry.name),
                kept_previous: false,
            });
        }
    }
    set.files = unique;
    set.left_out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(set)
}

/// A served file: its bytes and what they declare (checked by the caller).
fn plugin_file(file: &str, bytes: Vec<u8>, name: String, version: String) -> PluginFile {
    use sha2::Digest as _;
    PluginFile {
        entry: crate::archive::PluginEntry {
            file: file.to_owned(),
            name,
            version,
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            size: bytes.len() as u64,
        },
        contents: bytes.into(),
    }
}

/// The bytes to serve for one file (as written when classic, else
/// rewritten to the classic format), with the plugin's name and version;
/// `Err` with the reason when it cannot be served. Warnings are logged,
/// with the positions of the file on disk.
fn served_bytes(file: &str, path: &Path) -> Result<(Vec<u8>, String, String), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| format!("{file}: not UTF-8 text ({e})"))?;
    let loaded = plugin_spec::check_str(text, file).map_err(|e| e.to_string())?;
    for w in &loaded.warnings {
        tracing::warn!(file, "{w}");
    }
    let (name, version) = (loaded.plugin.name.clone(), loaded.plugin.version.clone());
    if loaded.spelling == plugin_spec::Spelling::Upstream {
        return Ok((bytes, name, version));
    }
    let classic = loaded.plugin.to_yaml();
    match plugin_spec::check_str(&classic, file) {
        Ok(back) if back.spelling == plugin_spec::Spelling::Upstream => {
            Ok((classic.into_bytes(), name, version))
        }
        Ok(_) => Err(format!("{file}: cannot be written in the classic format")),
        Err(e) => Err(format!(
            "{file}: loads in the {} format, but upstream's classic loader would refuse it rewritten: {e}",
            loaded.spelling.as_str()
        )),
    }
}
