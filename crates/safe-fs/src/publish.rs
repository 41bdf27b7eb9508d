//! Publishing a folder atomically, under a lock: the one way the plugin
//! tools (install, sync) and optimus-init replace a folder that others read.
//!
//! The steps, each a piece of this module:
//!
//! 1. [`Target`] names the folder to publish and its hidden siblings, all
//!    in the same parent folder (so every rename stays on one file system):
//!    `.<name>.lock`, `.<name>.<tag>-XXXX` staging folders, and so on.
//! 2. [`Target::lock`] takes the folder's exclusive lock ([`DirLock`], an
//!    `flock` waited for up to a timeout), so two writers never work on one
//!    folder at once.
//! 3. [`Target::remove_leftovers`] removes what a killed run left (staging
//!    folders, temporary links), by name prefix, under the lock.
//! 4. [`Target::stage`] makes a hidden staging folder beside the target
//!    ([`Staging`]); the caller fills it. Dropped without being published,
//!    it is removed.
//! 5. [`Staging::publish`] makes the staged files durable as the chosen
//!    [`Durability`] says, switches the staging folder in with one rename
//!    (`RENAME_NOREPLACE` onto an absent target, `RENAME_EXCHANGE` onto an
//!    existing one), `fsync`s the parent and removes the old copy.
//!    [`Staging::publish_as`] instead renames it to a sibling name of the
//!    caller's (a generation folder), to be pointed at by a symbolic link
//!    switched with [`Target::switch_link`].
//!
//! A reader of the target sees the old folder or the new one, never a mix,
//! whenever the writer is killed.
//!
//! # Examples
//!
//! Replace `in/` with a new copy, as optimus-init does:
//!
//! ```
//! use std::time::Duration;
//! use safe_fs::publish::{Durability, Target};
//!
//! let job = tempfile::tempdir().unwrap();
//! let target = Target::new(&job.path().join("in")).unwrap();
//! let _lock = target.lock(Duration::from_secs(5)).unwrap();
//! target.remove_leftovers(&["staging"]).unwrap();
//!
//! for text in ["first", "second"] {
//!     let staging = target.stage("staging", Durability::SyncFs).unwrap();
//!     std::fs::write(staging.path().join("query.sql"), text).unwrap();
//!     staging.publish().unwrap();
//! }
//! assert_eq!(std::fs::read_to_string(job.path().join("in/query.sql")).unwrap(), "second");
//! ```

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::atomic::{FsFlush, create_dir_all_durable, fsync_dir, publish_dir};

/// How the staged files reach the disk before the switch.
///
/// The switch itself is atomic whatever is chosen: a reader never sees a
/// partial folder. Durability decides whether the new folder also
/// survives a crash of the machine right after the switch.
///
/// ```
/// use safe_fs::publish::Durability;
/// assert_eq!(Durability::default(), Durability::SyncFs);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `fsync` each file and folder of the staging folder, one by one. Costs
    /// one trip to the disk per file; for file systems where `syncfs` is
    /// not available or would wait for much unrelated data.
    FsyncEach,
    /// One `syncfs(2)` of the staging folder's file system (all files'
    /// data and inodes at once, with write-back errors reported since the
    /// staging folder was made), then an `fsync` of each folder in it.
    /// The default.
    #[default]
    SyncFs,
    /// Nothing is flushed: the rename is atomic, but a machine crash may
    /// lose the new folder (fine for a pod's `emptyDir`, gone then anyway).
    NoFlush,
}

/// A folder to publish, and the names of its hidden siblings.
///
/// Every sibling is named `.<name>.<tag>`: the lock is `.<name>.lock`,
/// staging folders of tag `staging` are `.<name>.staging-XXXX`. Tags keep
/// apart the leftovers of different writers (install's `staging`, sync's
/// `sync`).
///
/// ```
/// use std::path::Path;
/// use safe_fs::publish::Target;
///
/// let t = Target::new(Path::new("/app/plugins")).unwrap();
/// assert_eq!(t.name(), "plugins");
/// assert_eq!(t.parent(), Path::new("/app"));
/// assert_eq!(t.lock_path(), Path::new("/app/.plugins.lock"));
/// assert_eq!(t.hidden_prefix("staging"), ".plugins.staging-");
/// assert!(Target::new(Path::new("/")).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    path: PathBuf,
    parent: PathBuf,
    name: String,
}

