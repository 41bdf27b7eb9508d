//! Content digests of installed files: what a receipt records for each
//! file, and hashing a file again to check it.
//!
//! Artifacts are always identified by sha256 (pins, the lock file, the
//! artifact cache). Files inside a set are recorded with XXH3-128: the
//! receipts guard against drift and damage (an edit, a half-restored
//! backup, a bad disk), not against someone who can also rewrite the
//! receipts next to them, so a fast non-cryptographic 128-bit hash does
//! that job at a fraction of sha256's cost (docs/install.md, "Receipts").
//! Receipts written by older versions hold sha256 for files; those are
//! still read and checked with sha256.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest as _, Sha256};
use xxhash_rust::xxh3::Xxh3;

/// The algorithm a file digest is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// XXH3 with 128-bit output: 32 lowercase hex digits (what this
    /// version records).
    Xxh3_128,
    /// sha256: 64 lowercase hex digits (receipts of format 1, sync state).
    Sha256,
}

impl Algorithm {
    /// The name used in receipts and messages (`xxh3_128`, `sha256`).
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::digest::Algorithm;
    /// assert_eq!(Algorithm::Xxh3_128.name(), "xxh3_128");
    /// assert_eq!(Algorithm::Sha256.hex_len(), 64);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Xxh3_128 => "xxh3_128",
            Algorithm::Sha256 => "sha256",
        }
    }

    /// Number of hex digits of a digest in this algorithm.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Xxh3_128 => 32,
            Algorithm::Sha256 => 64,
        }
    }

    /// Whether `hex` is a well-formed digest of this algorithm (lowercase
    /// hex of the right length).
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::digest::Algorithm;
    /// assert!(Algorithm::Xxh3_128.is_digest(&"0a".repeat(16)));
    /// assert!(!Algorithm::Xxh3_128.is_digest(&"0A".repeat(16)));
    /// assert!(!Algorithm::Sha256.is_digest(&"0a".repeat(16)));
    /// ```
    pub fn is_digest(self, hex: &str) -> bool {
        hex.len() == self.hex_len() && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

/// A running digest of one file's bytes.
///
/// # Examples
///
/// ```
/// use plugin_manager::digest::{Algorithm, Hasher};
/// let mut h = Hasher::new(Algorithm::Xxh3_128);
/// h.update(b"name: ");
/// h.update(b"a\n");
/// let whole = {
///     let mut w = Hasher::new(Algorithm::Xxh3_128);
///     w.update(b"name: a\n");
///     w.finish()
/// };
/// assert_eq!(h.finish(), whole);
/// assert_eq!(whole.len(), 32);
/// ```
#[derive(Clone)]
pub enum Hasher {
    /// XXH3-128 state (boxed: it holds a 512-byte buffer).
    Xxh3_128(Box<Xxh3>),
    /// sha256 state.
    Sha256(Sha256),
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Hasher").field(&self.algorithm()).finish()
    }
}

impl Hasher {
    /// A hasher with nothing fed yet.
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Xxh3_128 => Hasher::Xxh3_128(Box::new(Xxh3::new())),
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        }
    }

    /// Which algorithm this is.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Xxh3_128(_) => Algorithm::Xxh3_128,
            Hasher::Sha256(_) => Algorithm::Sha256,
        }
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Xxh3_128(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed, as lowercase hex.
    pub fn finish(self) -> String {
        match self {
            // Big-endian, as the reference `xxhsum -H2` prints it.
            Hasher::Xxh3_128(h) => hex::encode(h.digest128().to_be_bytes()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
        }
    }
}

/// The digest (hex) and size of everything `r` yields.
///
/// # Errors
///
/// The first read error other than `Interrupted`.
///
/// # Examples
///
/// ```
/// use plugin_manager::digest::{digest_reader, Algorithm};
/// let (sha, size) = digest_reader(&mut &b"abc"[..], Algorithm::Sha256).unwrap();
/// assert_eq!(size, 3);
/// assert_eq!(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// ```
pub fn digest_reader(r: &mut impl Read, algorithm: Algorithm) -> io::Result<(String, u64)> {
    let mut h = Hasher::new(algorithm);
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok((h.finish(), size)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        size += n as u64;
        h.update(&buf[..n]);
    }
}

/// The digest (hex) and size of the file at `path`.
///
/// # Errors
///
/// Opening or reading the file failed (`NotFound` when it is gone).
///
/// # Examples
///
/// ```
/// use plugin_manager::digest::{digest_file, Algorithm};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("optimus-plugin-a.yaml");
/// std::fs::write(&path, "name: a\n").unwrap();
/// let (xxh, size) = digest_file(&path, Algorithm::Xxh3_128).unwrap();
/// assert_eq!((xxh.len(), size), (32, 8));
/// let err = digest_file(&dir.path().join("gone"), Algorithm::Xxh3_128).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// ```
pub fn digest_file(path: &Path, algorithm: Algorithm) -> io::Result<(String, u64)> {
    digest_reader(&mut File::open(path)?, algorithm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxh3_128_matches_the_reference_vectors() {
        // What the reference tool prints (`printf ... | xxhsum -H2`, high
        // 64 bits first), so a receipt can be checked by hand.
        for (input, want) in [
            (&b""[..], "99aa06d3014798d86001c324468d497f"),
            (b"a", "a96faf705af16834e6c632b61e964e1f"),
            (b"name: a\n", "92dc540363f5a42a2d189fb904a9b5ed"),
        ] {
            let mut h = Hasher::new(Algorithm::Xxh3_128);
            h.update(input);
            assert_eq!(h.finish(), want, "{input:?}");
        }
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 7 % 251) as u8).collect();
        for algorithm in [Algorithm::Xxh3_128, Algorithm::Sha256] {
            let (whole, n) = digest_reader(&mut &data[..], algorithm).unwrap();
            assert_eq!(n, data.len() as u64);
            let mut h = Hasher::new(algorithm);
            for chunk in data.chunks(4093) {
                h.update(chunk);
            }
            assert_eq!(h.finish(), whole, "{algorithm:?}");
            assert!(algorithm.is_digest(&whole));
        }
    }
}
