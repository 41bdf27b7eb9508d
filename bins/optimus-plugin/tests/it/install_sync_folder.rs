//! One folder, one owner: install and sync take the same lock, each refuses
//! a folder the other manages, and `verify` checks a synced folder against
//! the sync state.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use crate::support::{Project, Server, bin, plugin_entries, plugin_yaml, targz, zip_bytes};
use predicates::prelude::*;

/// A server whose `/plugins` is a zip of two YAML plugins.
fn plugin_server() -> Server {
    let server = Server::start();
    let entries: Vec<(String, Vec<u8>, u32)> = ["a", "b"]
        .iter()
        .map(|n| {
            (
                format!("optimus-plugin-{n}.yaml"),
                plugin_yaml(n, "1.0.0").into_bytes(),
                0o644,
            )
        })
        .collect();
    server.put("plugins", zip_bytes(&entries));
    server
}

fn sync(server: &Server, dir: &Path) -> assert_cmd::assert::Assert {
    bin()
        .args([
            "sync",
            "--attempts",
            "1",
            "--host",
            &format!("{}/", server.url()),
            "--plugin-dir",
        ])
        .arg(dir)
        .assert()
}

fn installed() -> Project {
    let p = Project::new();
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.local_config(&["bq2bq.tar.gz"]);
    p.install().success();
    p
}

#[test]
fn sync_into_a_folder_that_install_manages_is_refused() {
    let p = installed();
    let before = p.snapshot();
    let server = plugin_server();
    let config = p.config();
    sync(&server, &p.plugin_dir()).code(2).stderr(
        predicate::str::contains(format!(
            "{} is managed by `optimus-plugin install` (config {})",
            p.plugin_dir().display(),
            config.display()
        ))
        .and(predicate::str::contains("Sync into another folder")),
    );
    assert_eq!(p.snapshot(), before);
    assert_eq!(server.gets(), 0, "refused before any download");
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success();
}

#[test]
fn install_into_a_folder_that_sync_manages_is_refused() {
    let server = plugin_server();
    let p = Project::new();
    sync(&server, &p.plugin_dir()).success();
    let before = p.snapshot();
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.local_config(&["bq2bq.tar.gz"]);
    p.install().code(2).stderr(
        predicate::str::contains(format!(
            "{} is managed by `optimus-plugin sync`",
            p.plugin_dir().display()
        ))
        .and(predicate::str::contains(".optimus-sync.json")),
    );
    assert_eq!(p.snapshot(), before);
    assert!(
        !std::fs::symlink_metadata(p.plugin_dir())
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn verify_after_a_sync_checks_the_sync_state() {
    let server = plugin_server();
    let p = Project::new();
    let dir = p.plugin_dir();
    sync(&server, &dir).success();
    // Other files in a synced folder are not sync's: never "extra".
    std::fs::write(dir.join("optimus-a_linux_amd64"), "bin").unwrap();
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 files verified, all match"));

    std::fs::write(dir.join("optimus-plugin-a.yaml"), "edited").unwrap();
    std::fs::write(dir.join("optimus-plugin-c.yaml"), plugin_yaml("c", "1")).unwrap();
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("changed  optimus-plugin-a.yaml\n")
                .and(predicate::str::contains("extra    optimus-plugin-c.yaml\n"))
                .and(predicate::str::contains(".optimus-sync.json").not()),
        );
    let out = bin()
        .args(["verify", "--output", "json", "--plugin-dir"])
        .arg(&dir)
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["report"]["managed_by"], "sync");
}

/// Holds the folder's lock (`.plugins.lock` beside it) as another process
/// would.
fn hold_lock(p: &Project) -> File {
    let f = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(p.root().join(".plugins.lock"))
        .unwrap();
    f.try_lock().unwrap();
    f
}

#[test]
fn sync_waits_for_the_lock_install_holds() {
    let server = plugin_server();
    let p = Project::new();
    let lock = hold_lock(&p);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("optimus-plugin"))
        .args([
            "sync",
            "--attempts",
            "1",
            "--host",
            &format!("{}/", server.url()),
            "--plugin-dir",
        ])
        .arg(p.plugin_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "sync must wait while the lock is held"
    );
    assert!(!p.plugin_dir().join("optimus-plugin-a.yaml").exists());
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(p.plugin_dir().join("optimus-plugin-a.yaml").is_file());
}

#[test]
fn install_gives_up_on_the_lock_sync_holds() {
    let p = Project::new();
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.local_config(&["bq2bq.tar.gz"]);
    let _lock = hold_lock(&p);
    bin()
        .args(["install", "--no-sync", "--lock-timeout", "1", "-c"])
        .arg(p.config())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "another install or sync is running on {} (lock file {})",
            p.plugin_dir().display(),
            p.root().join(".plugins.lock").display()
        )));
    assert!(!p.plugin_dir().exists());
}
