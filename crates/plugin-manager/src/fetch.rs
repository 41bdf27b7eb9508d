//! Download -> hash -> unpack, streamed. The provider's byte stream is
//! pulled by a small task on the async runtime that hashes every chunk and
//! hands it over a bounded channel to the blocking thread that decodes and
//! writes; so the artifact's sha256 is computed on another core while this
//! one inflates, and the decoder reads the network's buffers in place (no
//! copy into a read buffer). Nothing holds a whole artifact in memory: at
//! most `CHANNEL_CHUNKS` (4) chunks wait in the channel.

use std::fmt;
use std::io::{self, BufRead, Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use plugin_repo::{ByteStream, RepoError};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::extract::{Extractor, Format, Limits, SetBuilder};
use crate::receipt::FileReceipt;

/// Chunks that may wait between the download task and the decoder.
const CHANNEL_CHUNKS: usize = 4;

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

/// What the download task sends to the decoder.
enum Piece {
    Chunk(Bytes),
    /// The stream ended; sha256 (hex) and size of everything sent.
    End(String, u64),
    /// The stream failed (the error itself is in the failure slot).
    Failed(String),
}

/// Blocking `Read`/`BufRead` over an async byte stream (use on a blocking
/// thread). Every byte of the stream is hashed on the way, by the task
/// that pulls it.
pub(crate) struct StreamReader<'a> {
    rx: mpsc::Receiver<Piece>,
    chunk: Bytes,
    failure: Arc<Mutex<Option<RepoError>>>,
    cancel: &'a CancellationToken,
    on_bytes: &'a (dyn Fn(u64) + Send + Sync),
    read: Arc<AtomicU64>,
    end: Option<(String, u64)>,
    tee: Option<&'a mut (dyn Write + Send)>,
}

impl<'a> StreamReader<'a> {
    /// Starts pulling `body` on `handle`'s runtime. Cancelling `cancel`
    /// drops the download at once and makes the reader fail.
    pub(crate) fn new(
        handle: &tokio::runtime::Handle,
        body: ByteStream,
        cancel: &'a CancellationToken,
        on_bytes: &'a (dyn Fn(u64) + Send + Sync),
    ) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let failure = Arc::new(Mutex::new(None));
        handle.spawn(pull(body, tx, Arc::clone(&failure), cancel.clone()));
        Self {
            rx,
            chunk: Bytes::new(),
            failure,
            cancel,
            on_bytes,
            read: Arc::new(AtomicU64::new(0)),
            end: None,
            tee: None,
        }
    }

    /// Also hands every byte of the stream, as it arrives, to `copy` (the
    /// artifact cache). A copy that fails to write is dropped; the reader
    /// goes on.
    pub(crate) fn tee(mut self, copy: &'a mut (dyn Write + Send)) -> Self {
        self.tee = Some(copy);
        self
    }

    /// The provider error that ended the stream, if any.
    pub(crate) fn failure(&self) -> Arc<Mutex<Option<RepoError>>> {
        Arc::clone(&self.failure)
    }

    /// Bytes handed to the reader's user so far.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.read)
    }

    /// Reads to the end (trailing bytes count for the digest too).
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        loop {
            let n = self.fill_buf()?.len();
            if n == 0 {
                return Ok(());
            }
            self.consume(n);
        }
    }

    /// sha256 (hex) and size of the whole stream, once it was read to the
    /// end.
    pub(crate) fn finish(self) -> Option<(String, u64)> {
        self.end
    }
}

