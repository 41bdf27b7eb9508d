//! optimus-init through the binary: one test binary, one support module,
//! the run-input servers shared with task-boot's tests.
#![allow(clippy::unwrap_used)]

#[path = "../../../../crates/task-boot/tests/it/support/grpc_server.rs"]
mod grpc_server;
#[path = "../../../../crates/task-boot/tests/it/support/server.rs"]
mod server;
mod support;
#[path = "../../../../crates/safe-fs/tests/support/tmpfs.rs"]
mod tmpfs;

mod cli;
mod faults;
mod grpc;
mod signals;
