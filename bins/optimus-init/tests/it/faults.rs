//! Faults of the job dir's volume, made for real: a 1 MiB tmpfs (full for
//! a 5 MiB reply) or a read-only one, mounted in a private mount
//! namespace. These tests need root and `unshare -m`; they are
//! `#[ignore]`d and run by `scripts/test.d/25-faults.sh` (`cargo test --
//! --ignored faults::` inside `unshare -m`), which skips them where that
//! is not allowed.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use crate::cli::init;
use crate::server::RunInputServer;
use crate::tmpfs::Tmpfs;
use serde_json::json;

async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

/// A reply with a 5 MiB asset file.
fn big_reply() -> serde_json::Value {
    let line = "select * from t where d = '2026-11-23' -- padding padding padding\n";
    let text = line.repeat((5 << 20) / line.len() + 1);
    json!({"envs": {"A": "1"}, "files": {"query.sql": text}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
async fn a_5_mib_reply_into_a_1_mib_job_dir_fails_before_writing() {
    let srv = RunInputServer::start(big_reply());
    let vol = Tmpfs::new("1m");
    let free = vol.free();
    let term = vol.outside.path().join("termination-log");
    let mut c = init(&srv, &vol.mnt);
    c.arg("--termination-log").arg(&term);
    let out = run(c).await;
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{log}");
    let want = format!("not enough space in {}: 5.0 MiB", vol.mnt.display());
    assert!(log.contains(&want), "{log}");
    assert!(log.contains("no inputs were written"), "{log}");
    assert!(std::fs::read_to_string(&term).unwrap().contains(&want));
    assert!(vol.entries().is_empty(), "{:?}", vol.entries());
    assert_eq!(vol.free(), free, "bytes left on the volume");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
async fn a_read_only_job_dir_names_the_path_and_writes_nothing() {
    let srv = RunInputServer::start(json!({"envs": {"A": "1"}, "files": {"q.sql": "select 1"}}));
    let vol = Tmpfs::new("1m");
    vol.read_only();
    let out = run(init(&srv, &vol.mnt)).await;
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains(&vol.mnt.display().to_string()), "{log}");
    assert!(log.contains("Read-only file system"), "{log}");
    assert!(vol.entries().is_empty(), "{:?}", vol.entries());
}
