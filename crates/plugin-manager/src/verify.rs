//! `verify` and `list`: read the current set against its receipts.

use std::collections::BTreeMap;
use std::path::Path;

use crate::digest::{Algorithm, digest_file};
use crate::error::{Error, Result};
use crate::receipt::{RECEIPTS_FILE, Receipts};
use crate::sync_state::{SYNC_STATE_FILE, SyncState, list_yaml_plugins};

/// Differences between the installed files and the receipts.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use plugin_manager::{install, verify, InstallOptions, ManagerConfig, Silent};
/// use plugin_repo::ProviderContext;
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: neo:0.1.0\nentrypoint:\n  script: neo run\n",
/// )?;
/// let config = dir.path().join("optimus.yaml");
/// std::fs::write(&config, "plugin:\n  artifacts:\n    - ./optimus-plugin-neo.yaml\n")?;
/// let cfg = ManagerConfig::load(&config)?;
/// let ctx = ProviderContext::new(cfg.base_dir.clone());
/// let rt = tokio::runtime::Runtime::new()?;
/// let plugins = dir.path().join("plugins");
/// rt.block_on(install(&cfg, &plugins, &ctx, None, &InstallOptions::default(), Arc::new(Silent)))?;
/// // An installed file edited by hand, and one that no receipt lists.
/// std::fs::write(plugins.join("optimus-plugin-neo.yaml"), "name: changed\n")?;
/// std::fs::write(plugins.join("stray.txt"), "x")?;
/// let report = verify(&plugins)?;
/// assert_eq!(report.managed_by, "install");
/// assert_eq!(report.changed, ["optimus-plugin-neo.yaml"]);
/// assert_eq!(report.extra, ["stray.txt"]);
/// assert!(!report.is_clean());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// Which command's state the folder was checked against: `install`
    /// (its receipts) or `sync` (its sync state).
    pub managed_by: String,
    /// Files checked.
    pub checked: usize,
    /// Files whose content or mode differs from the receipt.
    pub changed: Vec<String>,
    /// Files in the receipts that are gone.
    pub missing: Vec<String>,
    /// Files (or links, devices, ...) that no receipt lists.
    pub extra: Vec<String>,
}

impl VerifyReport {
    /// True when everything matches.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Re-hashes every installed file of `plugin_dir` against its receipts,
/// or, in a folder that `sync` manages (no receipts, a sync state), every
/// synced YAML plugin against that state.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let err = plugin_manager::verify(dir.path()).unwrap_err();
/// assert!(err.to_string().contains("has no receipts"), "{err}");
/// ```
pub fn verify(plugin_dir: &Path) -> Result<VerifyReport> {
    let Some(receipts) = Receipts::read(plugin_dir)? else {
        return match SyncState::read(plugin_dir)? {
            Some(state) => verify_synced(plugin_dir, &state),
            None => Err(Error::State(format!(
                "{} has no receipts ({RECEIPTS_FILE}) and no sync state ({SYNC_STATE_FILE}): it was made neither by optimus-plugin install nor by sync",
                plugin_dir.display()
            ))),
        };
    };
    let mut expected = BTreeMap::new();
    for a in &receipts.artifacts {
        for f in &a.files {
            expected.insert(f.path.clone(), f);
        }
    }
    let mut found = Vec::new();
    walk(plugin_dir, "", &mut found)?;
    let mut report = VerifyReport {
        managed_by: "install".into(),
        ..VerifyReport::default()
    };
    for (rel, is_file) in found {
        if rel == RECEIPTS_FILE {
            continue;
        }
        let Some(want) = expected.remove(&rel) else {
            report.extra.push(rel);
            continue;
        };
        if !is_file {
            report.changed.push(format!("{rel} (not a regular file)"));
            continue;
        }
        report.checked += 1;
        let path = plugin_dir.join(&rel);
        // Receipts::read refused files without a digest.
        let (algorithm, want_digest) = want.digest().unwrap_or((Algorithm::Sha256, ""));
        let (digest, size) = hash_file(&path, algorithm)?;
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path)
                .map_err(Error::io("reading", &path))?
                .permissions(),
        ) & 0o7777;
        if digest != want_digest || size != want.size {
            report.changed.push(rel);
        } else if mode != want.mode {
            report
                .changed
                .push(format!("{rel} (mode {mode:o}, expected {:o})", want.mode));
        }
    }
    report.missing = expected.into_keys().collect();
    Ok(report)
}

/// A synced folder: sync owns its YAML plugins only (every other file is
/// left alone by sync, so none is "extra"). Each plugin the state lists must
/// be there with its digest; a YAML plugin it does not list is extra.
fn verify_synced(plugin_dir: &Path, state: &SyncState) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        managed_by: "sync".into(),
        ..VerifyReport::default()
    };
    for (file, want) in &state.files {
        let path = plugin_dir.join(file);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                report.missing.push(file.clone());
                continue;
            }
            Err(e) => return Err(Error::io("inspecting", &path)(e)),
            Ok(m) if !m.file_type().is_file() => {
                report.changed.push(format!("{file} (not a regular file)"));
                continue;
            }
            Ok(_) => {}
        }
        report.checked += 1;
        if &hash_file(&path, Algorithm::Sha256)?.0 != want {
            report.changed.push(file.clone());
        }
    }
    for (file, _) in list_yaml_plugins(plugin_dir).map_err(Error::io("listing", plugin_dir))? {
        if !state.files.contains_key(&file) {
            report.extra.push(file);
        }
    }
    Ok(report)
}

fn walk(root: &Path, rel: &str, out: &mut Vec<(String, bool)>) -> Result<()> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let rd = std::fs::read_dir(&dir).map_err(Error::io("listing", &dir))?;
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ft = e.file_type().map_err(Error::io("inspecting", e.path()))?;
        if ft.is_dir() {
            walk(root, &child, out)?;
        } else {
            out.push((child, ft.is_file()));
        }
    }
    Ok(())
}

fn hash_file(path: &Path, algorithm: Algorithm) -> Result<(String, u64)> {
    digest_file(path, algorithm).map_err(Error::io("reading", path))
}

/// The YAML plugin files at the top of `plugin_dir`
/// (`optimus-plugin-*.yaml`), sorted; what `serve` hands out.
///
/// # Examples
///
/// ```
/// use plugin_manager::installed_yaml_plugins;
/// let dir = tempfile::tempdir().unwrap();
/// for f in ["optimus-plugin-b.yaml", "optimus-plugin-a.yaml", "readme.md"] {
///     std::fs::write(dir.path().join(f), "name: x\n").unwrap();
/// }
/// let found = installed_yaml_plugins(dir.path()).unwrap();
/// assert_eq!(found, [dir.path().join("optimus-plugin-a.yaml"), dir.path().join("optimus-plugin-b.yaml")]);
/// assert!(installed_yaml_plugins(&dir.path().join("missing")).unwrap().is_empty());
/// ```
pub fn installed_yaml_plugins(plugin_dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let rd = match std::fs::read_dir(plugin_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("listing", plugin_dir)(e)),
    };
    let mut out: Vec<_> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| crate::install::is_yaml_plugin_file(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}
