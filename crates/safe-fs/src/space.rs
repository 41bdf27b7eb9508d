//! Free space: checked up front where the size of what will be written is
//! known, and recognised in an error when a write ran out of it anyway.
//!
//! A plugin folder or a job dir usually lives on a pod's `emptyDir`, often
//! with a `sizeLimit` or on memory (tmpfs). Before a set is staged, the
//! writer asks [`ensure_room`] whether the bytes it knows of fit; when a
//! write still fails with `ENOSPC` (sizes not known up front, another
//! writer), [`is_no_space`] tells that error from others so the message can
//! say what happened. Either way the staging folder is removed by its
//! guard, so the space is free again.
//!
//! # Examples
//!
//! ```
//! use safe_fs::space::{NoSpace, ensure_room, free_bytes};
//!
//! let dir = tempfile::tempdir().unwrap();
//! assert!(free_bytes(dir.path()).unwrap() > 0);
//! assert!(ensure_room(dir.path(), 1, 1).is_ok());
//! let err: NoSpace = ensure_room(dir.path(), u64::MAX / 2, 1).unwrap_err();
//! assert!(err.free.is_some());
//! assert!(err.to_string().contains("not enough space"), "{err}");
//! ```

use std::io;
use std::path::{Path, PathBuf};

/// A block per file (and its folder entries) on top of the bytes: what a
/// small file costs on tmpfs and most disk file systems at least.
const BLOCK: u64 = 4096;

/// Bytes an unprivileged writer may still use on the file system holding
/// `path` (`statvfs`: available blocks times the fragment size). `path`
/// must exist.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// assert!(safe_fs::space::free_bytes(dir.path()).unwrap() > 0);
/// assert!(safe_fs::space::free_bytes("/does/not/exist".as_ref()).is_err());
/// ```
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let st = rustix::fs::statvfs(path)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize.max(1)))
}

/// Checks that `bytes` in `files` files fit into the file system holding
/// `dir` (or its nearest existing ancestor). The estimate adds one block
/// per file to the bytes, each file rounded up to a block. When free space
/// cannot be read (an exotic file system), the check passes: the write
/// itself will tell.
///
/// ```
/// use safe_fs::space::ensure_room;
///
/// let dir = tempfile::tempdir().unwrap();
/// ensure_room(&dir.path().join("not/yet/made"), 10, 1).unwrap();
/// let err = ensure_room(dir.path(), u64::MAX / 4, 3).unwrap_err();
/// assert_eq!(err.dir, dir.path());
/// assert!(err.needed.unwrap() >= u64::MAX / 4);
/// ```
pub fn ensure_room(dir: &Path, bytes: u64, files: u64) -> Result<(), NoSpace> {
    let needed = bytes
        .saturating_add(files.saturating_mul(BLOCK))
        .saturating_add(BLOCK);
    let Some(free) = dir.ancestors().find_map(|p| free_bytes(p).ok()) else {
        return Ok(());
    };
    if free < needed {
        return Err(NoSpace {
            dir: dir.to_path_buf(),
            needed: Some(needed),
            free: Some(free),
        });
    }
    Ok(())
}

/// Whether `err` says the file system (or the writer's quota) is full:
/// `ENOSPC` or `EDQUOT`.
///
/// ```
/// use std::io;
/// assert!(safe_fs::space::is_no_space(&io::Error::from_raw_os_error(28)));
/// assert!(!safe_fs::space::is_no_space(&io::Error::from_raw_os_error(13)));
/// ```
pub fn is_no_space(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::StorageFull
        || err.kind() == io::ErrorKind::QuotaExceeded
        || matches!(err.raw_os_error(), Some(28 | 122))
}

/// Whether `err` or any error in its [`source`](std::error::Error::source)
/// chain is an [`io::Error`] for which [`is_no_space`] holds: how a
/// library tells a full volume in its own error type, whichever step hit
/// it.
///
/// ```
/// use std::io;
/// #[derive(Debug, thiserror::Error)]
/// #[error("writing x")]
/// struct Wrapped(#[source] io::Error);
///
/// let full = Wrapped(io::Error::from_raw_os_error(28));
/// assert!(safe_fs::space::chain_is_no_space(&full));
/// let denied = Wrapped(io::Error::from_raw_os_error(13));
/// assert!(!safe_fs::space::chain_is_no_space(&denied));
/// ```
pub fn chain_is_no_space(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<io::Error>().is_some_and(is_no_space) {
            return true;
        }
        next = e.source();
    }
    false
}

/// A folder without room for what was to be written into it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not enough space in {}: {}{}",
    dir.display(),
    needed.map_or_else(|| "the volume ran out of space while writing".to_owned(), |n| format!("{} needed", human(n))),
    free.map_or_else(String::new, |f| format!(", {} free", human(f)))
)]
pub struct NoSpace {
    /// The folder written into.
    pub dir: PathBuf,
    /// Bytes needed, when known up front.
    pub needed: Option<u64>,
    /// Bytes free when it was checked.
    pub free: Option<u64>,
}

impl NoSpace {
    /// A write into `dir` that failed with `ENOSPC`: how much was needed is
    /// not known, and what is free now says little (the staging folder
    /// holding the bytes written so far is about to be removed).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let e = safe_fs::space::NoSpace::ran_out(dir.path());
    /// assert!(e.to_string().contains("ran out of space"), "{e}");
    /// ```
    pub fn ran_out(dir: &Path) -> NoSpace {
        NoSpace {
            dir: dir.to_path_buf(),
            needed: None,
            free: None,
        }
    }
}

/// `1536 B` -> `1.5 KiB` style sizes, exact byte counts below 1 KiB.
fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit} ({n} bytes)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human(12), "12 B");
        assert_eq!(human(1536), "1.5 KiB (1536 bytes)");
        assert_eq!(human(5 * 1024 * 1024), "5.0 MiB (5242880 bytes)");
    }

    #[test]
    fn message_names_the_folder_and_both_sizes() {
        let e = NoSpace {
            dir: "/job".into(),
            needed: Some(2048),
            free: Some(1024),
        };
        assert_eq!(
            e.to_string(),
            "not enough space in /job: 2.0 KiB (2048 bytes) needed, 1.0 KiB (1024 bytes) free"
        );
        let e = NoSpace {
            dir: "/job".into(),
            needed: None,
            free: None,
        };
        assert_eq!(
            e.to_string(),
            "not enough space in /job: the volume ran out of space while writing"
        );
    }
}
