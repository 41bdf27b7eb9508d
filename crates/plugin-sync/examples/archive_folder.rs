//! Build the archive `serve` hands out for a folder of YAML plugins, then
//! read it back through the checks `sync` applies to a download.
//!
//! `cargo run -p plugin-sync --example archive_folder [DIR]`
//!
//! DIR defaults to the bundled `examples/plugins`. Prints each plugin with
//! its version and size, the archive's size and ETag; a bad file is an
//! error naming it.

use std::path::PathBuf;
use std::process::ExitCode;

use plugin_sync::archive::{ArchiveLimits, archive_plugin_dir, read_archive};

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../examples/plugins"
            ))
        },
        PathBuf::from,
    );
    let archive = match archive_plugin_dir(&dir) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for p in &archive.plugins {
        println!("{:<40} {:<12} {:>6} bytes", p.file, p.version, p.size);
    }
    println!(
        "archive: {} bytes, ETag {}",
        archive.zip.len(),
        archive.etag
    );
    match read_archive(&archive.zip, &ArchiveLimits::default(), "the built archive") {
        Ok(files) => {
            println!("read back: {} plugins pass sync's checks", files.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
