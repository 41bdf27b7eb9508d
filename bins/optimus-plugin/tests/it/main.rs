//! optimus-plugin through the binary: one test binary, one module per area,
//! one shared support module.
#![allow(clippy::unwrap_used)]

mod support;
#[path = "../../../../crates/safe-fs/tests/support/tmpfs.rs"]
mod tmpfs;

mod completions;
mod config_errors;
mod faults;
mod help;
mod install_crash;
mod install_drift;
mod install_emulators;
mod install_http;
mod install_local;
mod install_malicious;
mod install_s3;
mod install_sync_folder;
mod secrets;
mod signals;
mod sync;
mod user_input;
mod validate;
