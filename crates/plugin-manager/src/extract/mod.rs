//! Safe, streaming extraction of artifacts into the staging folder of a new
//! plugin set.
//!
//! Policy (documented in docs/install.md):
//! * only regular files and folders are created; symbolic links, hard links,
//!   device files, FIFOs and sparse entries are refused, so nothing can ever
//!   point or be written outside the set;
//! * every entry name goes through [`SafeRelPath`] (no absolute paths, no
//!   `..`, no control characters, length limits);
//! * file modes are normalised: `0755` when the archive sets any executable
//!   bit, else `0644` (setuid, setgid and sticky bits are dropped);
//! * an entry that appears twice in one archive is refused, and a file that
//!   two artifacts both provide is a conflict naming both;
//! * [`Limits`] bound the entry count, each file's size and the total bytes
//!   written (counted while writing, not taken from headers), and the
//!   expansion ratio against the compressed bytes read.
//!
//! Files are created with `O_EXCL` in a folder only this process writes, and
//! are not `fsync`ed one by one: the publisher syncs the whole set once.
//!
//! One module per part: [`detect`] (which [`Format`] an artifact is),
//! [`limits`] (the [`Limits`] and their checks), `tar` and `zip` (the two
//! archive walkers), `copy` (copying an entry's bytes, on two threads when
//! it is large); this file holds the set being built and the per-entry rules.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use safe_fs::SafeRelPath;

use crate::error::{Error, Result};
use crate::receipt::FileReceipt;

mod copy;
pub mod detect;
pub mod limits;
mod tar;
mod zip;

pub use detect::Format;
pub use limits::{Limits, RATIO_GRACE_BYTES};

#[derive(Debug, Clone)]
struct Claim {
    source: String,
    dir: bool,
}

/// The staging folder of a new plugin set, shared by all artifacts being
/// extracted into it (possibly from several threads). It remembers which
/// artifact created which path, to report conflicts by name.
///
/// # Examples
///
/// ```
/// use plugin_manager::extract::{unpack_bytes, SetBuilder};
/// use plugin_manager::{Format, Limits};
/// let dir = tempfile::tempdir().unwrap();
/// let set = SetBuilder::new(dir.path()).early_writeback(false);
/// assert_eq!(set.root(), dir.path());
/// let file = Format::File("optimus-plugin-a.yaml".into());
/// unpack_bytes(&set, "dist:a.yaml", &file, &Limits::default(), b"name: a\n").unwrap();
/// // A second artifact writing the same file is a conflict naming both.
/// let err = unpack_bytes(&set, "dist:b.yaml", &file, &Limits::default(), b"name: b\n").unwrap_err();
/// assert!(err.to_string().contains("dist:a.yaml"), "{err}");
/// ```
#[derive(Debug)]
pub struct SetBuilder {
    root: PathBuf,
    claims: Mutex<HashMap<String, Claim>>,
    writeback: bool,
}

