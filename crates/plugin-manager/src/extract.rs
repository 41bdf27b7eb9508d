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

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use safe_fs::SafeRelPath;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::receipt::FileReceipt;

/// Bounds on what one artifact may write. The defaults suit plugin binaries
/// of a few hundred MiB.
///
/// ```
/// let limits = plugin_manager::Limits { max_entries: 100, ..Default::default() };
/// assert_eq!(limits.max_entries, 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Most entries (files and folders) in one archive.
    pub max_entries: u64,
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Most bytes one artifact may write in total.
    pub max_total_bytes: u64,
    /// Largest accepted ratio of bytes written to compressed bytes read,
    /// checked once more than [`RATIO_GRACE_BYTES`] were written.
    pub max_ratio: u64,
}

/// Size of one copy buffer.
const COPY_BUF: usize = 256 * 1024;

/// Entries at least this large (or of unknown size) are copied with the
/// hashing and writing on a second thread.
const PIPELINE_MIN_BYTES: u64 = 4 << 20;

/// Buffers in flight between the decoding and the writing thread.
const PIPELINE_DEPTH: usize = 4;

/// How much of a file is written between two write-back kicks when the set
/// writes back early: large enough to keep the call rare, small enough that
/// the disk starts on a big file long before it is complete.
const WRITEBACK_STEP: u64 = 8 << 20;

/// Bytes an artifact may write before the expansion ratio is checked (small
/// highly compressible files are normal).
pub const RATIO_GRACE_BYTES: u64 = 16 << 20;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_file_bytes: 1 << 30,
            max_total_bytes: 4 << 30,
            max_ratio: 200,
        }
    }
}

/// How an artifact is unpacked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// gzip-compressed tar (`.tar.gz`, `.tgz`).
    TarGz,
    /// Plain tar.
    Tar,
    /// Zip (spooled to a temporary file first: zip needs random access).
    Zip,
    /// Installed as one file with this name.
    File(String),
}

impl Format {
    /// Picks the format from the artifact's path (`archive` and `filename`
    /// are the go-getter options; `archive=false` means "one file").
    ///
    /// ```
    /// use plugin_manager::Format;
    /// assert_eq!(Format::detect("x/bq2bq.tgz", None, None).unwrap(), Format::TarGz);
    /// assert_eq!(Format::detect("a.zip", Some("false"), None).unwrap(), Format::File("a.zip".into()));
    /// assert_eq!(Format::detect("p.yaml", None, Some("q.yaml")).unwrap(), Format::File("q.yaml".into()));
    /// ```
    pub fn detect(path: &str, archive: Option<&str>, filename: Option<&str>) -> Result<Format> {
        let base = path.rsplit('/').next().unwrap_or(path);
        let by_name = if has_ext(base, ".tar.gz") || has_ext(base, ".tgz") {
            Some(Format::TarGz)
        } else if has_ext(base, ".tar") {
            Some(Format::Tar)
        } else if has_ext(base, ".zip") {
            Some(Format::Zip)
        } else {
            None
        };
        let chosen = match archive.map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "true") => by_name,
            Some("false") => None,
            Some("tar.gz" | "tgz") => Some(Format::TarGz),
            Some("tar") => Some(Format::Tar),
            Some("zip") => Some(Format::Zip),
            Some(other) => {
                return Err(Error::Config(format!(
                    "{path}: archive={other:?} is not supported (use tar.gz, tgz, tar, zip or false)"
                )));
            }
        };
        if let Some(f) = chosen {
            return Ok(f);
        }
        let name = filename.unwrap_or(base);
        let safe = SafeRelPath::new(name)
            .map_err(|e| Error::Config(format!("{path}: bad file name: {e}")))?;
        if safe.depth() != 1 {
            return Err(Error::Config(format!(
                "{path}: file name {name:?} must not contain '/'"
            )));
        }
        Ok(Format::File(safe.as_str().to_owned()))
    }
}

#[derive(Debug, Clone)]
struct Claim {
    source: String,
    dir: bool,
}

/// The staging folder of a new plugin set, shared by all artifacts being
/// extracted into it (possibly from several threads). It remembers which
/// artifact created which path, to report conflicts by name.
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

/// Case-insensitive "ends with" for file extensions.
pub(crate) fn has_ext(name: &str, ext: &str) -> bool {
    name.len() >= ext.len()
        && name.is_char_boundary(name.len() - ext.len())
        && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
}

