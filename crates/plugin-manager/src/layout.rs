//! Where plugin sets live and how the current one is switched.
//!
//! `plugin_dir` is a symbolic link to a hidden sibling folder holding one
//! complete set (a *generation*):
//!
//! ```text
//! /app/plugins            -> .plugins.gen-7        (relative link)
//! /app/.plugins.gen-7/    the current set (+ .optimus-receipts.json)
//! /app/.plugins.gen-6/    the previous set (for `install --rollback`)
//! /app/.plugins.lock      the lock (install and sync)
//! /app/.plugins.staging-* a set being built (removed on the next run)
//! ```
//!
//! A new set is built in a staging folder, synced to disk once
//! (`syncfs`), renamed to its generation name, and published by renaming a
//! new symbolic link over `plugin_dir` (`rename(2)` replaces it in one
//! step). A reader resolving `plugin_dir` sees the old set or the new set,
//! never a mix, whenever the process is killed. On the first run a plain
//! `plugin_dir` folder is swapped for the link with
//! `renameat2(RENAME_EXCHANGE)` and kept as generation 0.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use safe_fs::publish::{DirLock, Durability, LockError, PublishError, Staging, Target};

use crate::error::{Error, Result};

/// How many generations are kept: the current one and the one before it.
pub const KEEP_GENERATIONS: usize = 2;

/// The paths around one `plugin_dir`.
///
/// ```
/// use plugin_manager::Layout;
/// use plugin_manager::layout::Current;
/// use safe_fs::publish::Durability;
///
/// let root = tempfile::tempdir().unwrap();
/// let layout = Layout::new(&root.path().join("plugins")).unwrap();
/// assert_eq!(layout.current().unwrap(), Current::Absent);
/// let staging = layout.stage(Durability::NoFlush).unwrap();
/// std::fs::write(staging.path().join("optimus-plugin-a.yaml"), "name: a").unwrap();
/// let generation = layout.next_generation_name().unwrap();
/// layout.publish(staging, &generation).unwrap();
/// assert_eq!(layout.current().unwrap(), Current::Generation(".plugins.gen-1".into()));
/// assert!(root.path().join("plugins/optimus-plugin-a.yaml").is_file());
/// ```
#[derive(Debug, Clone)]
pub struct Layout {
    target: Target,
}

/// What `plugin_dir` currently is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Current {
    /// Nothing there yet.
    Absent,
    /// A plain folder (not managed yet, or made by hand).
    PlainDir,
    /// A link to the named generation folder (a sibling).
    Generation(String),
}

impl Layout {
    /// The layout for `plugin_dir` (which need not exist; its parent is
    /// created when needed).
    ///
    /// ```
    /// let layout = plugin_manager::Layout::new("/app/plugins".as_ref()).unwrap();
    /// assert_eq!(layout.plugin_dir(), std::path::Path::new("/app/plugins"));
    /// assert!(plugin_manager::Layout::new("/".as_ref()).is_err());
    /// ```
    pub fn new(plugin_dir: &Path) -> Result<Layout> {
        let target = Target::new(plugin_dir).map_err(|_| {
            Error::Config(format!(
                "plugin_dir {} must end in a folder name",
                plugin_dir.display()
            ))
        })?;
        Ok(Layout { target })
    }

    /// The plugin folder (the link).
    ///
    /// ```
    /// let layout = plugin_manager::Layout::new("/app/plugins".as_ref()).unwrap();
    /// assert_eq!(layout.plugin_dir(), std::path::Path::new("/app/plugins"));
    /// ```
    pub fn plugin_dir(&self) -> &Path {
        self.target.path()
    }

    /// The folder holding `plugin_dir` and its hidden siblings.
    ///
    /// ```
    /// let layout = plugin_manager::Layout::new("/app/plugins".as_ref()).unwrap();
    /// assert_eq!(layout.parent(), std::path::Path::new("/app"));
    /// ```
    pub fn parent(&self) -> &Path {
        self.target.parent()
    }

