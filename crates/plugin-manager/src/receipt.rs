//! Receipts: what an installed plugin set holds and where each file came
//! from. Stored as `.optimus-receipts.json` inside the set, so it switches
//! atomically together with the files it describes.

use std::path::Path;

use plugin_repo::ArtifactMeta;
use serde::{Deserialize, Serialize};

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
    /// sha256 of the content (hex).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Unix mode as installed (`0o755` or `0o644`).
    pub mode: u32,
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

impl Receipts {
    /// Reads the receipts of the set at `plugin_dir`; `Ok(None)` when the
    /// folder or the file does not exist.
    pub fn read(plugin_dir: &Path) -> Result<Option<Receipts>> {
        let path = plugin_dir.join(RECEIPTS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("reading", &path)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::State(format!("{}: unreadable receipts: {e}", path.display())))
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
