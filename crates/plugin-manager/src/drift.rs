//! Drift: installed files that no longer match their receipts (edited,
//! deleted, replaced, `chmod`ed by hand), found cheaply on every install.
//!
//! Each [`FileReceipt`](crate::receipt::FileReceipt) records the file's `lstat` (inode, size, mtime,
//! ctime, mode) as it was when the file was known to be right. A file whose
//! stat still matches is *stat-clean* and not read at all; only a file whose
//! stat differs is hashed, as git does with its index. A stat-dirty file
//! whose bytes and mode are still right (a `touch`, a `chown`) gets its new
//! stat recorded, so the next install does not hash it again.
//!
//! Racy stats: a file written in the same tick of the file system's clock
//! as its stat was taken could be changed again within that tick without
//! its times changing. So a stat is only recorded once the file system's
//! clock is past the file's times: before a new set is published, install
//! waits until it is (at most one tick: milliseconds on ext4 and xfs, a
//! second on file systems with whole-second times); a refreshed stat is
//! kept only if the file's times were already in the past when it was
//! taken. After that, any write gives the file a later ctime, and the next
//! install hashes it.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::digest::{Algorithm, digest_file};
use crate::error::{Error, Result};
use crate::receipt::{ArtifactReceipt, FileStat};

/// How an installed file differs from its receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    /// Its bytes differ.
    Modified,
    /// It is gone.
    Missing,
    /// Its bytes are right but its mode is not.
    Mode,
    /// Something else (a folder, a link, a device) is in its place.
    Replaced,
}

impl DriftKind {
    /// `modified`, `missing`, `mode changed` or `replaced`.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::drift::DriftKind;
    /// assert_eq!(DriftKind::Mode.as_str(), "mode changed");
    /// assert_eq!(DriftKind::Missing.as_str(), "missing");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Modified => "modified",
            DriftKind::Missing => "missing",
            DriftKind::Mode => "mode changed",
            DriftKind::Replaced => "replaced",
        }
    }
}

/// One drifted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Path relative to the plugin folder.
    pub path: String,
    /// How it differs.
    pub kind: DriftKind,
}

/// The result of checking one artifact's files.
#[derive(Debug, Default)]
pub(crate) struct ArtifactCheck {
    /// Files that differ from the receipt.
    pub drift: Vec<Drift>,
    /// Files whose stat matched (not read).
    pub stat_clean: usize,
    /// Files that were hashed.
    pub hashed: usize,
    /// Files found right whose stat changed: (index in `files`, new stat).
    pub refreshed: Vec<(usize, FileStat)>,
}

/// Lazily measured "now" of the file system's clock (see [`fs_now`]).
pub(crate) struct FsClock<'a> {
    dir: &'a Path,
    now: Option<i64>,
}

impl<'a> FsClock<'a> {
    /// A clock read by creating a temporary file in `dir` (when first asked).
    pub fn new(dir: &'a Path) -> Self {
        Self { dir, now: None }
    }

    fn get(&mut self) -> Result<i64> {
        if let Some(n) = self.now {
            return Ok(n);
        }
        let n = fs_now(self.dir)?;
        self.now = Some(n);
        Ok(n)
    }
}

/// The file system's current time at `dir` (nanoseconds since the epoch),
/// with the file system's own granularity: the mtime of a new unnamed
/// temporary file.
pub(crate) fn fs_now(dir: &Path) -> Result<i64> {
    let mut f = tempfile::tempfile_in(dir).map_err(Error::io("creating a file in", dir))?;
    f.write_all(b"t")
        .map_err(Error::io("writing a file in", dir))?;
    let m = f
        .metadata()
        .map_err(Error::io("inspecting a file in", dir))?;
    Ok(FileStat::of(&m).mtime_ns)
}

