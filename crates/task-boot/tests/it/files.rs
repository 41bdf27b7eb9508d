//! What reaches the disk: unsafe names, limits, restart.

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use task_boot::{Durability, Limits, existing_inputs, fetch_run_input, plan_inputs, write_inputs};

use crate::server::RunInputServer;
use crate::{opts, request};

/// Every path under `root`, relative, sorted.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Fetches from a server answering `reply` and writes to `<tmp>/job`; returns
/// the error text and the whole tree of `<tmp>`.
async fn boot(reply: serde_json::Value, limits: Limits) -> (Result<(), String>, Vec<String>) {
    let srv = RunInputServer::start(reply);
    let root = tempfile::tempdir().unwrap();
    let job = root.path().join("job");
    fs::create_dir(&job).unwrap();
    let req = request(&srv.host());
    let (input, _) = fetch_run_input(&req, &opts(Duration::from_secs(10)))
        .await
        .unwrap();
    let result = plan_inputs(&input, Vec::new(), &limits, false)
        .and_then(|plan| write_inputs(&job, &plan, &req.fingerprint(None), Durability::Rename))
        .map(|_| ())
        .map_err(|e| e.to_string());
    (result, tree(root.path()))
}

#[tokio::test]
async fn traversal_names_are_refused_and_nothing_is_written() {
    for (name, want) in [
        ("../escape.txt", "'..'"),
        ("a/../../escape.txt", "'..'"),
        ("/etc/cron.d/x", "absolute"),
        ("ok/\u{1b}[31m", "forbidden character"),
        ("a\\..\\b", "forbidden character"),
        ("", "empty"),
        (".secret", "reserved"),
    ] {
        let reply = json!({"files": {"fine.sql": "select 1", name: "x"}, "envs": {"A": "1"}});
        let (result, tree) = boot(reply, Limits::default()).await;
        let err = result.unwrap_err();
        assert!(err.contains(want), "{name:?}: {err}");
        assert_eq!(tree, ["job"], "{name:?}: nothing written anywhere");
    }
}

#[tokio::test]
async fn too_many_files_or_bytes_are_refused() {
    let files: serde_json::Map<String, serde_json::Value> = (0..20)
        .map(|i| (format!("f{i}.txt"), json!("0123456789")))
        .collect();
    let reply = json!({ "files": files });
    let (result, tree) = boot(
        reply.clone(),
        Limits {
            max_files: 19,
            max_bytes: 1 << 20,
        },
    )
    .await;
    assert_eq!(
        result.unwrap_err(),
        "number of files: 20 is over the limit of 19"
    );
    assert_eq!(tree, ["job"]);
    let (result, tree) = boot(
        reply.clone(),
        Limits {
            max_files: 100,
            max_bytes: 199,
        },
    )
    .await;
    assert_eq!(
        result.unwrap_err(),
        "total size of files in bytes: 200 is over the limit of 199"
    );
    assert_eq!(tree, ["job"]);
    let (result, tree) = boot(
        reply,
        Limits {
            max_files: 20,
            max_bytes: 200,
        },
    )
    .await;
    result.unwrap();
    assert_eq!(
        tree.len(),
        2 + 20 + 3,
        "job, job/in, 20 files, .env .secret marker"
    );
}

#[tokio::test]
async fn a_finished_in_is_recognised_and_another_request_replaces_it() {
    let srv = RunInputServer::start(json!({"files": {"a/b.sql": "1"}, "envs": {"X": "y"}}));
    let root = tempfile::tempdir().unwrap();
    let req = request(&srv.host());
    let fp = req.fingerprint(None);
    assert!(existing_inputs(root.path(), &fp).unwrap().is_none());
    let (input, _) = fetch_run_input(&req, &opts(Duration::from_secs(10)))
        .await
        .unwrap();
    let plan = plan_inputs(&input, Vec::new(), &Limits::default(), false).unwrap();
    write_inputs(root.path(), &plan, &fp, Durability::Sync).unwrap();
    let marker = existing_inputs(root.path(), &fp).unwrap().unwrap();
    assert_eq!(
        (marker.files, marker.bytes, marker.envs, marker.secrets),
        (1, 1, 1, 0)
    );
    // Another scheduled time is another request: not "done".
    let other = task_boot::RunRequest::new(
        &srv.host(),
        "proj-1",
        "job a",
        "2026-11-24T00:00:00Z",
        task_boot::InstanceType::Task,
        "bq2bq",
    )
    .unwrap();
    assert!(
        existing_inputs(root.path(), &other.fingerprint(None))
            .unwrap()
            .is_none()
    );
}
