//! Copying one entry's bytes into its file: hashed (XXH3-128, see
//! [`crate::digest`]) and counted
//! against the limits on the way; a large entry with the hashing and
//! writing on a second thread.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::mpsc;

use super::Extractor;
use crate::digest::{Algorithm, Hasher};
use crate::error::{Error, Result};

/// Size of one copy buffer.
pub(super) const COPY_BUF: usize = 256 * 1024;

/// Entries at least this large (or of unknown size) are copied with the
/// hashing and writing on a second thread.
pub(super) const PIPELINE_MIN_BYTES: u64 = 4 << 20;

/// Buffers in flight between the decoding and the writing thread.
const PIPELINE_DEPTH: usize = 4;

/// How much of a file is written between two write-back kicks when the set
/// writes back early: large enough to keep the call rare, small enough that
/// the disk starts on a big file long before it is complete.
const WRITEBACK_STEP: u64 = 8 << 20;

impl Extractor<'_> {
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
    pub(super) fn copy_inline(
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
    /// thread, so decompression (this thread) and hashing + write run on two
    /// cores at once. At most [`PIPELINE_DEPTH`] buffers are in flight.
    pub(super) fn copy_pipelined(
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
            let digest = written.map_err(Error::io("writing", dest))?;
            // Keep one buffer for the next entry.
            self.buf = free_rx.try_recv().unwrap_or_else(|_| vec![0; COPY_BUF]);
            Ok((digest, size))
        })
    }
}

/// Where an entry's bytes go: hashed, written, and (for a set that is
/// flushed before publishing) handed to the disk as it goes.
struct Sink<'f> {
    out: &'f mut File,
    hasher: Hasher,
    writeback: bool,
    written: u64,
    flushed: u64,
}

impl<'f> Sink<'f> {
    fn new(out: &'f mut File, writeback: bool) -> Self {
        Self {
            out,
            hasher: Hasher::new(Algorithm::Xxh3_128),
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

    /// The hex digest of everything put.
    fn finish(mut self) -> String {
        if self.writeback {
            self.kick();
        }
        self.hasher.finish()
    }
}
