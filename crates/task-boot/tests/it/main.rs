//! task-boot integration tests: the run-input clients (gRPC and REST)
//! against local servers with faults, the writer (names, limits, restart), and the shell
//! round trip of `.env` / `.secret`.
#![allow(clippy::unwrap_used)]

// The run-input servers, shared with optimus-init's tests.
#[path = "support/grpc_server.rs"]
mod grpc_server;
#[path = "support/server.rs"]
mod server;

mod client;
mod files;
mod grpc;
mod shell;

use std::time::Duration;

use task_boot::{FetchOptions, InstanceType, Protocol, RunRequest};

fn request(host: &str) -> RunRequest {
    RunRequest::new(
        host,
        "proj-1",
        "job a",
        "2026-11-23T05:00:00+05:00",
        InstanceType::Task,
        "bq2bq",
    )
    .unwrap()
}

/// REST with quick retries so tests stay short; the deadline is what a
/// test sets.
fn opts(deadline: Duration) -> FetchOptions {
    FetchOptions {
        protocol: Protocol::Rest,
        grpc_package: None,
        ca_pem: None,
        deadline,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(300),
        max_reply_bytes: 64 << 20,
    }
}
