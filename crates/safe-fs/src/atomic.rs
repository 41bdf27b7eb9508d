//! Durable writes and atomic switches.
//!
//! Every function here either completes or leaves the previous state; the
//! temporary names they use start with `.` so directory readers that skip
//! hidden files never see them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Flushes a directory's entries (a rename inside it) to disk.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a"), b"x").unwrap();
/// std::fs::rename(dir.path().join("a"), dir.path().join("b")).unwrap();
/// safe_fs::atomic::fsync_dir(dir.path()).unwrap();
/// assert!(dir.path().join("b").exists());
/// ```
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `contents` to `path` via a hidden temporary file in the same
/// folder, `fsync`, `rename`, `fsync` of the folder. Readers see the old
/// file or the new one, never a partial one.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let f = dir.path().join("state.json");
/// safe_fs::atomic::write_file(&f, b"{}").unwrap();
/// assert_eq!(std::fs::read(&f).unwrap(), b"{}");
/// ```
pub fn write_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = parent_of(path)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    fsync_dir(dir)
}

/// Creates a new hidden staging folder beside `target` (same file system, so
/// it can be renamed onto it). The caller fills it and then calls
/// [`publish_dir`]; dropping the returned value without publishing removes it.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let target = dir.path().join("plugins");
/// let staged = safe_fs::atomic::staging_dir_for(&target).unwrap();
/// assert_eq!(staged.path().parent(), Some(dir.path()));
/// assert!(!target.exists());
/// ```
pub fn staging_dir_for(target: &Path) -> io::Result<tempfile::TempDir> {
    let dir = parent_of(target)?;
    let stem = target
        .file_name()
        .map_or_else(|| "dir".into(), |n| n.to_string_lossy().into_owned());
    tempfile::Builder::new()
        .prefix(&format!(".{stem}.staging-"))
        .tempdir_in(dir)
}

/// Makes the folder `staged` appear at `target` in one step.
///
/// If `target` does not exist, this is a no-replace rename. If it exists, the
/// two are swapped atomically (`renameat2(RENAME_EXCHANGE)`) and the old
/// contents are returned at the path in `Ok(Some(..))` for the caller to
/// keep or remove. Either way the parent folder is `fsync`ed.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let target = dir.path().join("plugins");
/// for text in ["one", "two"] {
///     let staged = safe_fs::atomic::staging_dir_for(&target).unwrap();
///     std::fs::write(staged.path().join("a.txt"), text).unwrap();
///     let old = safe_fs::atomic::publish_dir(&staged.keep(), &target).unwrap();
///     if let Some(old) = old {
///         std::fs::remove_dir_all(old).unwrap();
///     }
/// }
/// assert_eq!(std::fs::read_to_string(target.join("a.txt")).unwrap(), "two");
/// ```
pub fn publish_dir(staged: &Path, target: &Path) -> io::Result<Option<PathBuf>> {
    let dir = parent_of(target)?;
    let result = match rustix::fs::renameat_with(
        rustix::fs::CWD,
        staged,
        rustix::fs::CWD,
        target,
        rustix::fs::RenameFlags::NOREPLACE,
    ) {
        Ok(()) => None,
        Err(rustix::io::Errno::EXIST | rustix::io::Errno::NOTEMPTY) => {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                staged,
                rustix::fs::CWD,
                target,
                rustix::fs::RenameFlags::EXCHANGE,
            )?;
            Some(staged.to_path_buf())
        }
        Err(e) => return Err(e.into()),
    };
    fsync_dir(dir)?;
    Ok(result)
}

/// One flush of everything written under a folder: `syncfs(2)` of the
/// folder's file system, with write-back errors reported.
///
/// Open it on the folder *before* writing into it: since Linux 5.8
/// `syncfs` reports a write-back error of any file on the file system that
/// happened after the descriptor was opened, and none from before. (It
/// also waits for other programs' dirty data on the same file system.)
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let flush = safe_fs::atomic::FsFlush::open(dir.path()).unwrap();
/// std::fs::write(dir.path().join("a.txt"), b"staged").unwrap();
/// flush.sync_fs().unwrap();
/// ```
#[derive(Debug)]
pub struct FsFlush {
    dir: File,
}