impl Target {
    /// The target `path` (which need not exist). It must end in a folder
    /// name (not `.`, `..` or `/`) that is valid UTF-8.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.name(), "plugins");
    /// assert!(Target::new(std::path::Path::new("/app/..")).is_err());
    /// ```
    pub fn new(path: &Path) -> io::Result<Target> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} must end in a folder name", path.display()),
                )
            })?
            .to_owned();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Target {
            path: path.to_path_buf(),
            parent,
            name,
        })
    }

    /// The target folder.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.path(), std::path::Path::new("/app/plugins"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder holding the target and its hidden siblings.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.parent(), std::path::Path::new("/app"));
    /// assert_eq!(Target::new("plugins".as_ref()).unwrap().parent(), std::path::Path::new("."));
    /// ```
    pub fn parent(&self) -> &Path {
        &self.parent
    }

    /// The target's own name.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.name(), "plugins");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `.<name>.<tag>-`: the start of the name of every sibling of kind
    /// `tag` (staging folders, temporary files).
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.hidden_prefix("gen"), ".plugins.gen-");
    /// ```
    pub fn hidden_prefix(&self, tag: &str) -> String {
        format!(".{}.{tag}-", self.name)
    }

    /// The sibling `.<name>.<tag>` (exact name, no random part).
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.sibling("old"), std::path::Path::new("/app/.plugins.old"));
    /// ```
    pub fn sibling(&self, tag: &str) -> PathBuf {
        self.parent.join(format!(".{}.{tag}", self.name))
    }

    /// The lock file: `.<name>.lock` beside the target.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    /// let t = Target::new(std::path::Path::new("/app/plugins")).unwrap();
    /// assert_eq!(t.lock_path(), std::path::Path::new("/app/.plugins.lock"));
    /// ```
    pub fn lock_path(&self) -> PathBuf {
        self.sibling("lock")
    }

    /// Creates the parent folder (and its missing parents, durably).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let t = safe_fs::publish::Target::new(&dir.path().join("a/b/in")).unwrap();
    /// t.ensure_parent().unwrap();
    /// assert!(dir.path().join("a/b").is_dir() && !t.path().exists());
    /// ```
    pub fn ensure_parent(&self) -> io::Result<()> {
        create_dir_all_durable(&self.parent)
    }

    /// Creates the parent folder if needed and takes the target's lock,
    /// waiting up to `timeout` for another holder to let go.
    ///
    /// ```
    /// use std::time::Duration;
    /// use safe_fs::publish::{LockError, Target};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let t = Target::new(&dir.path().join("plugins")).unwrap();
    /// let held = t.lock(Duration::from_secs(1)).unwrap();
    /// let busy = t.lock(Duration::from_millis(60)).unwrap_err();
    /// assert!(matches!(busy, LockError::Busy { .. }));
    /// drop(held);
    /// t.lock(Duration::ZERO).unwrap();
    /// ```
    pub fn lock(&self, timeout: Duration) -> Result<DirLock, LockError> {
        self.ensure_parent().map_err(|source| LockError::Io {
            what: "creating folder",
            path: self.parent.clone(),
            source,
        })?;
        DirLock::acquire(&self.lock_path(), timeout)
    }

    /// Removes every sibling whose name starts with
    /// [`hidden_prefix(tag)`](Target::hidden_prefix) for one of `tags`
    /// (folders with their contents, files, links): what a killed run left.
    /// Call it with the lock held. Every entry is tried; the first error is
    /// returned after the others were removed. Returns how many were
    /// removed.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join(".in.staging-dead")).unwrap();
    /// std::fs::write(dir.path().join(".in.staging-dead/half"), "x").unwrap();
    /// let t = Target::new(&dir.path().join("in")).unwrap();
    /// assert_eq!(t.remove_leftovers(&["staging"]).unwrap(), 1);
    /// assert_eq!(t.remove_leftovers(&["staging"]).unwrap(), 0);
    /// ```
    pub fn remove_leftovers(&self, tags: &[&str]) -> io::Result<usize> {
        let prefixes: Vec<String> = tags.iter().map(|t| self.hidden_prefix(t)).collect();
        let entries = match fs::read_dir(&self.parent) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        let mut first_error = None;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !prefixes.iter().any(|p| name.starts_with(p.as_str())) {
                continue;
            }
            let path = entry.path();
            let result = match entry.file_type() {
                Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
                Ok(_) => fs::remove_file(&path),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    first_error.get_or_insert_with(|| {
                        io::Error::new(e.kind(), format!("removing {}: {e}", path.display()))
                    });
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(removed),
        }
    }

    /// Creates a new, empty staging folder `.<name>.<tag>-XXXX` beside the
    /// target (creating the parent if needed). With [`Durability::SyncFs`]
    /// the flush is opened now, before anything is written, so that it
    /// reports a write-back error of any file staged afterwards.
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    /// let dir = tempfile::tempdir().unwrap();
    /// let target = Target::new(&dir.path().join("in")).unwrap();
    /// let staging = target.stage("staging", Durability::NoFlush).unwrap();
    /// assert!(staging.path().file_name().unwrap().to_str().unwrap().starts_with(".in.staging-"));
    /// let staged = staging.path().to_path_buf();
    /// drop(staging);
    /// assert!(!staged.exists(), "an unpublished staging folder is removed");
    /// ```
    pub fn stage(&self, tag: &str, durability: Durability) -> io::Result<Staging> {
        self.ensure_parent()?;
        let dir = tempfile::Builder::new()
            .prefix(&self.hidden_prefix(tag))
            .tempdir_in(&self.parent)?;
        let flush = match durability {
            Durability::SyncFs => Some(FsFlush::open(dir.path())?),
            Durability::FsyncEach | Durability::NoFlush => None,
        };
        Ok(Staging {
            dir: Some(dir),
            target: self.clone(),
            durability,
            flush,
        })
    }

    /// Points the target, a symbolic link, at `points_to` (usually a
    /// sibling's name, so the link is relative) in one step: a new link is
    /// made under a hidden name (tag `link`) and renamed over the target;
    /// then the parent is `fsync`ed.
    ///
    /// When the target is a real folder, the two are swapped
    /// (`RENAME_EXCHANGE`) and the old folder's new path (the hidden link
    /// name) is returned for the caller to keep or remove. When it is a
    /// link or absent, `Ok(None)`.
    ///
    /// ```
    /// use safe_fs::publish::Target;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let t = Target::new(&dir.path().join("plugins")).unwrap();
    /// std::fs::create_dir(dir.path().join(".plugins.gen-1")).unwrap();
    /// assert_eq!(t.switch_link(".plugins.gen-1".as_ref()).unwrap(), None);
    /// assert_eq!(std::fs::read_link(t.path()).unwrap().to_str(), Some(".plugins.gen-1"));
    /// ```
    pub fn switch_link(&self, points_to: &Path) -> io::Result<Option<PathBuf>> {
        let link = self.sibling("link-new");
        match fs::remove_file(&link) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::os::unix::fs::symlink(points_to, &link)?;
        let is_dir = fs::symlink_metadata(&self.path).is_ok_and(|m| m.is_dir());
        let result = if is_dir {
            exchange(&link, &self.path).map(|()| Some(link.clone()))
        } else {
            fs::rename(&link, &self.path).map(|()| None)
        };
        if let Err(e) = result {
            let _ = fs::remove_file(&link);
            return Err(e);
        }
        fsync_dir(&self.parent)?;
        result
    }
}

fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        a,
        rustix::fs::CWD,
        b,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .map_err(io::Error::from)
}

/// A hidden staging folder beside a [`Target`], filled by the caller and
/// then published. Dropped unpublished (an error on the way), it is
/// removed with everything in it.
///
/// ```
/// use safe_fs::publish::{Durability, Target};
///
/// let dir = tempfile::tempdir().unwrap();
/// let t = Target::new(&dir.path().join("plugins")).unwrap();
/// let staging = t.stage("staging", Durability::NoFlush).unwrap();
/// let path = staging.path().to_path_buf();
/// std::fs::write(path.join("half"), "x").unwrap();
/// drop(staging);
/// assert!(!path.exists());
/// ```
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: Target,
    durability: Durability,
    flush: Option<FsFlush>,
}

/// What [`Staging::publish`] did.
///
/// ```
/// use safe_fs::publish::{Durability, Target};
/// let dir = tempfile::tempdir().unwrap();
/// let target = Target::new(&dir.path().join("in")).unwrap();
/// let staging = target.stage("staging", Durability::NoFlush).unwrap();
/// assert!(!staging.publish().unwrap().replaced);
/// let again = target.stage("staging", Durability::NoFlush).unwrap();
/// assert!(again.publish().unwrap().replaced);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// Whether an older copy of the target was replaced (and removed).
    pub replaced: bool,
}

