//! Applying a synced plugin set to the local plugin folder, atomically.
//!
//! The new folder is built complete beside the current one (hidden sibling
//! `.<dir>.sync-XXXX`): every file that is not a YAML plugin is carried over
//! (hard links; copies where links are impossible), the new YAML plugins and
//! the sync state are written, the whole staging folder is made durable
//! (one `syncfs` of its file system for every file's data and inode, then
//! an `fsync` of each folder in it), and only then are the two folders
//! swapped with one `renameat2(RENAME_EXCHANGE)` and the parent `fsync`ed.
//! A reader sees the old set or the new one; a crash or power loss before
//! the swap leaves the old folder untouched and a leftover staging folder,
//! after it the complete new folder and the old one under the staging name.
//! Leftovers are removed by the next sync, under the same lock
//! (`.<dir>.lock`, beside the folder: the lock install takes too).
//!
//! One `syncfs` instead of one `fsync` per file: each `fsync` waits for its
//! own trip to the disk, so 300 small plugins cost 300 round trips; a single
//! flush after all writes costs one. The guarantee is the same, since
//! nothing can name the new files until the swap, which happens after the
//! flush returned.
//!
//! When the plugin folder is a symbolic link, the folder it points to is
//! the one swapped; the link is not touched. A folder that install manages
//! (a link to one of its generations, or a folder with install receipts) is
//! refused: one folder has one owner.
//!
//! The lock, the staging folder, the flush and the switch are the steps of
//! [`safe_fs::publish`], the one way install and sync publish a folder.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use plugin_sync::apply::{apply, lock_plugin_dir, read_local, SyncState};
//! use plugin_sync::archive::PluginFile;
//!
//! let root = tempfile::tempdir()?;
//! let dir = root.path().join("plugins");
//! let yaml = "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n";
//! let file = PluginFile::new("optimus-plugin-neo.yaml", yaml.as_bytes().to_vec(), "example")?;
//! let state = SyncState {
//!     url: "http://h/plugins".into(),
//!     etag: None,
//!     files: [(file.entry.file.clone(), file.entry.sha256.clone())].into(),
//! };
//!
//! let lock = lock_plugin_dir(&dir, Duration::from_secs(5))?;
//! apply(&lock, &[file], &state, true)?;
//! let (local, read_back) = read_local(lock.real_dir())?;
//! assert_eq!(local[0].file, "optimus-plugin-neo.yaml");
//! assert_eq!(read_back, Some(state));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use safe_fs::publish::{Durability, LockError, PublishError, Target};
use sha2::{Digest, Sha256};

use crate::archive::{PluginFile, YAML_PLUGIN_PREFIX, YAML_PLUGIN_SUFFIX, list_yaml_plugins};
use crate::error::SyncError;
use plugin_manager::layout::{Current, Layout};
use plugin_manager::receipt::{RECEIPTS_FILE, Receipts};

pub use plugin_manager::sync_state::{SYNC_STATE_FILE, SyncState};

/// A YAML plugin found in the local folder.
#[derive(Debug, Clone)]
pub struct LocalPlugin {
    /// File name.
    pub file: String,
    /// Where it is.
    pub path: PathBuf,
    /// sha256 of the file, hex.
    pub sha256: String,
}

impl LocalPlugin {
    /// Plugin name and version, read from the file only when asked (an
    /// unchanged sync never parses local files). Falls back to the name in
    /// the file name and version `?` when the YAML does not parse.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_sync::apply::read_local;
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
    ///     "name: neo\nplugintype: task\npluginversion: 1.2.0\nimage: neo:1\nentrypoint:\n  script: run\n").unwrap();
    /// std::fs::write(dir.path().join("optimus-plugin-old.yaml"), "name: [\n").unwrap();
    /// let (plugins, _) = read_local(dir.path())?;
    /// let mut found: Vec<_> = plugins.iter().map(|p| p.name_and_version()).collect();
    /// found.sort();
    /// assert_eq!(found, [("neo".into(), "1.2.0".into()), ("old".into(), "?".into())]);
    /// # Ok::<(), plugin_sync::SyncError>(())
    /// ```
    pub fn name_and_version(&self) -> (String, String) {
        let parsed = fs::read(&self.path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| plugin_spec::load_str(&t, &self.file).ok());
        match parsed {
            Some(p) => (p.name, p.version),
            None => (
                self.file
                    .trim_start_matches(YAML_PLUGIN_PREFIX)
                    .trim_end_matches(YAML_PLUGIN_SUFFIX)
                    .to_owned(),
                "?".to_owned(),
            ),
        }
    }
}