impl FsFlush {
    /// Opens `dir` (a folder) for a later flush.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let flush = safe_fs::atomic::FsFlush::open(dir.path()).unwrap();
    /// flush.sync_fs().unwrap();
    /// ```
    pub fn open(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            dir: File::open(dir)?,
        })
    }

    /// Writes out and waits for all dirty data and inodes of the folder's
    /// file system.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let flush = safe_fs::atomic::FsFlush::open(dir.path()).unwrap();
    /// std::fs::write(dir.path().join("a.txt"), b"x").unwrap();
    /// flush.sync_fs().unwrap();
    /// ```
    pub fn sync_fs(&self) -> io::Result<()> {
        rustix::fs::syncfs(&self.dir).map_err(io::Error::from)
    }

    /// The open folder (to `fsync` it after its entries are final).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let flush = safe_fs::atomic::FsFlush::open(dir.path()).unwrap();
    /// assert!(flush.dir().metadata().unwrap().is_dir());
    /// ```
    pub fn dir(&self) -> &File {
        &self.dir
    }
}

/// Asks the kernel to start writing `len` bytes of `file` from `offset` to
/// disk now, in the background, without waiting for them.
///
/// A writer that will make its files durable later (one `fsync` or `syncfs`
/// at the end) calls this as it goes, so the disk works while the writer
/// keeps computing and the final flush has little left to do. Purely
/// advisory: on Linux it is `posix_fadvise(POSIX_FADV_DONTNEED)`, which
/// starts write-back of the dirty range (and drops only pages that are
/// already clean); elsewhere it does nothing. Errors are returned for
/// logging, never for correctness: durability still comes from the flush.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let mut f = std::fs::File::create(dir.path().join("big.bin")).unwrap();
/// f.write_all(&[7u8; 64 * 1024]).unwrap();
/// safe_fs::atomic::start_writeback(&f, 0, 64 * 1024).unwrap();
/// f.sync_all().unwrap();
/// assert_eq!(std::fs::read(dir.path().join("big.bin")).unwrap().len(), 64 * 1024);
/// ```
pub fn start_writeback(file: &File, offset: u64, len: u64) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let Some(len) = std::num::NonZeroU64::new(len) else {
            return Ok(());
        };
        rustix::fs::fadvise(file, offset, Some(len), rustix::fs::Advice::DontNeed)?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (file, offset, len);
    Ok(())
}

/// Creates `path` and any missing parents with `create_dir_all`, then
/// `fsync`s each parent that was created so the folders survive a crash.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// safe_fs::atomic::create_dir_all_durable(&dir.path().join("a/b/c")).unwrap();
/// assert!(dir.path().join("a/b/c").is_dir());
/// ```
pub fn create_dir_all_durable(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(path)?;
    let mut cur = path.parent();
    while let Some(p) = cur {
        if p.as_os_str().is_empty() {
            break;
        }
        fsync_dir(p)?;
        if p.exists() {
            break;
        }
        cur = p.parent();
    }
    Ok(())
}

/// Opens a new file for writing; fails if it exists (never follows or
/// overwrites a symlink someone else placed).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("lock");
/// safe_fs::atomic::create_new(&path).unwrap();
/// assert!(safe_fs::atomic::create_new(&path).is_err(), "it exists now");
/// ```
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn parent_of(path: &Path) -> io::Result<&Path> {
    match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Ok(Path::new(".")),
        Some(p) => Ok(p),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no parent folder", path.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_into_empty_place_then_swap() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("in");

        let first = staging_dir_for(&target).unwrap();
        fs::write(first.path().join("a"), "1").unwrap();
        let first = first.keep();
        assert_eq!(publish_dir(&first, &target).unwrap(), None);
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "1");

        let second = staging_dir_for(&target).unwrap();
        fs::write(second.path().join("b"), "2").unwrap();
        let second = second.keep();
        let old = publish_dir(&second, &target).unwrap().unwrap();
        assert_eq!(fs::read_to_string(target.join("b")).unwrap(), "2");
        assert!(!target.join("a").exists());
        assert_eq!(fs::read_to_string(old.join("a")).unwrap(), "1");
    }

    #[test]
    fn write_file_replaces_whole_file() {
        let root = tempfile::tempdir().unwrap();
        let f = root.path().join("x");
        write_file(&f, b"one").unwrap();
        write_file(&f, b"two").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }
}