impl Staging {
    /// The staging folder, to be filled.
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    /// let dir = tempfile::tempdir().unwrap();
    /// let target = Target::new(&dir.path().join("in")).unwrap();
    /// let staging = target.stage("staging", Durability::NoFlush).unwrap();
    /// std::fs::write(staging.path().join("a.txt"), "x").unwrap();
    /// assert!(staging.path().join("a.txt").exists());
    /// ```
    pub fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or(Path::new(""), tempfile::TempDir::path)
    }

    /// The target it will be published as.
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    /// let dir = tempfile::tempdir().unwrap();
    /// let target = Target::new(&dir.path().join("in")).unwrap();
    /// let staging = target.stage("staging", Durability::NoFlush).unwrap();
    /// assert_eq!(staging.target().name(), "in");
    /// ```
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The durability chosen when it was made.
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    /// let dir = tempfile::tempdir().unwrap();
    /// let target = Target::new(&dir.path().join("in")).unwrap();
    /// let staging = target.stage("staging", Durability::NoFlush).unwrap();
    /// assert_eq!(staging.durability(), Durability::NoFlush);
    /// ```
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Puts everything staged on disk as [`Durability`] says. Called by
    /// [`Staging::publish`] and [`Staging::publish_as`]; needed alone
    /// only by a caller that switches by its own means.
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    /// let dir = tempfile::tempdir().unwrap();
    /// let target = Target::new(&dir.path().join("in")).unwrap();
    /// let staging = target.stage("staging", Durability::NoFlush).unwrap();
    /// std::fs::write(staging.path().join("a.txt"), "x").unwrap();
    /// staging.make_durable().unwrap();
    /// ```
    pub fn make_durable(&self) -> io::Result<()> {
        let root = self.path();
        match self.durability {
            Durability::NoFlush => Ok(()),
            Durability::SyncFs => {
                if let Some(flush) = &self.flush {
                    flush.sync_fs()?;
                }
                let mut folders = Vec::new();
                walk(root, &mut folders, &mut |_| Ok(()))?;
                for f in folders.iter().rev() {
                    fsync_dir(f)?;
                }
                fsync_dir(root)
            }
            Durability::FsyncEach => {
                let mut folders = Vec::new();
                walk(root, &mut folders, &mut |file| File::open(file)?.sync_all())?;
                for f in folders.iter().rev() {
                    fsync_dir(f)?;
                }
                fsync_dir(root)
            }
        }
    }

    /// Makes the staged folder durable and switches it in as the target:
    /// a no-replace rename when the target is absent, else an atomic swap
    /// with the old copy, which is then removed. The parent is `fsync`ed.
    ///
    /// On a [`PublishError::Flush`] or [`PublishError::Switch`] the target
    /// is untouched and the staging folder removed; on a
    /// [`PublishError::RemoveOld`] the new copy is live and the old one is
    /// left under a hidden name, for [`Target::remove_leftovers`].
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let t = Target::new(&dir.path().join("in")).unwrap();
    /// let s = t.stage("staging", Durability::FsyncEach).unwrap();
    /// std::fs::create_dir(s.path().join("sub")).unwrap();
    /// std::fs::write(s.path().join("sub/a"), "1").unwrap();
    /// assert!(!s.publish().unwrap().replaced);
    /// let s = t.stage("staging", Durability::FsyncEach).unwrap();
    /// assert!(s.publish().unwrap().replaced);
    /// assert!(!dir.path().join("in/sub").exists());
    /// ```
    pub fn publish(mut self) -> Result<Published, PublishError> {
        self.make_durable().map_err(|source| PublishError::Flush {
            staging: self.path().to_path_buf(),
            source,
        })?;
        let staged = self.path().to_path_buf();
        let old =
            publish_dir(&staged, &self.target.path).map_err(|source| PublishError::Switch {
                target: self.target.path.clone(),
                source,
            })?;
        // After the switch the staging name holds the old copy (or
        // nothing): the guard must not remove it behind our back.
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        match old {
            None => Ok(Published { replaced: false }),
            Some(old) => match fs::remove_dir_all(&old) {
                Ok(()) => Ok(Published { replaced: true }),
                Err(source) => Err(PublishError::RemoveOld { old, source }),
            },
        }
    }

    /// Makes the staged folder durable and renames it to the sibling
    /// `name` (which must not exist), then `fsync`s the parent. Returns
    /// the new path. For sets kept side by side (generations) and pointed
    /// at by a link, see [`Target::switch_link`].
    ///
    /// ```
    /// use safe_fs::publish::{Durability, Target};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let t = Target::new(&dir.path().join("plugins")).unwrap();
    /// let s = t.stage("staging", Durability::SyncFs).unwrap();
    /// std::fs::write(s.path().join("optimus-plugin-a.yaml"), "name: a").unwrap();
    /// let generation = s.publish_as(".plugins.gen-1").unwrap();
    /// assert_eq!(t.switch_link(".plugins.gen-1".as_ref()).unwrap(), None);
    /// assert!(dir.path().join("plugins/optimus-plugin-a.yaml").is_file());
    /// assert!(generation.ends_with(".plugins.gen-1"));
    /// ```
    pub fn publish_as(mut self, name: &str) -> Result<PathBuf, PublishError> {
        self.make_durable().map_err(|source| PublishError::Flush {
            staging: self.path().to_path_buf(),
            source,
        })?;
        let to = self.target.parent.join(name);
        let staged = self.path().to_path_buf();
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            &staged,
            rustix::fs::CWD,
            &to,
            rustix::fs::RenameFlags::NOREPLACE,
        )
        .map_err(|e| PublishError::Switch {
            target: to.clone(),
            source: e.into(),
        })?;
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        fsync_dir(&self.target.parent).map_err(|source| PublishError::Switch {
            target: to.clone(),
            source,
        })?;
        Ok(to)
    }
}