/// The exclusive lock on a plugin folder for the time of one sync.
#[derive(Debug)]
pub struct DirLock {
    _lock: safe_fs::publish::DirLock,
    target: Target,
    exists: bool,
}

impl DirLock {
    /// The folder's real path (links resolved).
    pub fn real_dir(&self) -> &Path {
        self.target.path()
    }
}

/// The tag of sync's hidden staging folders, `.<dir>.sync-XXXX`.
const STAGING_TAG: &str = "sync";

/// Resolves `plugin_dir` (absolute), takes the folder's lock (the one
/// install takes too, `.<name>.lock` beside `plugin_dir` as given; waiting
/// up to `wait`), refuses a folder that install manages and removes
/// leftovers of interrupted syncs.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let dir = tempfile::tempdir().unwrap();
/// let plugins = dir.path().join("plugins");
/// std::fs::create_dir(&plugins).unwrap();
/// let lock = plugin_sync::apply::lock_plugin_dir(&plugins, Duration::from_secs(1))?;
/// assert_eq!(lock.real_dir(), std::fs::canonicalize(&plugins).unwrap());
/// // A second sync of the same folder waits, then gives up.
/// assert!(plugin_sync::apply::lock_plugin_dir(&plugins, Duration::ZERO).is_err());
/// drop(lock);
/// assert!(plugin_sync::apply::lock_plugin_dir(&plugins, Duration::ZERO).is_ok());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn lock_plugin_dir(plugin_dir: &Path, wait: Duration) -> Result<DirLock, SyncError> {
    let (real_dir, exists) = match fs::canonicalize(plugin_dir) {
        Ok(p) => {
            if !p.is_dir() {
                return Err(SyncError::State(format!(
                    "plugin folder {} is not a folder",
                    plugin_dir.display()
                )));
            }
            (p, true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (plugin_dir.to_path_buf(), false),
        Err(e) => return Err(SyncError::io("resolving", plugin_dir)(e)),
    };
    let target = Target::new(&real_dir).map_err(SyncError::io("resolving", &real_dir))?;
    target
        .ensure_parent()
        .map_err(SyncError::io("creating folder", target.parent()))?;
    let layout = Layout::new(plugin_dir)?;
    layout.ensure_parent()?;
    let lock_path = layout.lock_path();
    let lock = match safe_fs::publish::DirLock::acquire(&lock_path, wait) {
        Ok(l) => l,
        Err(LockError::Busy { waited, .. }) => {
            return Err(SyncError::Folder(plugin_manager::Error::Locked {
                plugin_dir: plugin_dir.to_path_buf(),
                lock: lock_path,
                waited_secs: waited.as_secs(),
            }));
        }
        Err(LockError::Io { what, path, source }) => {
            return Err(SyncError::io(what, path)(source));
        }
        Err(e) => return Err(SyncError::State(e.to_string())),
    };
    refuse_install_managed(&layout, &real_dir)?;
    // Best effort: a leftover that cannot be removed now is retried next
    // time and never seen by readers of the plugin folder.
    let _ = target.remove_leftovers(&[STAGING_TAG]);
    Ok(DirLock {
        _lock: lock,
        target,
        exists,
    })
}

/// A folder that `optimus-plugin install` manages (a link to one of its
/// generations, or a folder holding its receipts) is refused: the next
/// install would silently undo the sync, and `verify` could not tell the
/// synced plugins from tampering.
fn refuse_install_managed(layout: &Layout, real_dir: &Path) -> Result<(), SyncError> {
    let generation = matches!(layout.current(), Ok(Current::Generation(_)));
    let receipts = real_dir.join(RECEIPTS_FILE);
    if !generation && !receipts.exists() {
        return Ok(());
    }
    let config = match Receipts::read(real_dir) {
        Ok(Some(Receipts {
            config: Some(c), ..
        })) => format!("config {c}"),
        _ => format!(
            "receipts {}; the config it came from is not recorded",
            receipts.display()
        ),
    };
    Err(SyncError::ManagedByInstall {
        plugin_dir: layout.plugin_dir().to_path_buf(),
        config,
    })
}

/// The YAML plugins in the folder and the state of the last sync (absent
/// or unreadable state counts as none).
///
/// # Examples
///
/// ```
/// use plugin_sync::apply::read_local;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), "name: neo\n").unwrap();
/// std::fs::write(dir.path().join("notes.txt"), "not a plugin").unwrap();
/// let (plugins, state) = read_local(dir.path())?;
/// assert_eq!(plugins.len(), 1);
/// assert_eq!(plugins[0].file, "optimus-plugin-neo.yaml");
/// assert_eq!(plugins[0].sha256.len(), 64);
/// assert!(state.is_none());
/// assert!(read_local(&dir.path().join("missing"))?.0.is_empty());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn read_local(real_dir: &Path) -> Result<(Vec<LocalPlugin>, Option<SyncState>), SyncError> {
    if !real_dir.exists() {
        return Ok((Vec::new(), None));
    }
    let mut out = Vec::new();
    for (file, path) in list_yaml_plugins(real_dir)? {
        let bytes = fs::read(&path).map_err(SyncError::io("reading", &path))?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        out.push(LocalPlugin { file, path, sha256 });
    }
    let state = fs::read(real_dir.join(SYNC_STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    Ok((out, state))
}

/// Makes the folder hold exactly `new_set` as its YAML plugins (other files
/// untouched) and `state` as its sync state. With `changed == false` only
/// the state file is replaced (atomically).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use plugin_sync::apply::{apply, lock_plugin_dir, read_local, SyncState};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("optimus-plugin-old.yaml"), "name: old\n")?;
/// std::fs::write(dir.path().join("notes.txt"), "kept")?;
/// let state = SyncState { url: "http://h/plugins".into(), etag: Some("\"e1\"".into()), files: Default::default() };
/// let lock = lock_plugin_dir(dir.path(), Duration::from_secs(5))?;
/// // An empty set: the YAML plugins go, every other file stays.
/// apply(&lock, &[], &state, true)?;
/// let (local, read_back) = read_local(lock.real_dir())?;
/// assert!(local.is_empty());
/// assert_eq!(read_back.unwrap().etag.as_deref(), Some("\"e1\""));
/// assert_eq!(std::fs::read_to_string(lock.real_dir().join("notes.txt"))?, "kept");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply(
    lock: &DirLock,
    new_set: &[PluginFile],
    state: &SyncState,
    changed: bool,
) -> Result<(), SyncError> {
    let state_json = serde_json::to_vec_pretty(state)
        .map_err(|e| SyncError::State(format!("cannot encode the sync state: {e}")))?;
    let real_dir = lock.target.path();
    if !changed && lock.exists {
        let path = real_dir.join(SYNC_STATE_FILE);
        return safe_fs::atomic::write_file(&path, &state_json)
            .map_err(SyncError::io("writing", &path));
    }
    // The new files must fit (carried-over files are hard links): fail
    // before writing anything.
    let bytes =
        new_set.iter().map(|f| f.contents.len() as u64).sum::<u64>() + state_json.len() as u64;
    safe_fs::space::ensure_room(lock.target.parent(), bytes, new_set.len() as u64 + 1).map_err(
        |mut e| {
            e.dir = real_dir.to_path_buf();
            SyncError::NoSpace { source: e }
        },
    )?;
    stage_and_publish(lock, new_set, &state_json).map_err(|e| {
        if safe_fs::space::chain_is_no_space(&e) {
            safe_fs::space::NoSpace::ran_out(real_dir).into()
        } else {
            e
        }
    })
}

/// Writes the new set into a staging folder (the kept files carried over)
/// and switches it in.
fn stage_and_publish(
    lock: &DirLock,
    new_set: &[PluginFile],
    state_json: &[u8],
) -> Result<(), SyncError> {
    let real_dir = lock.target.path();
    // The staging folder `.<dir>.sync-XXXX` is removed on any error before
    // the switch; its flush is opened before anything is written, so the
    // one `syncfs` before the switch reports a write-back error of any file.
    let staging = lock
        .target
        .stage(STAGING_TAG, Durability::SyncFs)
        .map_err(SyncError::io(
            "creating staging folder in",
            lock.target.parent(),
        ))?;
    let new_dir = staging.path();
    if lock.exists {
        carry_over(real_dir, new_dir)?;
        let perms = fs::metadata(real_dir)
            .map_err(SyncError::io("reading", real_dir))?
            .permissions();
        fs::set_permissions(new_dir, perms).map_err(SyncError::io("setting mode of", new_dir))?;
    } else {
        fs::set_permissions(new_dir, fs::Permissions::from_mode(0o755))
            .map_err(SyncError::io("setting mode of", new_dir))?;
    }
    for f in new_set {
        write_new(&new_dir.join(&f.entry.file), &f.contents, 0o644)?;
    }
    write_new(&new_dir.join(SYNC_STATE_FILE), state_json, 0o644)?;

    match staging.publish() {
        // The new set is live; an old copy left behind is removed by the
        // next sync, under the lock.
        Ok(_) | Err(PublishError::RemoveOld { .. }) => Ok(()),
        Err(PublishError::Flush { staging, source }) => Err(SyncError::Io {
            what: "flushing to disk",
            path: staging,
            source,
        }),
        Err(e) => {
            let source = e.into_io_error();
            let hint = match source.raw_os_error() {
                Some(16 | 18) => " (is it a mount point? sync into a folder inside it)",
                _ => "",
            };
            Err(SyncError::State(format!(
                "cannot switch {} to the new plugin set: {source}{hint}",
                real_dir.display()
            )))
        }
    }
}

/// Creates `path` with `contents` and `mode`. Not flushed here: the whole
/// staging folder is made durable at once when it is published.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), SyncError> {
    let mut f = safe_fs::atomic::create_new(path).map_err(SyncError::io("creating", path))?;
    f.write_all(contents)
        .and_then(|()| f.set_permissions(fs::Permissions::from_mode(mode)))
        .map_err(SyncError::io("writing", path))
}