impl SetBuilder {
    /// A builder over an existing, empty folder.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            claims: Mutex::new(HashMap::new()),
            writeback: false,
        }
    }

    /// Start writing each file to disk while the set is still being
    /// built (see [`safe_fs::atomic::start_writeback`]): for a set that is
    /// flushed before publishing, so the disk works alongside
    /// decompression and the final flush is short.
    #[must_use]
    pub fn early_writeback(mut self, on: bool) -> Self {
        self.writeback = on;
        self
    }

    /// The staging folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Claims `path` (and its parent folders) for `source`, creating the
    /// folders. Returns an error if another artifact already has a file there
    /// or the path is a file in one artifact and a folder in another.
    fn claim(&self, path: &SafeRelPath, source: &str, dir: bool) -> Result<()> {
        let mut claims = self
            .claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut cur = String::new();
        let parts: Vec<&str> = path.components().collect();
        for (i, part) in parts.iter().enumerate() {
            if !cur.is_empty() {
                cur.push('/');
            }
            cur.push_str(part);
            let last = i + 1 == parts.len();
            let want_dir = !last || dir;
            match claims.get(&cur) {
                Some(c) if c.dir && want_dir => {}
                Some(c) => {
                    return Err(Error::Conflict {
                        what: if c.dir || want_dir { "path" } else { "file" },
                        name: cur.clone(),
                        first: c.source.clone(),
                        second: source.to_owned(),
                    });
                }
                None => {
                    if want_dir {
                        let p = self.root.join(&cur);
                        match fs::create_dir(&p) {
                            Ok(()) => {}
                            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
                            Err(e) => return Err(Error::io("creating folder", p)(e)),
                        }
                    }
                    claims.insert(
                        cur.clone(),
                        Claim {
                            source: source.to_owned(),
                            dir: want_dir,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Places an already existing file (hard link, else copy) from a previous
    /// set: used for artifacts that did not change.
    pub(crate) fn link_from(
        &self,
        old_root: &Path,
        file: &FileReceipt,
        source: &str,
    ) -> Result<()> {
        let rel = SafeRelPath::new(&file.path)
            .map_err(|e| Error::State(format!("receipt of {source}: {e}")))?;
        self.claim(&rel, source, false)?;
        let from = rel.join_to(old_root);
        let to = rel.join_to(&self.root);
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to).map_err(Error::io("copying", &from))?;
        }
        Ok(())
    }
}

/// Normalised mode of an extracted file: exec bits kept, setuid/setgid/
/// sticky and odd permissions dropped.
///
/// # Examples
///
/// ```
/// use plugin_manager::extract::file_mode;
/// assert_eq!(file_mode(0o4755), 0o755);
/// assert_eq!(file_mode(0o100), 0o755);
/// assert_eq!(file_mode(0o666), 0o644);
/// ```
pub fn file_mode(raw: u32) -> u32 {
    if raw & 0o111 != 0 { 0o755 } else { 0o644 }
}

/// Extracts the entries of one artifact, enforcing the limits.
pub(crate) struct Extractor<'a> {
    set: &'a SetBuilder,
    artifact: &'a str,
    limits: &'a Limits,
    /// Compressed bytes consumed so far (for the ratio check).
    raw_read: &'a dyn Fn() -> u64,
    entries: u64,
    total: u64,
    seen: HashSet<String>,
    files: Vec<FileReceipt>,
    buf: Vec<u8>,
}

impl<'a> Extractor<'a> {
    pub(crate) fn new(
        set: &'a SetBuilder,
        artifact: &'a str,
        limits: &'a Limits,
        raw_read: &'a dyn Fn() -> u64,
    ) -> Self {
        Self {
            set,
            artifact,
            limits,
            raw_read,
            entries: 0,
            total: 0,
            seen: HashSet::new(),
            files: Vec::new(),
            buf: vec![0; copy::COPY_BUF],
        }
    }

    pub(crate) fn finish(self) -> Vec<FileReceipt> {
        self.files
    }

    fn refuse(&self, entry: &str, reason: impl Into<String>) -> Error {
        Error::UnsafeArchive {
            artifact: self.artifact.to_owned(),
            entry: entry.chars().take(300).collect(),
            reason: reason.into(),
        }
    }

    fn first_time(&mut self, name: &str, path: &SafeRelPath) -> Result<()> {
        if !self.seen.insert(path.as_str().to_owned()) {
            return Err(self.refuse(
                name,
                "duplicate entry: this path appears twice in the archive",
            ));
        }
        Ok(())
    }

    /// A folder entry. The root (`./`) is accepted and ignored.
    pub(crate) fn dir(&mut self, name: &str) -> Result<()> {
        self.count_entry(name)?;
        let trimmed = name.trim_start_matches("./").trim_matches('/');
        if trimmed.is_empty() || trimmed == "." {
            return Ok(());
        }
        let path = SafeRelPath::new(name).map_err(|e| self.refuse(name, e.to_string()))?;
        self.first_time(name, &path)?;
        self.set.claim(&path, self.artifact, true)
    }

    /// A regular file entry with its raw mode and declared size.
    pub(crate) fn file(
        &mut self,
        name: &str,
        raw_mode: u32,
        declared: Option<u64>,
        reader: &mut dyn Read,
    ) -> Result<()> {
        self.count_entry(name)?;
        let path = SafeRelPath::new(name).map_err(|e| self.refuse(name, e.to_string()))?;
        self.first_time(name, &path)?;
        if let Some(size) = declared
            && size > self.limits.max_file_bytes
        {
            {
                return Err(self.refuse(
                    name,
                    format!(
                        "declares {size} bytes, more than the {} allowed per file (limit max_file_bytes)",
                        self.limits.max_file_bytes
                    ),
                ));
            }
        }
        self.set.claim(&path, self.artifact, false)?;
        let dest = path.join_to(&self.set.root);
        let mode = file_mode(raw_mode);
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&dest)
            .map_err(Error::io("creating", &dest))?;
        let big = declared.is_none_or(|d| d >= copy::PIPELINE_MIN_BYTES);
        let (xxh3_128, size) = if big {
            self.copy_pipelined(name, reader, &mut out, &dest)?
        } else {
            self.copy_inline(name, reader, &mut out, &dest)?
        };
        // The create mode went through the umask; set it exactly.
        out.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(Error::io("setting the mode of", &dest))?;
        self.files.push(FileReceipt {
            path: path.as_str().to_owned(),
            xxh3_128: Some(xxh3_128),
            sha256: None,
            size,
            mode,
            stat: None,
        });
        Ok(())
    }

    fn read_error(&self, name: &str, e: &io::Error) -> Error {
        // Errors from the download stream come through the reader; keep
        // them apart from archive corruption so messages say what happened.
        if let Some(inner) = e.get_ref()
            && let Some(crate::fetch::StreamFailure(msg)) = inner.downcast_ref()
        {
            {
                return Error::BadArchive {
                    artifact: self.artifact.to_owned(),
                    detail: format!("download failed: {msg}"),
                };
            }
        }
        Error::BadArchive {
            artifact: self.artifact.to_owned(),
            detail: format!("entry {name:?}: {e}"),
        }
    }

    /// Writes a whole stream as the single file `name`.
    pub(crate) fn single(&mut self, name: &str, reader: &mut dyn Read) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        let mode = if [".yaml", ".yml", ".json", ".md", ".txt"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        {
            0o644
        } else {
            0o755
        };
        self.file(name, mode, None, reader)
    }

    fn bad(&self, e: &io::Error) -> Error {
        self.read_error("", e)
    }
}

/// Unpacks one artifact held in memory into `set` with the same limits and
/// path checks install applies to a download (no pin: nothing to compare
/// with). For tools and fuzzing; install itself streams.
///
/// ```
/// use plugin_manager::extract::{Format, Limits, SetBuilder, unpack_bytes};
///
/// let dir = tempfile::tempdir().unwrap();
/// let set = SetBuilder::new(dir.path());
/// let yaml = b"name: hello\n";
/// let files = unpack_bytes(&set, "hello.yaml", &Format::File("optimus-plugin-hello.yaml".into()), &Limits::default(), yaml).unwrap();
/// assert_eq!(files[0].path, "optimus-plugin-hello.yaml");
/// // An entry that climbs out of the folder is refused, nothing written outside.
/// let mut tar = tar::Builder::new(Vec::new());
/// let mut h = tar::Header::new_gnu();
/// h.set_size(1);
/// h.set_mode(0o644);
/// h.set_entry_type(tar::EntryType::Regular);
/// h.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"../escape");
/// h.set_cksum();
/// tar.append(&h, &b"x"[..]).unwrap();
/// let bytes = tar.into_inner().unwrap();
/// assert!(unpack_bytes(&set, "bad.tar", &Format::Tar, &Limits::default(), &bytes).is_err());
/// assert!(!dir.path().parent().unwrap().join("escape").exists());
/// ```
pub fn unpack_bytes(
    set: &SetBuilder,
    artifact: &str,
    format: &Format,
    limits: &Limits,
    bytes: &[u8],
) -> Result<Vec<FileReceipt>> {
    let consumed = std::sync::atomic::AtomicU64::new(0);
    let raw_read = || consumed.load(std::sync::atomic::Ordering::Relaxed);
    let mut ex = Extractor::new(set, artifact, limits, &raw_read);
    let mut reader = CountingReader {
        inner: bytes,
        count: &consumed,
    };
    match format {
        Format::TarGz => ex.tar(&mut flate2::read::MultiGzDecoder::new(&mut reader))?,
        Format::Tar => ex.tar(&mut reader)?,
        Format::File(name) => ex.single(name, &mut reader)?,
        Format::Zip => {
            let mut file = tempfile::tempfile().map_err(Error::io(
                "creating a temporary file in",
                std::env::temp_dir(),
            ))?;
            std::io::Write::write_all(&mut file, bytes).map_err(Error::io(
                "writing a temporary file in",
                std::env::temp_dir(),
            ))?;
            consumed.store(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
            ex.zip(file)?;
        }
    }
    Ok(ex.finish())
}

/// Counts the compressed bytes read, for the ratio limit.
struct CountingReader<'a> {
    inner: &'a [u8],
    count: &'a std::sync::atomic::AtomicU64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}
