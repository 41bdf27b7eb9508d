//! The state file `optimus-plugin sync` keeps in a folder it manages.
//!
//! Written by the `plugin-sync` crate; read here because install refuses a
//! folder sync manages and verify checks such a folder against it. The one
//! definition of its name and shape, so both sides agree.
//!
//! ```
//! use plugin_manager::sync_state::{SyncState, SYNC_STATE_FILE};
//! let dir = tempfile::tempdir()?;
//! let state = SyncState { url: "http://h/plugins".into(), etag: None, files: Default::default() };
//! std::fs::write(dir.path().join(SYNC_STATE_FILE), serde_json::to_vec(&state)?)?;
//! assert_eq!(SyncState::read(dir.path())?, Some(state));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The hidden state file sync keeps in the plugin folder.
pub const SYNC_STATE_FILE: &str = ".optimus-sync.json";

/// What the last sync delivered: the URL, the server's ETag and the digest
/// of each YAML plugin it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The archive URL (without credentials).
    pub url: String,
    /// The server's ETag, if it sent one.
    pub etag: Option<String>,
    /// File name -> sha256 (hex) of each YAML plugin written.
    pub files: BTreeMap<String, String>,
}

impl SyncState {
    /// Reads the state of `dir`: `None` when there is no state file, an
    /// error naming the file when it cannot be read or parsed.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::sync_state::{SyncState, SYNC_STATE_FILE};
    /// let dir = tempfile::tempdir().unwrap();
    /// assert_eq!(SyncState::read(dir.path()).unwrap(), None);
    /// std::fs::write(dir.path().join(SYNC_STATE_FILE), r#"{"url":"http://h/plugins","etag":null,"files":{}}"#).unwrap();
    /// assert_eq!(SyncState::read(dir.path()).unwrap().unwrap().url, "http://h/plugins");
    /// std::fs::write(dir.path().join(SYNC_STATE_FILE), "[").unwrap();
    /// let err = SyncState::read(dir.path()).unwrap_err();
    /// assert!(err.to_string().contains("unreadable sync state"), "{err}");
    /// ```
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(SYNC_STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::State(format!("{}: unreadable sync state: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", &path)(e)),
        }
    }
}

/// The YAML plugin files at the top of `dir` (`optimus-plugin-*.yaml`,
/// links followed to regular files), as (file name, path), sorted.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), "name: neo\n")?;
/// std::fs::write(dir.path().join("README.md"), "")?;
/// let found = plugin_manager::sync_state::list_yaml_plugins(dir.path())?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].0, "optimus-plugin-neo.yaml");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn list_yaml_plugins(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !plugin_spec::files::is_plugin_file_name(&name) {
            continue;
        }
        let path = entry.path();
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            out.push((name, path));
        }
    }
    out.sort();
    Ok(out)
}