/// Waits (at most a few seconds) until the file system's clock at `dir` is
/// past `max_ns`, so a change made from now on gives a file a later ctime
/// than any recorded one.
pub(crate) fn wait_past(dir: &Path, max_ns: i64) -> Result<()> {
    let start = Instant::now();
    while fs_now(dir)? <= max_ns {
        if start.elapsed() > Duration::from_secs(3) {
            tracing::debug!("file system clock did not pass the recorded times within 3 s");
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Checks every file of `receipt` under `dir` (the current set).
/// `clock` is asked for the time only when some file is stat-dirty.
pub(crate) fn check_artifact(
    dir: &Path,
    receipt: &ArtifactReceipt,
    clock: &mut FsClock<'_>,
) -> Result<ArtifactCheck> {
    let mut out = ArtifactCheck::default();
    for (i, f) in receipt.files.iter().enumerate() {
        let path = dir.join(&f.path);
        let first = match lstat(&path)? {
            None => {
                out.drift.push(drift(&f.path, DriftKind::Missing));
                continue;
            }
            Some((m, _)) if !m.file_type().is_file() => {
                out.drift.push(drift(&f.path, DriftKind::Replaced));
                continue;
            }
            Some((_, s)) => s,
        };
        if f.stat.as_ref() == Some(&first) && first.size == f.size && first.mode == f.mode {
            out.stat_clean += 1;
            continue;
        }
        // Stat-dirty: read the bytes. The clock is read before the stat
        // that may be recorded, so that stat is only kept when the file's
        // times were already in the past (see the module comment).
        let now = clock.get()?;
        let before = lstat(&path)?.map(|(_, s)| s);
        out.hashed += 1;
        let (algorithm, want) = f.digest().unwrap_or((Algorithm::Sha256, ""));
        let digest = match digest_file(&path, algorithm) {
            Ok((d, _)) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.drift.push(drift(&f.path, DriftKind::Missing));
                continue;
            }
            Err(e) => return Err(Error::io("reading", &path)(e)),
        };
        let after = lstat(&path)?.map(|(_, s)| s);
        if digest != want {
            out.drift.push(drift(&f.path, DriftKind::Modified));
            continue;
        }
        let Some(after) = after else {
            out.drift.push(drift(&f.path, DriftKind::Missing));
            continue;
        };
        if after.mode != f.mode {
            out.drift.push(drift(&f.path, DriftKind::Mode));
            continue;
        }
        if before == Some(after) && after.ctime_ns < now && after.mtime_ns < now {
            out.refreshed.push((i, after));
        }
    }
    Ok(out)
}

/// Records the stat of every file of `artifacts` under `root` (a staging
/// folder that is complete). Returns the latest mtime or ctime seen.
pub(crate) fn record_stats(root: &Path, artifacts: &mut [ArtifactReceipt]) -> Result<i64> {
    let mut latest = i64::MIN;
    for a in artifacts {
        for f in &mut a.files {
            let path = root.join(&f.path);
            let m = std::fs::symlink_metadata(&path).map_err(Error::io("inspecting", &path))?;
            let s = FileStat::of(&m);
            latest = latest.max(s.ctime_ns).max(s.mtime_ns);
            f.stat = Some(s);
        }
    }
    Ok(latest)
}

/// After old sets were removed (which changes the ctime of files shared
/// with them by hard links), takes the new ctime of each file of the live
/// set `root` whose inode, size, mtime and mode are unchanged. Returns
/// whether any stat changed.
pub(crate) fn restat_links(root: &Path, artifacts: &mut [ArtifactReceipt]) -> bool {
    let mut changed = false;
    for f in artifacts.iter_mut().flat_map(|a| a.files.iter_mut()) {
        let Some(old) = f.stat else { continue };
        let Ok(Some((_, now))) = lstat(&root.join(&f.path)) else {
            continue;
        };
        if now != old
            && now.ino == old.ino
            && now.size == old.size
            && now.mtime_ns == old.mtime_ns
            && now.mode == old.mode
        {
            f.stat = Some(now);
            changed = true;
        }
    }
    changed
}

fn drift(path: &str, kind: DriftKind) -> Drift {
    Drift {
        path: path.to_owned(),
        kind,
    }
}

fn lstat(path: &Path) -> Result<Option<(std::fs::Metadata, FileStat)>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let s = FileStat::of(&m);
            Ok(Some((m, s)))
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::io("inspecting", path)(e)),
    }
}

/// A short human summary of drifted files: `a.yaml modified, b missing`
/// (at most three named, then `+N more`).
pub(crate) fn summary(drift: &[Drift]) -> String {
    let mut parts: Vec<String> = drift
        .iter()
        .take(3)
        .map(|d| format!("{} {}", d.path, d.kind.as_str()))
        .collect();
    if drift.len() > 3 {
        parts.push(format!("+{} more", drift.len() - 3));
    }
    parts.join(", ")
}