/// The download task: pulls, hashes and forwards until the stream ends,
/// fails, the reader is gone or the work is cancelled.
async fn pull(
    mut body: ByteStream,
    tx: mpsc::Sender<Piece>,
    failure: Arc<Mutex<Option<RepoError>>>,
    cancel: CancellationToken,
) {
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    loop {
        let next = tokio::select! {
            // The reader is gone (done, failed or cancelled): drop the
            // connection now rather than at the next chunk.
            () = tx.closed() => return,
            // Cancelled: the connection is dropped here and the reader,
            // its channel closed, stops.
            () = cancel.cancelled() => return,
            next = body.next() => next,
        };
        let piece = match next {
            None => Piece::End(hex::encode(std::mem::take(&mut hasher).finalize()), size),
            Some(Ok(b)) => {
                hasher.update(&b);
                size += b.len() as u64;
                Piece::Chunk(b)
            }
            Some(Err(e)) => {
                let msg = e.to_string();
                *failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                Piece::Failed(msg)
            }
        };
        let last = !matches!(piece, Piece::Chunk(_));
        if tx.send(piece).await.is_err() || last {
            return;
        }
    }
}

impl BufRead for StreamReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.chunk.is_empty() {
            if self.end.is_some() {
                return Ok(&[]);
            }
            if self.cancel.is_cancelled() {
                return Err(io::Error::other(StreamFailure("cancelled".into())));
            }
            match self.rx.blocking_recv() {
                Some(Piece::Chunk(b)) => {
                    if let Some(copy) = self.tee.as_mut()
                        && copy.write_all(&b).is_err()
                    {
                        self.tee = None;
                    }
                    self.chunk = b;
                }
                Some(Piece::End(sha, size)) => self.end = Some((sha, size)),
                Some(Piece::Failed(msg)) => return Err(io::Error::other(StreamFailure(msg))),
                None => {
                    return Err(io::Error::other(StreamFailure(
                        "the download stopped unexpectedly".into(),
                    )));
                }
            }
        }
        Ok(&self.chunk)
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.chunk.len());
        bytes::Buf::advance(&mut self.chunk, amt);
        let read = self.read.fetch_add(amt as u64, Ordering::Relaxed) + amt as u64;
        (self.on_bytes)(read);
    }
}

impl Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = buf.len().min(avail.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
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
pub(crate) fn unpack(job: &UnpackJob<'_>, mut reader: StreamReader<'_>) -> Result<Unpacked> {
    let failure = reader.failure();
    let take_failure = || {
        failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    let counter = reader.counter();
    let raw_read = move || counter.load(Ordering::Relaxed);
    let mut ex = Extractor::new(job.set, job.artifact, job.limits, &raw_read);

    let outcome: Result<()> = match job.format {
        Format::TarGz => ex.tar(&mut flate2::bufread::MultiGzDecoder::new(&mut reader)),
        Format::Tar => ex.tar(&mut reader),
        Format::File(name) => ex.single(name, &mut reader),
        Format::Zip => {
            // Zip needs random access: spool to an unnamed temporary file
            // (gone with the process, whatever happens), verify, then read.
            let spool = spool(&mut reader, job.tmp_dir, job.artifact);
            match spool {
                Ok(file) => {
                    let (sha, size) = end_of(reader)?;
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
    let drained = reader.drain();
    if let Some(repo) = take_failure() {
        return Err(Error::Fetch(repo));
    }
    if let Err(e) = drained {
        // A wrong artifact usually fails to unpack; say why if it can.
        outcome?;
        return Err(Error::BadArchive {
            artifact: job.artifact.to_owned(),
            detail: e.to_string(),
        });
    }
    let (sha, size) = end_of(reader)?;
    if let Some(pin) = job.pin.filter(|p| p.sha256 != sha) {
        return Err(checksum_error(job.artifact, pin, &sha));
    }
    outcome?;
    Ok(Unpacked {
        sha256: sha,
        size,
        files: ex.finish(),
    })
}

/// Digest and size of a reader that was read to the end.
fn end_of(reader: StreamReader<'_>) -> Result<(String, u64)> {
    reader
        .finish()
        .ok_or_else(|| Error::State("the download ended before its last byte was read".into()))
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
pub(crate) fn hash_stream(mut reader: StreamReader<'_>) -> Result<(String, u64)> {
    let failure = reader.failure();
    if let Err(e) = reader.drain() {
        if let Some(repo) = failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            return Err(Error::Fetch(repo));
        }
        return Err(Error::State(format!("download failed: {e}")));
    }
    end_of(reader)
}