    /// The publish target (`plugin_dir` and its hidden siblings).
    ///
    /// ```
    /// let layout = plugin_manager::Layout::new("/app/plugins".as_ref()).unwrap();
    /// assert_eq!(layout.target().name(), "plugins");
    /// ```
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The lock file of the folder, shared by install and sync.
    ///
    /// ```
    /// let layout = plugin_manager::Layout::new("/app/plugins".as_ref()).unwrap();
    /// assert_eq!(layout.lock_path(), std::path::Path::new("/app/.plugins.lock"));
    /// ```
    pub fn lock_path(&self) -> PathBuf {
        self.target.lock_path()
    }

    fn gen_prefix(&self) -> String {
        self.target.hidden_prefix("gen")
    }

    /// The folder of generation `name`.
    ///
    /// ```
    /// let layout = plugin_manager::Layout::new("/app/plugins".as_ref()).unwrap();
    /// assert_eq!(layout.generation_path(".plugins.gen-1"), std::path::Path::new("/app/.plugins.gen-1"));
    /// ```
    pub fn generation_path(&self, name: &str) -> PathBuf {
        self.parent().join(name)
    }

    /// Creates the parent folder if needed.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let layout = plugin_manager::Layout::new(&dir.path().join("a/b/plugins")).unwrap();
    /// layout.ensure_parent().unwrap();
    /// assert!(dir.path().join("a/b").is_dir());
    /// ```
    pub fn ensure_parent(&self) -> Result<()> {
        self.target
            .ensure_parent()
            .map_err(Error::io("creating folder", self.parent()))
    }