/// Calls `on_file` for each regular file under `dir` and pushes each
/// sub-folder to `folders`, parents before children. Links are not
/// followed.
fn walk(
    dir: &Path,
    folders: &mut Vec<PathBuf>,
    on_file: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let t = entry.file_type()?;
        let path = entry.path();
        if t.is_dir() {
            folders.push(path.clone());
            walk(&path, folders, on_file)?;
        } else if t.is_file() {
            on_file(&path)?;
        }
    }
    Ok(())
}

/// Why [`Staging::publish`] or [`Staging::publish_as`] failed, and where
/// it stopped.
///
/// ```
/// use safe_fs::publish::PublishError;
/// let e = PublishError::Switch { target: "/app/plugins".into(), source: std::io::Error::other("busy") };
/// assert_eq!(e.to_string(), "switching /app/plugins to the new copy: busy");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Flushing the staged files failed; nothing was switched.
    #[error("flushing {} to disk: {source}", staging.display())]
    Flush {
        /// The staging folder.
        staging: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The switch (rename) failed; the target is as it was. `EBUSY` means
    /// the target is a mount point, `EXDEV` another file system.
    #[error("switching {} to the new copy: {source}", target.display())]
    Switch {
        /// The target folder (or the sibling name of `publish_as`).
        target: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The new copy is live, but the old one could not be removed (it stays
    /// under a hidden staging name until the next
    /// [`Target::remove_leftovers`]).
    #[error("removing the old copy at {}: {source}", old.display())]
    RemoveOld {
        /// Where the old copy is now.
        old: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl PublishError {
    /// The OS error underneath.
    ///
    /// ```
    /// use safe_fs::publish::PublishError;
    /// let e = PublishError::RemoveOld { old: "/app/.plugins.staging-1".into(), source: std::io::Error::other("busy") };
    /// assert_eq!(e.io_error().to_string(), "busy");
    /// ```
    pub fn io_error(&self) -> &io::Error {
        match self {
            PublishError::Flush { source, .. }
            | PublishError::Switch { source, .. }
            | PublishError::RemoveOld { source, .. } => source,
        }
    }

    /// The OS error underneath, owned.
    ///
    /// ```
    /// use safe_fs::publish::PublishError;
    /// let e = PublishError::RemoveOld { old: "/app/.plugins.staging-1".into(), source: std::io::Error::other("busy") };
    /// assert_eq!(e.into_io_error().kind(), std::io::ErrorKind::Other);
    /// ```
    pub fn into_io_error(self) -> io::Error {
        match self {
            PublishError::Flush { source, .. }
            | PublishError::Switch { source, .. }
            | PublishError::RemoveOld { source, .. } => source,
        }
    }

    /// Whether the new copy is live despite the error.
    ///
    /// ```
    /// use safe_fs::publish::PublishError;
    /// let e = PublishError::RemoveOld { old: "/app/.plugins.staging-1".into(), source: std::io::Error::other("busy") };
    /// assert!(e.is_live(), "the new copy is in place; only cleaning up failed");
    /// ```
    pub fn is_live(&self) -> bool {
        matches!(self, PublishError::RemoveOld { .. })
    }
}

/// The exclusive lock of a folder, held until dropped (an `flock` on a
/// lock file beside it, released by the kernel if the process dies).
///
/// ```
/// use std::time::Duration;
/// use safe_fs::publish::DirLock;
///
/// let dir = tempfile::tempdir().unwrap();
/// let lock = DirLock::acquire(&dir.path().join(".x.lock"), Duration::from_secs(1)).unwrap();
/// assert!(lock.path().ends_with(".x.lock"));
/// ```
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// Takes the exclusive lock on the file `path` (created if missing; its
    /// folder must exist), trying every 50 ms for up to `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join(".x.lock");
    /// let held = safe_fs::publish::DirLock::acquire(&path, Duration::from_secs(1)).unwrap();
    /// assert!(safe_fs::publish::DirLock::acquire(&path, Duration::from_millis(50)).is_err());
    /// drop(held);
    /// safe_fs::publish::DirLock::acquire(&path, Duration::ZERO).unwrap();
    /// ```
    pub fn acquire(path: &Path, timeout: Duration) -> Result<DirLock, LockError> {
        let io_err = |what: &'static str| {
            move |source| LockError::Io {
                what,
                path: path.to_path_buf(),
                source,
            }
        };
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err("opening lock file"))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(DirLock {
                        _file: file,
                        path: path.to_path_buf(),
                    });
                }
                Err(fs::TryLockError::WouldBlock) => {
                    if start.elapsed() >= timeout {
                        return Err(LockError::Busy {
                            lock: path.to_path_buf(),
                            waited: start.elapsed(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_err("locking")(e)),
            }
        }
    }

    /// The lock file.
    ///
    /// ```
    /// use std::time::Duration;
    /// let dir = tempfile::tempdir().unwrap();
    /// let lock = safe_fs::publish::DirLock::acquire(&dir.path().join(".x.lock"), Duration::from_secs(1)).unwrap();
    /// assert_eq!(lock.path(), dir.path().join(".x.lock"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why [`DirLock::acquire`] (or [`Target::lock`]) did not get the lock.
///
/// ```
/// use std::time::Duration;
/// use safe_fs::publish::{DirLock, LockError};
/// let dir = tempfile::tempdir().unwrap();
/// let err = DirLock::acquire(&dir.path().join("missing/.x.lock"), Duration::ZERO).unwrap_err();
/// assert!(matches!(err, LockError::Io { .. }), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process held it for the whole wait.
    #[error("{} is held by another process; gave up after {} s", lock.display(), waited.as_secs())]
    Busy {
        /// The lock file.
        lock: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
    /// Creating the folder, opening or locking the file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`"opening lock file"`, `"locking"`, ...).
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_switch_leaves_target_and_removes_staging() {
        let root = tempfile::tempdir().unwrap();
        let t = Target::new(&root.path().join("in")).unwrap();
        // The staging folder vanishing under us makes the rename fail.
        let s = t.stage("staging", Durability::NoFlush).unwrap();
        let staged = s.path().to_path_buf();
        fs::remove_dir(&staged).unwrap();
        let err = s.publish().unwrap_err();
        assert!(matches!(err, PublishError::Switch { .. }), "{err}");
        assert!(!t.path().exists());
    }

    #[test]
    fn switch_link_swaps_a_plain_folder_out() {
        let root = tempfile::tempdir().unwrap();
        let t = Target::new(&root.path().join("plugins")).unwrap();
        fs::create_dir(t.path()).unwrap();
        fs::write(t.path().join("old"), "o").unwrap();
        fs::create_dir(root.path().join(".plugins.gen-1")).unwrap();
        let old = t.switch_link(Path::new(".plugins.gen-1")).unwrap().unwrap();
        assert_eq!(fs::read_to_string(old.join("old")).unwrap(), "o");
        assert!(fs::symlink_metadata(t.path()).unwrap().is_symlink());
        // The old folder sits under the link tag: a leftover if not kept.
        assert_eq!(t.remove_leftovers(&["link"]).unwrap(), 1);
    }

    #[test]
    fn leftovers_only_of_the_given_tags() {
        let root = tempfile::tempdir().unwrap();
        let t = Target::new(&root.path().join("plugins")).unwrap();
        fs::create_dir(root.path().join(".plugins.sync-a")).unwrap();
        fs::create_dir(root.path().join(".plugins.staging-b")).unwrap();
        fs::write(root.path().join(".plugins.tmp-c"), "").unwrap();
        fs::create_dir(root.path().join(".plugins.gen-1")).unwrap();
        assert_eq!(t.remove_leftovers(&["staging", "tmp"]).unwrap(), 2);
        assert!(root.path().join(".plugins.sync-a").exists());
        assert!(root.path().join(".plugins.gen-1").exists());
    }

    #[test]
    fn publish_as_refuses_an_existing_name() {
        let root = tempfile::tempdir().unwrap();
        let t = Target::new(&root.path().join("plugins")).unwrap();
        fs::create_dir(root.path().join(".plugins.gen-1")).unwrap();
        fs::write(root.path().join(".plugins.gen-1/keep"), "k").unwrap();
        let s = t.stage("staging", Durability::SyncFs).unwrap();
        let err = s.publish_as(".plugins.gen-1").unwrap_err();
        assert!(matches!(err, PublishError::Switch { .. }), "{err}");
        assert!(root.path().join(".plugins.gen-1/keep").exists());
        assert_eq!(t.remove_leftovers(&["staging"]).unwrap(), 0);
    }
}
