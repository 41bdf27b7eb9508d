//! Helpers both areas of these tests use: the binary, running it off the
//! async runtime, reading its output.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The optimus-init binary under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_optimus-init"))
}

/// Runs `c` to completion on a blocking thread, so the servers on the
/// test's runtime keep answering.
pub async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
