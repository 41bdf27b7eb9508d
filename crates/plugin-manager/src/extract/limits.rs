//! [`Limits`]: bounds on what one artifact may write, and their checks.

use super::Extractor;
use crate::error::Result;

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

impl Extractor<'_> {
    pub(super) fn count_entry(&mut self, name: &str) -> Result<()> {
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

    /// Counts `n` more bytes of entry `name` against the limits.
    pub(super) fn count_bytes(&mut self, name: &str, size: u64, n: usize) -> Result<()> {
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
}