/// Recreates every entry of `from` except YAML plugins and the sync state
/// in `to`: hard links for files, copies where linking fails, links and
/// folders recreated.
fn carry_over(from: &Path, to: &Path) -> Result<(), SyncError> {
    let rd = fs::read_dir(from).map_err(SyncError::io("listing", from))?;
    for entry in rd {
        let entry = entry.map_err(SyncError::io("listing", from))?;
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if name_s == SYNC_STATE_FILE || crate::archive::is_yaml_plugin_file_name(&name_s) {
            continue;
        }
        copy_entry(&entry.path(), &to.join(&name))?;
    }
    Ok(())
}

fn copy_entry(src: &Path, dst: &Path) -> Result<(), SyncError> {
    let meta = fs::symlink_metadata(src).map_err(SyncError::io("reading", src))?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = fs::read_link(src).map_err(SyncError::io("reading link", src))?;
        std::os::unix::fs::symlink(target, dst).map_err(SyncError::io("creating link", dst))
    } else if ft.is_dir() {
        fs::create_dir(dst).map_err(SyncError::io("creating folder", dst))?;
        let rd = fs::read_dir(src).map_err(SyncError::io("listing", src))?;
        for entry in rd {
            let entry = entry.map_err(SyncError::io("listing", src))?;
            copy_entry(&entry.path(), &dst.join(entry.file_name()))?;
        }
        fs::set_permissions(dst, meta.permissions()).map_err(SyncError::io("setting mode of", dst))
    } else if ft.is_file() {
        if fs::hard_link(src, dst).is_ok() {
            return Ok(());
        }
        fs::copy(src, dst)
            .map(drop)
            .map_err(SyncError::io("copying", src))
    } else {
        Err(SyncError::State(format!(
            "cannot carry over {}: not a file, folder or link",
            src.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::test_plugin as plugin;

    fn state() -> SyncState {
        SyncState {
            url: "http://127.0.0.1:1/plugins".into(),
            etag: None,
            files: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn swap_keeps_other_files_and_cleans_up() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("plugins");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("optimus-bq2bq_linux_amd64"), "binary").unwrap();
        fs::set_permissions(
            dir.join("optimus-bq2bq_linux_amd64"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        fs::write(dir.join("optimus-plugin-old.yaml"), "old").unwrap();
        fs::create_dir_all(dir.join("sub/deeper")).unwrap();
        fs::write(dir.join("sub/x"), "x").unwrap();
        fs::write(dir.join("sub/deeper/y"), "y").unwrap();
        std::os::unix::fs::symlink("x", dir.join("sub/link")).unwrap();

        let lock = lock_plugin_dir(&dir, Duration::from_secs(1)).unwrap();
        apply(&lock, &[plugin("a", "1")], &state(), true).unwrap();
        drop(lock);

        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                SYNC_STATE_FILE,
                "optimus-bq2bq_linux_amd64",
                "optimus-plugin-a.yaml",
                "sub"
            ]
        );
        let mode = fs::metadata(dir.join("optimus-bq2bq_linux_amd64"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(fs::read_to_string(dir.join("sub/x")).unwrap(), "x");
        assert_eq!(fs::read_to_string(dir.join("sub/deeper/y")).unwrap(), "y");
        assert_eq!(fs::read_link(dir.join("sub/link")).unwrap(), Path::new("x"));
        let siblings: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".sync-"))
            .collect();
        assert!(siblings.is_empty(), "{siblings:?}");
    }

    #[test]
    fn leftovers_of_a_crash_are_removed_and_never_visible() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("plugins");
        fs::create_dir(&dir).unwrap();
        let leftover = root.path().join(".plugins.sync-crashed");
        fs::create_dir(&leftover).unwrap();
        fs::write(leftover.join("optimus-plugin-z.yaml"), "half").unwrap();
        let lock = lock_plugin_dir(&dir, Duration::from_secs(1)).unwrap();
        assert!(!leftover.exists());
        assert!(fs::read_dir(&dir).unwrap().next().is_none());
        drop(lock);
    }

    #[test]
    fn second_sync_waits_for_the_lock() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("plugins");
        let held = lock_plugin_dir(&dir, Duration::from_secs(1)).unwrap();
        let err = lock_plugin_dir(&dir, Duration::from_millis(100)).unwrap_err();
        assert!(
            matches!(err, SyncError::Folder(plugin_manager::Error::Locked { .. })),
            "{err}"
        );
        drop(held);
        lock_plugin_dir(&dir, Duration::from_millis(100)).unwrap();
    }

    #[test]
    fn symlinked_folder_swaps_its_target() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join(".gen-1");
        fs::create_dir(&real).unwrap();
        fs::write(real.join("bin"), "b").unwrap();
        let link = root.path().join("plugins");
        std::os::unix::fs::symlink(".gen-1", &link).unwrap();
        let lock = lock_plugin_dir(&link, Duration::from_secs(1)).unwrap();
        apply(&lock, &[plugin("a", "1")], &state(), true).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(link.join("optimus-plugin-a.yaml").is_file());
        assert!(link.join("bin").is_file());
    }
}