    /// What `plugin_dir` is now.
    ///
    /// ```
    /// use plugin_manager::layout::Current;
    /// let dir = tempfile::tempdir().unwrap();
    /// let layout = plugin_manager::Layout::new(&dir.path().join("plugins")).unwrap();
    /// assert_eq!(layout.current().unwrap(), Current::Absent);
    /// std::fs::create_dir(dir.path().join("plugins")).unwrap();
    /// assert_eq!(layout.current().unwrap(), Current::PlainDir);
    /// ```
    pub fn current(&self) -> Result<Current> {
        match fs::symlink_metadata(self.plugin_dir()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Current::Absent),
            Err(e) => Err(Error::io("inspecting", self.plugin_dir())(e)),
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(self.plugin_dir())
                    .map_err(Error::io("reading link", self.plugin_dir()))?;
                let t = target.to_string_lossy().into_owned();
                if target.components().count() == 1 && t.starts_with(&self.gen_prefix()) {
                    Ok(Current::Generation(t))
                } else {
                    Err(Error::State(format!(
                        "{} is a link to {t}, not to a plugin set made by optimus-plugin; remove it or choose another plugin_dir",
                        self.plugin_dir().display()
                    )))
                }
            }
            Ok(m) if m.is_dir() => Ok(Current::PlainDir),
            Ok(_) => Err(Error::State(format!(
                "{} exists and is not a folder",
                self.plugin_dir().display()
            ))),
        }
    }

    /// Existing generation folders, oldest first, by number.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::Layout;
    /// let root = tempfile::tempdir().unwrap();
    /// let layout = Layout::new(&root.path().join("plugins")).unwrap();
    /// assert!(layout.generations().unwrap().is_empty());
    /// for n in [10, 9] {
    ///     std::fs::create_dir(root.path().join(format!(".plugins.gen-{n}"))).unwrap();
    /// }
    /// let gens = layout.generations().unwrap();
    /// assert_eq!(gens, [(9, ".plugins.gen-9".to_owned()), (10, ".plugins.gen-10".to_owned())]);
    /// assert_eq!(layout.next_generation_name().unwrap(), ".plugins.gen-11");
    /// assert_eq!(layout.legacy_generation_name(), ".plugins.gen-0");
    /// ```
    pub fn generations(&self) -> Result<Vec<(u64, String)>> {
        let prefix = self.gen_prefix();
        let mut out = Vec::new();
        let rd = match fs::read_dir(self.parent()) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io("listing", self.parent())(e)),
        };
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_prefix(&prefix)
                .and_then(|n| n.parse::<u64>().ok())
            {
                out.push((n, name));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Creates a new, empty staging folder (`.<name>.staging-*`) for a
    /// set; with [`Durability::SyncFs`] the set is flushed to disk with one
    /// `syncfs` when it is published, not one `fsync` per file.
    pub fn stage(&self, durability: Durability) -> Result<Staging> {
        self.ensure_parent()?;
        self.target
            .stage("staging", durability)
            .map_err(Error::io("creating staging folder in", self.parent()))
    }

    /// A private folder for temporary files (zip spools); removed with the
    /// returned guard.
    pub fn temp_dir(&self) -> Result<tempfile::TempDir> {
        self.ensure_parent()?;
        tempfile::Builder::new()
            .prefix(&self.target.hidden_prefix("tmp"))
            .tempdir_in(self.parent())
            .map_err(Error::io("creating temporary folder in", self.parent()))
    }

    /// Removes staging and temporary folders and links left by killed
    /// runs. Call with the lock held.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::Layout;
    /// use safe_fs::publish::Durability;
    /// let root = tempfile::tempdir().unwrap();
    /// let layout = Layout::new(&root.path().join("plugins")).unwrap();
    /// let staging = layout.stage(Durability::NoFlush).unwrap();
    /// let tmp = layout.temp_dir().unwrap().keep();
    /// let staged = staging.path().to_path_buf();
    /// std::mem::forget(staging); // as if the run was killed
    /// layout.clean_leftovers().unwrap();
    /// assert!(!staged.exists() && !tmp.exists());
    /// ```
    pub fn clean_leftovers(&self) -> Result<()> {
        self.target
            .remove_leftovers(&["staging", "tmp", "link"])
            .map(drop)
            .map_err(Error::io("removing leftovers in", self.parent()))
    }

    /// Publishes a filled staging folder as the new current set under the
    /// generation name `gen_name` (see [`Layout::next_generation_name`]):
    /// flushed as the staging folder's [`Durability`] says, renamed to its
    /// generation folder, then `plugin_dir` (a link) switched to it. A
    /// plain `plugin_dir` folder is swapped for the link in one step and
    /// kept as generation 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::Layout;
    /// use plugin_manager::layout::Current;
    /// use safe_fs::publish::Durability;
    /// let root = tempfile::tempdir().unwrap();
    /// let plugins = root.path().join("plugins");
    /// std::fs::create_dir(&plugins).unwrap();
    /// std::fs::write(plugins.join("optimus-plugin-hand.yaml"), "name: hand\n").unwrap();
    /// let layout = Layout::new(&plugins).unwrap();
    /// assert_eq!(layout.current().unwrap(), Current::PlainDir);
    /// let staging = layout.stage(Durability::NoFlush).unwrap();
    /// layout.publish(staging, &layout.next_generation_name().unwrap()).unwrap();
    /// assert_eq!(layout.current().unwrap(), Current::Generation(".plugins.gen-1".into()));
    /// // The hand-made folder is kept as generation 0.
    /// assert!(root.path().join(".plugins.gen-0/optimus-plugin-hand.yaml").is_file());
    /// assert!(!plugins.join("optimus-plugin-hand.yaml").exists());
    /// ```
    pub fn publish(&self, staging: Staging, gen_name: &str) -> Result<()> {
        let current = self.current()?;
        let staged = staging.path().to_path_buf();
        staging.publish_as(gen_name).map_err(|e| match e {
            PublishError::Flush { source, .. } => Error::io("syncing", &staged)(source),
            e => Error::io("renaming staging folder to", self.generation_path(gen_name))(
                e.into_io_error(),
            ),
        })?;
        let old = self
            .target
            .switch_link(Path::new(gen_name))
            .map_err(|e| self.publish_error(&e))?;
        if let (Current::PlainDir, Some(old)) = (current, old) {
            // The plain folder was swapped for the link: keep it as
            // generation 0 for rollback.
            let legacy = self.generation_path(&self.legacy_generation_name());
            fs::rename(&old, &legacy).map_err(Error::io("keeping the old folder as", &legacy))?;
            safe_fs::atomic::fsync_dir(self.parent())
                .map_err(Error::io("syncing", self.parent()))?;
        }
        Ok(())
    }

    /// The name the next published generation gets.
    pub fn next_generation_name(&self) -> Result<String> {
        let next = self.generations()?.last().map_or(1, |(n, _)| n + 1);
        Ok(format!("{}{next}", self.gen_prefix()))
    }

    /// Where a plain `plugin_dir` folder is kept when it is first replaced.
    pub fn legacy_generation_name(&self) -> String {
        format!("{}0", self.gen_prefix())
    }

    fn publish_error(&self, e: &std::io::Error) -> Error {
        let hint = match e.raw_os_error() {
            Some(16) => {
                " (it is a mount point: mount the volume on its parent folder and point plugin_dir at a subfolder, see docs/install.md)"
            }
            Some(18) => " (the staging folder is on another file system)",
            _ => "",
        };
        Error::State(format!(
            "cannot switch {} to the new plugin set: {e}{hint}",
            self.plugin_dir().display()
        ))
    }

    /// Points `plugin_dir` at an existing generation (rollback).
    pub fn switch_to(&self, gen_name: &str) -> Result<()> {
        let path = self.generation_path(gen_name);
        if !path.is_dir() {
            return Err(Error::State(format!(
                "generation {} does not exist (pruned?)",
                path.display()
            )));
        }
        self.target
            .switch_link(Path::new(gen_name))
            .map_err(|e| self.publish_error(&e))?;
        Ok(())
    }

    /// Removes generations other than `keep` (current and previous).
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::Layout;
    /// use safe_fs::publish::Durability;
    /// let root = tempfile::tempdir().unwrap();
    /// let layout = Layout::new(&root.path().join("plugins")).unwrap();
    /// for _ in 0..3 {
    ///     let staging = layout.stage(Durability::NoFlush).unwrap();
    ///     layout.publish(staging, &layout.next_generation_name().unwrap()).unwrap();
    /// }
    /// assert_eq!(layout.generations().unwrap().len(), 3);
    /// let removed = layout.prune(&[".plugins.gen-2", ".plugins.gen-3"]).unwrap();
    /// assert_eq!(removed, [".plugins.gen-1"]);
    /// // Back to the previous set, as `rollback` does.
    /// layout.switch_to(".plugins.gen-2").unwrap();
    /// assert!(layout.switch_to(".plugins.gen-1").is_err());
    /// ```
    pub fn prune(&self, keep: &[&str]) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for (_, name) in self.generations()? {
            if keep.contains(&name.as_str()) {
                continue;
            }
            let path = self.generation_path(&name);
            fs::remove_dir_all(&path).map_err(Error::io("removing old set", &path))?;
            removed.push(name);
        }
        Ok(removed)
    }
}

