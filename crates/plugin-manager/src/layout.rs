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

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How many generations are kept: the current one and the one before it.
pub const KEEP_GENERATIONS: usize = 2;

/// The paths around one `plugin_dir`.
#[derive(Debug, Clone)]
pub struct Layout {
    plugin_dir: PathBuf,
    parent: PathBuf,
    name: String,
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
    pub fn new(plugin_dir: &Path) -> Result<Layout> {
        let name = plugin_dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(|| {
                Error::Config(format!(
                    "plugin_dir {} must end in a folder name",
                    plugin_dir.display()
                ))
            })?
            .to_owned();
        let parent = match plugin_dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Layout {
            plugin_dir: plugin_dir.to_path_buf(),
            parent,
            name,
        })
    }

    /// The plugin folder (the link).
    pub fn plugin_dir(&self) -> &Path {
        &self.plugin_dir
    }

    /// The folder holding `plugin_dir` and its hidden siblings.
    pub fn parent(&self) -> &Path {
        &self.parent
    }

    /// The lock file of the folder, shared by install and sync.
    pub fn lock_path(&self) -> PathBuf {
        self.parent.join(format!(".{}.lock", self.name))
    }

    fn gen_prefix(&self) -> String {
        format!(".{}.gen-", self.name)
    }

    fn staging_prefix(&self) -> String {
        format!(".{}.staging-", self.name)
    }

    /// The folder of generation `name`.
    pub fn generation_path(&self, name: &str) -> PathBuf {
        self.parent.join(name)
    }

    /// Creates the parent folder if needed.
    pub fn ensure_parent(&self) -> Result<()> {
        safe_fs::atomic::create_dir_all_durable(&self.parent)
            .map_err(Error::io("creating folder", &self.parent))
    }

    /// What `plugin_dir` is now.
    pub fn current(&self) -> Result<Current> {
        match fs::symlink_metadata(&self.plugin_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Current::Absent),
            Err(e) => Err(Error::io("inspecting", &self.plugin_dir)(e)),
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&self.plugin_dir)
                    .map_err(Error::io("reading link", &self.plugin_dir))?;
                let t = target.to_string_lossy().into_owned();
                if target.components().count() == 1 && t.starts_with(&self.gen_prefix()) {
                    Ok(Current::Generation(t))
                } else {
                    Err(Error::State(format!(
                        "{} is a link to {t}, not to a plugin set made by optimus-plugin; remove it or choose another plugin_dir",
                        self.plugin_dir.display()
                    )))
                }
            }
            Ok(m) if m.is_dir() => Ok(Current::PlainDir),
            Ok(_) => Err(Error::State(format!(
                "{} exists and is not a folder",
                self.plugin_dir.display()
            ))),
        }
    }

    /// Existing generation folders, oldest first, by number.
    pub fn generations(&self) -> Result<Vec<(u64, String)>> {
        let prefix = self.gen_prefix();
        let mut out = Vec::new();
        let rd = match fs::read_dir(&self.parent) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io("listing", &self.parent)(e)),
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

    /// Creates a new, empty staging folder.
    pub fn new_staging(&self) -> Result<PathBuf> {
        self.ensure_parent()?;
        let dir = tempfile::Builder::new()
            .prefix(&self.staging_prefix())
            .tempdir_in(&self.parent)
            .map_err(Error::io("creating staging folder in", &self.parent))?;
        Ok(dir.keep())
    }

    /// A private folder for temporary files (zip spools); removed with the
    /// returned guard.
    pub fn temp_dir(&self) -> Result<tempfile::TempDir> {
        self.ensure_parent()?;
        tempfile::Builder::new()
            .prefix(&format!(".{}.tmp-", self.name))
            .tempdir_in(&self.parent)
            .map_err(Error::io("creating temporary folder in", &self.parent))
    }

    /// Removes staging and temporary folders left by killed runs. Call with
    /// the lock held.
    pub fn clean_leftovers(&self) -> Result<()> {
        let staging = self.staging_prefix();
        let tmp = format!(".{}.tmp-", self.name);
        let link = format!(".{}.link-", self.name);
        let Ok(rd) = fs::read_dir(&self.parent) else {
            return Ok(());
        };
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with(&staging) || name.starts_with(&tmp) {
                fs::remove_dir_all(&path).map_err(Error::io("removing", &path))?;
            } else if name.starts_with(&link) {
                fs::remove_file(&path).map_err(Error::io("removing", &path))?;
            }
        }
        Ok(())
    }

    /// Publishes a filled staging folder as the new current set under the
    /// generation name `gen_name` (see [`Layout::next_generation_name`]).
    /// With `flush` (opened on the staging folder before it was filled),
    /// the set is flushed to disk first: one `syncfs` for the whole file
    /// system, not one `fsync` per file.
    pub fn publish(
        &self,
        staging: &Path,
        gen_name: &str,
        flush: Option<&safe_fs::atomic::FsFlush>,
    ) -> Result<()> {
        let current = self.current()?;
        let gen_path = self.generation_path(gen_name);
        if let Some(flush) = flush {
            flush.sync_fs().map_err(Error::io("syncing", staging))?;
        }
        fs::rename(staging, &gen_path)
            .map_err(Error::io("renaming staging folder to", &gen_path))?;
        let link = self.parent.join(format!(".{}.link-new", self.name));
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(gen_name, &link).map_err(Error::io("creating link", &link))?;
        match current {
            Current::Absent | Current::Generation(_) => {
                fs::rename(&link, &self.plugin_dir).map_err(|e| self.publish_error(&e))?;
            }
            Current::PlainDir => {
                // Swap the plain folder and the link in one step, then keep
                // the old folder as generation 0 for rollback.
                rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &link,
                    rustix::fs::CWD,
                    &self.plugin_dir,
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .map_err(|e| self.publish_error(&e.into()))?;
                let legacy = self.generation_path(&self.legacy_generation_name());
                fs::rename(&link, &legacy)
                    .map_err(Error::io("keeping the old folder as", &legacy))?;
            }
        }
        safe_fs::atomic::fsync_dir(&self.parent).map_err(Error::io("syncing", &self.parent))
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
            self.plugin_dir.display()
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
        let link = self.parent.join(format!(".{}.link-rollback", self.name));
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(gen_name, &link).map_err(Error::io("creating link", &link))?;
        fs::rename(&link, &self.plugin_dir).map_err(|e| self.publish_error(&e))?;
        safe_fs::atomic::fsync_dir(&self.parent).map_err(Error::io("syncing", &self.parent))
    }

    /// Removes generations other than `keep` (current and previous).
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
    _file: File,
}

