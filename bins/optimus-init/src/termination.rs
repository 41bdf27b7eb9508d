//! The failure summary Kubernetes shows in `kubectl describe pod`.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Kubernetes mounts this file into every container.
const DEFAULT_PATH: &str = "/dev/termination-log";
/// Kubernetes reads at most 4096 bytes; stay under.
const LIMIT: usize = 4000;

/// Writes `summary` (cut to under 4 KiB at a character boundary) to `path`,
/// or to /dev/termination-log when it exists. Failing to write is silent:
/// the summary is in the log too.
pub fn write(path: Option<&Path>, summary: &str) {
    let path: PathBuf = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_PATH).exists() => PathBuf::from(DEFAULT_PATH),
        None => return,
    };
    let mut end = summary.len().min(LIMIT);
    while !summary.is_char_boundary(end) {
        end -= 1;
    }
    if let Ok(mut f) = std::fs::File::create(&path) {
        let _ = f.write_all(&summary.as_bytes()[..end]);
    }
}