/// Holds the lock of one plugin_dir until dropped.
#[derive(Debug)]
pub struct InstallLock {
    _lock: DirLock,
}

impl InstallLock {
    /// Takes the lock, waiting up to `timeout` for another install (or
    /// sync) to end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use plugin_manager::layout::InstallLock;
    /// use plugin_manager::{Error, Layout};
    /// let root = tempfile::tempdir().unwrap();
    /// let layout = Layout::new(&root.path().join("plugins")).unwrap();
    /// let held = InstallLock::acquire(&layout, Duration::from_secs(1)).unwrap();
    /// let err = InstallLock::acquire(&layout, Duration::ZERO).unwrap_err();
    /// assert!(matches!(err, Error::Locked { .. }), "{err}");
    /// drop(held);
    /// assert!(InstallLock::acquire(&layout, Duration::ZERO).is_ok());
    /// ```
    pub fn acquire(layout: &Layout, timeout: Duration) -> Result<InstallLock> {
        layout.ensure_parent()?;
        match layout.target.lock(timeout) {
            Ok(lock) => Ok(InstallLock { _lock: lock }),
            Err(LockError::Busy { lock, waited }) => Err(Error::Locked {
                plugin_dir: layout.plugin_dir().to_path_buf(),
                lock,
                waited_secs: waited.as_secs(),
            }),
            Err(LockError::Io { what, path, source }) => Err(Error::io(what, path)(source)),
            Err(e) => Err(Error::State(e.to_string())),
        }
    }
}