impl InstallLock {
    /// Takes the lock, waiting up to `timeout` for another install (or
    /// sync) to end.
    pub fn acquire(layout: &Layout, timeout: Duration) -> Result<InstallLock> {
        layout.ensure_parent()?;
        let path = layout.lock_path();
        match lock_file(&path, timeout) {
            Ok(file) => Ok(InstallLock { _file: file }),
            Err(LockFailure::Busy { waited_secs }) => Err(Error::Locked {
                plugin_dir: layout.plugin_dir.clone(),
                lock: path,
                waited_secs,
            }),
            Err(LockFailure::Io(what, e)) => Err(Error::io(what, &path)(e)),
        }
    }
}

/// Why [`lock_file`] did not get the lock.
#[derive(Debug)]
pub enum LockFailure {
    /// Another process held it for the whole wait.
    Busy {
        /// How long we waited.
        waited_secs: u64,
    },
    /// Opening or locking failed (what was being done, the error).
    Io(&'static str, std::io::Error),
}

/// Takes the exclusive lock on `path` (created if missing; its folder must
/// exist), waiting up to `timeout`. The one lock of a plugin folder, taken
/// by install, rollback and sync alike ([`Layout::lock_path`]), so that
/// they never work on one folder at once.
pub fn lock_file(path: &Path, timeout: Duration) -> std::result::Result<File, LockFailure> {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| LockFailure::Io("opening lock file", e))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    return Err(LockFailure::Busy {
                        waited_secs: start.elapsed().as_secs(),
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::Error(e)) => return Err(LockFailure::Io("locking", e)),
        }
    }
}
