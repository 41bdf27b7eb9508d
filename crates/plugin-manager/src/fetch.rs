//! Download -> hash -> unpack, streamed: the provider's byte stream is read
//! on a blocking thread through `StreamReader`, hashed on the way by
//! `HashingReader`, and handed to the tar/gzip decoder or spooled (zip) or
//! written as one file. Nothing holds a whole artifact in memory.

use std::fmt;
use std::io::{self, Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use plugin_repo::{ByteStream, RepoError};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::extract::{Extractor, Format, Limits, SetBuilder};
use crate::receipt::FileReceipt;

/// A failure of the download stream, carried through `io::Error` so the
/// decoders pass it up unchanged.
#[derive(Debug)]
pub(crate) struct StreamFailure(pub String);

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StreamFailure {}

/// Blocking `Read` over an async byte stream (use on a blocking thread).
pub(crate) struct StreamReader<'a> {
    handle: tokio::runtime::Handle,
    body: ByteStream,
    chunk: Bytes,
    failure: Arc<Mutex<Option<RepoError>>>,
    cancel: &'a AtomicBool,
    on_bytes: &'a (dyn Fn(u64) + Send + Sync),
    read: u64,
    done: bool,
}

impl<'a> StreamReader<'a> {
    pub(crate) fn new(
        handle: tokio::runtime::Handle,
        body: ByteStream,
        cancel: &'a AtomicBool,
        on_bytes: &'a (dyn Fn(u64) + Send + Sync),
    ) -> Self {
        Self {
            handle,
            body,
            chunk: Bytes::new(),
            failure: Arc::new(Mutex::new(None)),
            cancel,
            on_bytes,
            read: 0,
            done: false,
        }
    }

    /// The provider error that ended the stream, if any.
    pub(crate) fn failure(&self) -> Arc<Mutex<Option<RepoError>>> {
        Arc::clone(&self.failure)
    }
}

impl Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            if self.done {
                return Ok(0);
            }
            if self.cancel.load(Ordering::Relaxed) {
                return Err(io::Error::other(StreamFailure(
                    "cancelled: another artifact failed".into(),
                )));
            }
            match self.handle.block_on(self.body.next()) {
                None => {
                    self.done = true;
                    return Ok(0);
                }
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => {
                    let msg = e.to_string();
                    *self
                        .failure
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                    return Err(io::Error::other(StreamFailure(msg)));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        bytes::Buf::advance(&mut self.chunk, n);
        self.read += n as u64;
        (self.on_bytes)(self.read);
        Ok(n)
    }
}

/// Hashes and counts every byte read through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: Arc<AtomicU64>,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.count)
    }

    /// Reads to the end (trailing bytes count for the digest too).
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }

    pub(crate) fn finish(self) -> (String, u64) {
        (
            hex::encode(self.hasher.finalize()),
            self.count.load(Ordering::Relaxed),
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What one artifact put into the set.
#[derive(Debug)]
pub(crate) struct Unpacked {
    pub sha256: String,
    pub size: u64,
    pub files: Vec<FileReceipt>,
}

/// An expected digest and where it was written.
#[derive(Debug, Clone)]
pub struct Pin {
    /// Lowercase hex sha256.
    pub sha256: String,
    /// Where it comes from (`optimus.yaml:12:7` or the lock file).
    pub origin: String,
}

/// Everything the blocking unpack step needs.
pub(crate) struct UnpackJob<'a> {
    pub artifact: &'a str,
    pub format: &'a Format,
    pub pin: Option<&'a Pin>,
    pub limits: &'a Limits,
    pub set: &'a SetBuilder,
    pub tmp_dir: &'a Path,
}

fn checksum_error(artifact: &str, pin: &Pin, actual: &str) -> Error {
    Error::Checksum {
        artifact: artifact.to_owned(),
        expected: pin.sha256.clone(),
        actual: actual.to_owned(),
        pin_origin: format!(" (pin from {})", pin.origin),
    }
}

/// Streams `reader` into the set as `job.format` says, checking the pin.
/// Runs on a blocking thread.
pub(crate) fn unpack(job: &UnpackJob<'_>, reader: StreamReader<'_>) -> Result<Unpacked> {
    let failure = reader.failure();
    let take_failure = || {
        failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    let mut hashing = HashingReader::new(reader);
    let counter = hashing.counter();
    let raw_read = move || counter.load(Ordering::Relaxed);
    let mut ex = Extractor::new(job.set, job.artifact, job.limits, &raw_read);

    let outcome: Result<()> = match job.format {
        Format::TarGz => {
            let mut gz = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(
                128 * 1024,
                &mut hashing,
            ));
            ex.tar(&mut gz)
        }
        Format::Tar => ex.tar(&mut hashing),
        Format::File(name) => ex.single(name, &mut hashing),
        Format::Zip => {
            // Zip needs random access: spool to an unnamed temporary file
            // (gone with the process, whatever happens), verify, then read.
            let spool = spool(&mut hashing, job.tmp_dir, job.artifact);
            match spool {
                Ok(file) => {
                    let (sha, size) = hashing.finish();
                    if let Some(pin) = job.pin.filter(|p| p.sha256 != sha) {
                        return Err(checksum_error(job.artifact, pin, &sha));
                    }
                    ex.zip(file)?;
                    return Ok(Unpacked {
                        sha256: sha,
                        size,
                        files: ex.finish(),
                    });
                }
                Err(e) => {
                    return Err(take_failure().map_or(e, Error::Fetch));
                }
            }
        }
    };
    if let Some(repo) = take_failure() {
        return Err(Error::Fetch(repo));
    }
    let drained = hashing.drain();
    if let Some(repo) = take_failure() {
        return Err(Error::Fetch(repo));
    }
    let (sha, size) = hashing.finish();
    // A wrong artifact usually also fails to unpack; the digest says why.
    if drained.is_ok()
        && let Some(pin) = job.pin.filter(|p| p.sha256 != sha)
    {
        return Err(checksum_error(job.artifact, pin, &sha));
    }
    outcome?;
    drained.map_err(|e| Error::BadArchive {
        artifact: job.artifact.to_owned(),
        detail: e.to_string(),
    })?;
    Ok(Unpacked {
        sha256: sha,
        size,
        files: ex.finish(),
    })
}

fn spool(reader: &mut dyn Read, tmp_dir: &Path, artifact: &str) -> Result<std::fs::File> {
    let mut file = tempfile::tempfile_in(tmp_dir)
        .map_err(Error::io("creating a temporary file in", tmp_dir))?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::BadArchive {
                    artifact: artifact.to_owned(),
                    detail: format!("download failed: {e}"),
                });
            }
        };
        file.write_all(&buf[..n])
            .map_err(Error::io("writing to", tmp_dir))?;
    }
    file.rewind()
        .map_err(Error::io("rewinding a temporary file in", tmp_dir))?;
    Ok(file)
}

/// Hashes a whole stream without keeping it (for `lock`).
pub(crate) fn hash_stream(reader: StreamReader<'_>) -> Result<(String, u64)> {
    let failure = reader.failure();
    let mut hashing = HashingReader::new(reader);
    if let Err(e) = hashing.drain() {
        if let Some(repo) = failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            return Err(Error::Fetch(repo));
        }
        return Err(Error::State(format!("download failed: {e}")));
    }
    Ok(hashing.finish())
}
