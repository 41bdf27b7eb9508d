//! The artifact cache: the verified bytes of the current set's artifacts,
//! kept beside the plugin folder under their sha256
//! (`<parent>/.<plugin_dir name>.cache/sha256/<hex>`), so an artifact
//! installed again because its files drifted is unpacked from here instead
//! of being downloaded.
//!
//! Entries are written to a temporary file in the same folder and renamed
//! into place once the download verified; they are hashed again before
//! each use, so a damaged or half-written entry is never unpacked (it is
//! removed with a warning, and the artifact downloaded). After each
//! install only the new set's artifacts are kept, so the cache holds at
//! most one copy of each artifact installed. Caching is best effort: a
//! cache that cannot be written or read never fails an install.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Seek, Write};
use std::path::PathBuf;

use crate::digest::{Algorithm, digest_reader};
use crate::layout::Layout;

/// The cache folder of one plugin folder.
#[derive(Debug, Clone)]
pub(crate) struct ArtifactCache {
    dir: PathBuf,
}

impl ArtifactCache {
    /// The cache beside `layout`'s plugin folder (not created yet).
    pub(crate) fn new(layout: &Layout) -> Self {
        let name = layout
            .plugin_dir()
            .file_name()
            .map_or_else(|| "plugins".into(), |n| n.to_string_lossy().into_owned());
        Self {
            dir: layout
                .parent()
                .join(format!(".{name}.cache"))
                .join("sha256"),
        }
    }

    /// The folder holding the entries.
    #[cfg(test)]
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn entry(&self, sha256: &str) -> Option<PathBuf> {
        let hex = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        hex.then(|| self.dir.join(sha256))
    }

    /// A writer for one download, or `None` when the folder cannot be made
    /// (logged; the download goes on uncached).
    pub(crate) fn writer(&self) -> Option<CacheWriter> {
        let made = std::fs::create_dir_all(&self.dir).and_then(|()| {
            tempfile::Builder::new()
                .prefix(".part-")
                .tempfile_in(&self.dir)
        });
        match made {
            Ok(file) => Some(CacheWriter {
                file,
                written: 0,
                kicked: 0,
                failed: false,
            }),
            Err(e) => {
                tracing::warn!(cache = %self.dir.display(), error = %e, "cannot write the artifact cache; downloading without it");
                None
            }
        }
    }

    /// Keeps a finished download under its digest, if every byte of it
    /// (`size`) reached the writer.
    pub(crate) fn keep(&self, mut w: CacheWriter, sha256: &str, size: u64) {
        let Some(path) = self.entry(sha256) else {
            return;
        };
        w.kick();
        if w.failed || w.written != size || w.file.flush().is_err() {
            tracing::warn!(cache = %self.dir.display(), "the artifact cache entry could not be written; it is left out");
            return;
        }
        if let Err(e) = w.file.persist(&path) {
            tracing::warn!(cache = %self.dir.display(), error = %e.error, "cannot keep the artifact in the cache");
        }
    }

    /// The cached bytes of the artifact with this digest and size, hashed
    /// again now: `None` when there is no entry, or when it does not hash
    /// right (then it is removed, with a warning).
    pub(crate) fn open_verified(&self, sha256: &str, size: u64) -> Option<File> {
        let path = self.entry(sha256)?;
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(entry = %path.display(), error = %e, "cannot read the artifact cache; downloading");
                return None;
            }
        };
        match digest_reader(&mut file, Algorithm::Sha256) {
            Ok((got, n)) if got == sha256 && n == size && file.rewind().is_ok() => Some(file),
            Ok(_) => {
                tracing::warn!(entry = %path.display(), "the cached artifact does not match its sha256; removing it and downloading");
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(entry = %path.display(), error = %e, "cannot remove the bad cache entry");
                }
                None
            }
            Err(e) => {
                tracing::warn!(entry = %path.display(), error = %e, "cannot read the artifact cache; downloading");
                None
            }
        }
    }

    /// Removes every entry (and left-over partial file) whose digest is not
    /// in `keep`.
    pub(crate) fn retain<'a>(&self, keep: impl IntoIterator<Item = &'a str>) {
        let keep: HashSet<&str> = keep.into_iter().collect();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_str().is_some_and(|n| keep.contains(n)) {
                continue;
            }
            if let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::warn!(entry = %entry.path().display(), error = %e, "cannot remove an old artifact cache entry");
            }
        }
    }
}

/// Receives a copy of a download's bytes (see
/// [`StreamReader::tee`](crate::fetch::StreamReader::tee)). Never fails: a
/// write error only marks the entry as not to be kept.
///
/// The bytes are handed to the disk as they arrive (every
/// [`KICK_STEP`]): the flush that makes a new set durable is file-system
/// wide, so dirty cache pages left for it would make every cold install
/// wait for them at the end.
pub(crate) struct CacheWriter {
    file: tempfile::NamedTempFile,
    written: u64,
    kicked: u64,
    failed: bool,
}

/// How much of a cache entry is written between two write-back kicks.
const KICK_STEP: u64 = 8 << 20;

impl CacheWriter {
    fn kick(&mut self) {
        // Advisory: a cache entry need not survive a crash (it is hashed
        // again before use).
        let _ = safe_fs::atomic::start_writeback(
            self.file.as_file(),
            self.kicked,
            self.written - self.kicked,
        );
        self.kicked = self.written;
    }
}

impl Write for CacheWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.failed {
            if self.file.write_all(buf).is_ok() {
                self.written += buf.len() as u64;
                if self.written - self.kicked >= KICK_STEP {
                    self.kick();
                }
            } else {
                self.failed = true;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::io::Read;

    #[test]
    fn an_entry_is_kept_found_checked_and_cleaned() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::new(&root.path().join("plugins")).unwrap();
        let cache = ArtifactCache::new(&layout);
        assert!(cache.dir().ends_with(".plugins.cache/sha256"));
        let bytes = b"artifact bytes";
        let sha = hex::encode(Sha256::digest(bytes));
        let mut w = cache.writer().unwrap();
        w.write_all(bytes).unwrap();
        cache.keep(w, &sha, bytes.len() as u64);
        let mut got = Vec::new();
        cache
            .open_verified(&sha, bytes.len() as u64)
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, bytes);

        // A short write is not kept.
        let mut w = cache.writer().unwrap();
        w.write_all(b"art").unwrap();
        let other = "0".repeat(64);
        cache.keep(w, &other, 14);
        assert!(cache.open_verified(&other, 14).is_none());

        // A damaged entry is refused and removed.
        std::fs::write(cache.dir().join(&sha), b"artifact bytez").unwrap();
        assert!(cache.open_verified(&sha, bytes.len() as u64).is_none());
        assert!(!cache.dir().join(&sha).exists());

        // Cleaning keeps only the named digests.
        std::fs::write(cache.dir().join(&other), b"x").unwrap();
        cache.retain([sha.as_str()]);
        assert_eq!(std::fs::read_dir(cache.dir()).unwrap().count(), 0);
        // A name that is not a digest is never a path.
        assert!(cache.open_verified("../../etc/passwd", 1).is_none());
    }
}