/// Normalised mode of an extracted file: exec bits kept, setuid/setgid/
/// sticky and odd permissions dropped.
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
            buf: vec![0; COPY_BUF],
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

    fn count_entry(&mut self, name: &str) -> Result<()> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(self.refuse(
                name,
                format!(
                    "more than {} entries (limit max_entries)",
                    self.limits.max_entries
                ),
            ));
        }
        Ok(())
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
        let big = declared.is_none_or(|d| d >= PIPELINE_MIN_BYTES);
        let (sha256, size) = if big {
            self.copy_pipelined(name, reader, &mut out, &dest)?
        } else {
            self.copy_inline(name, reader, &mut out, &dest)?
        };
        // The create mode went through the umask; set it exactly.
        out.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(Error::io("setting the mode of", &dest))?;
        self.files.push(FileReceipt {
            path: path.as_str().to_owned(),
            sha256,
            size,
            mode,
            stat: None,
        });
        Ok(())
    }

    /// Reads the next chunk of entry `name` into `buf` and counts it (in
    /// `size`, the entry's bytes so far) against the limits; 0 at its end.
    fn next_chunk(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        buf: &mut [u8],
        size: &mut u64,
    ) -> Result<usize> {
        let n = self.read_chunk(name, reader, buf)?;
        *size += n as u64;
        self.count_bytes(name, *size, n)?;
        Ok(n)
    }

    /// Counts `n` more bytes of entry `name` against the limits.
    fn count_bytes(&mut self, name: &str, size: u64, n: usize) -> Result<()> {
        self.total += n as u64;
        if size > self.limits.max_file_bytes {
            return Err(self.refuse(
                name,
                format!(
                    "larger than the {} bytes allowed per file (limit max_file_bytes)",
                    self.limits.max_file_bytes
                ),
            ));
        }
        self.check_totals(name)
    }

    /// Reads one chunk of entry `name` into `buf` (0 at its end).
    fn read_chunk(&self, name: &str, reader: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
        loop {
            match reader.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(name, &e)),
            }
        }
    }

    /// Copies a small entry on this thread, hashing it on the way.
    fn copy_inline(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        out: &mut File,
        dest: &Path,
    ) -> Result<(String, u64)> {
        let mut buf = std::mem::take(&mut self.buf);
        let mut sink = Sink::new(out, self.set.writeback);
        let mut size: u64 = 0;
        let outcome = loop {
            let n = match self.next_chunk(name, reader, &mut buf, &mut size) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            if let Err(e) = sink.put(&buf[..n]) {
                break Err(Error::io("writing", dest)(e));
            }
        };
        self.buf = buf;
        outcome?;
        Ok((sink.finish(), size))
    }

    /// Copies a large entry with the hashing and writing on a second
    /// thread, so decompression (this thread) and sha256 + write run on two
    /// cores at once. At most [`PIPELINE_DEPTH`] buffers are in flight.
    fn copy_pipelined(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        out: &mut File,
        dest: &Path,
    ) -> Result<(String, u64)> {
        let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(PIPELINE_DEPTH);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        let _ = free_tx.send(std::mem::take(&mut self.buf));
        for _ in 1..PIPELINE_DEPTH {
            let _ = free_tx.send(vec![0; COPY_BUF]);
        }
        let writeback = self.set.writeback;
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> io::Result<String> {
                let mut sink = Sink::new(out, writeback);
                for (buf, n) in full_rx {
                    sink.put(&buf[..n])?;
                    // The reader may be gone already; then the buffer is dropped.
                    let _ = free_tx.send(buf);
                }
                Ok(sink.finish())
            });
            let mut size: u64 = 0;
            let read_outcome: Result<()> = loop {
                // No free buffer means the writer stopped (its error is below).
                let Ok(mut buf) = free_rx.recv() else {
                    break Ok(());
                };
                let n = match self.next_chunk(name, reader, &mut buf, &mut size) {
                    Ok(0) => break Ok(()),
                    Ok(n) => n,
                    Err(e) => break Err(e),
                };
                if full_tx.send((buf, n)).is_err() {
                    break Ok(());
                }
            };
            drop(full_tx);
            let written = writer
                .join()
                .map_err(|_| Error::State(format!("the writer of {} panicked", dest.display())))?;
            read_outcome?;
            let sha = written.map_err(Error::io("writing", dest))?;
            // Keep one buffer for the next entry.
            self.buf = free_rx.try_recv().unwrap_or_else(|_| vec![0; COPY_BUF]);
            Ok((sha, size))
        })
    }

    fn check_totals(&self, name: &str) -> Result<()> {
        if self.total > self.limits.max_total_bytes {
            return Err(self.refuse(
                name,
                format!(
                    "the archive expands to more than {} bytes (limit max_total_bytes)",
                    self.limits.max_total_bytes
                ),
            ));
        }
        if self.total > RATIO_GRACE_BYTES {
            let raw = (self.raw_read)().max(1);
            if self.total / raw > self.limits.max_ratio {
                return Err(self.refuse(
                    name,
                    format!(
                        "the archive expands more than {} times its compressed size ({} bytes from {raw}; limit max_ratio): a decompression bomb?",
                        self.limits.max_ratio, self.total
                    ),
                ));
            }
        }
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

    /// Walks a tar stream entry by entry.
    pub(crate) fn tar(&mut self, reader: &mut dyn Read) -> Result<()> {
        use tar::EntryType as T;
        let mut archive = tar::Archive::new(reader);
        let entries = archive.entries().map_err(|e| self.bad(&e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.bad(&e))?;
            let raw_name = entry.path_bytes().into_owned();
            let Ok(name) = String::from_utf8(raw_name.clone()) else {
                let shown = String::from_utf8_lossy(&raw_name).into_owned();
                return Err(self.refuse(&shown, "the name is not valid UTF-8"));
            };
            let header = entry.header();
            let kind = header.entry_type();
            let mode = header.mode().unwrap_or(0o644);
            let declared = header.size().ok();
            match kind {
                T::Regular | T::Continuous => self.file(&name, mode, declared, &mut entry)?,
                T::Directory => self.dir(&name)?,
                T::XGlobalHeader => {}
                T::Symlink => {
                    let target = link_target(&entry);
                    return Err(self.refuse(
                        &name,
                        format!("symbolic link (to {target:?}): links are not allowed in plugin archives"),
                    ));
                }
                T::Link => {
                    let target = link_target(&entry);
                    return Err(self.refuse(
                        &name,
                        format!(
                            "hard link (to {target:?}): links are not allowed in plugin archives"
                        ),
                    ));
                }
                T::Char | T::Block => {
                    return Err(self.refuse(
                        &name,
                        "device file: only regular files and folders are allowed",
                    ));
                }
                T::Fifo => {
                    return Err(
                        self.refuse(&name, "FIFO: only regular files and folders are allowed")
                    );
                }
                T::GNUSparse => {
                    return Err(self.refuse(&name, "sparse file entries are not supported"));
                }
                other => {
                    return Err(self.refuse(
                        &name,
                        format!("unsupported entry type {:?}", other.as_byte() as char),
                    ));
                }
            }
        }
        Ok(())
    }

    fn bad(&self, e: &io::Error) -> Error {
        self.read_error("", e)
    }

    /// Walks a zip archive held in a (spooled) file.
    pub(crate) fn zip(&mut self, file: File) -> Result<()> {
        let mut archive = zip::ZipArchive::new(file).map_err(|e| Error::BadArchive {
            artifact: self.artifact.to_owned(),
            detail: e.to_string(),
        })?;
        if archive.has_duplicate_names() {
            let mut seen = HashSet::new();
            let dup = archive
                .file_names()
                .filter_map(std::result::Result::ok)
                .find(|n| !seen.insert(n.to_string()))
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default();
            return Err(self.refuse(
                &dup,
                "duplicate entry: this path appears twice in the archive",
            ));
        }
        if archive.len() as u64 > self.limits.max_entries {
            return Err(self.refuse(
                "",
                format!(
                    "{} entries, more than {} (limit max_entries)",
                    archive.len(),
                    self.limits.max_entries
                ),
            ));
        }
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| Error::BadArchive {
                artifact: self.artifact.to_owned(),
                detail: format!("entry #{i}: {e}"),
            })?;
            let name = match entry.name() {
                Ok(n) => n.into_owned(),
                Err(e) => {
                    let shown = String::from_utf8_lossy(entry.name_raw()).into_owned();
                    return Err(self.refuse(&shown, format!("bad name: {e}")));
                }
            };
            let mode = entry.unix_mode();
            let file_type = mode.map_or(0, |m| m & 0o170_000);
            if entry.is_symlink() || file_type == 0o120_000 {
                return Err(self.refuse(
                    &name,
                    "symbolic link: links are not allowed in plugin archives",
                ));
            }
            if entry.is_dir() {
                self.dir(&name)?;
            } else if file_type == 0 || file_type == 0o100_000 {
                let declared = Some(entry.size());
                self.file(&name, mode.unwrap_or(0o644), declared, &mut entry)?;
            } else {
                return Err(self.refuse(
                    &name,
                    "device or special file: only regular files and folders are allowed",
                ));
            }
        }
        Ok(())
    }
}

/// Where an entry's bytes go: hashed, written, and (for a set that is
/// flushed before publishing) handed to the disk as it goes.
struct Sink<'f> {
    out: &'f mut File,
    hasher: Sha256,
    writeback: bool,
    written: u64,
    flushed: u64,
}

impl<'f> Sink<'f> {
    fn new(out: &'f mut File, writeback: bool) -> Self {
        Self {
            out,
            hasher: Sha256::new(),
            writeback,
            written: 0,
            flushed: 0,
        }
    }

    fn put(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.hasher.update(chunk);
        self.out.write_all(chunk)?;
        self.written += chunk.len() as u64;
        if self.writeback && self.written - self.flushed >= WRITEBACK_STEP {
            self.kick();
        }
        Ok(())
    }

    fn kick(&mut self) {
        // Advisory only: the flush before publishing is what counts.
        let _ =
            safe_fs::atomic::start_writeback(self.out, self.flushed, self.written - self.flushed);
        self.flushed = self.written;
    }

    /// The hex sha256 of everything put.
    fn finish(mut self) -> String {
        if self.writeback {
            self.kick();
        }
        hex::encode(self.hasher.finalize())
    }
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}
