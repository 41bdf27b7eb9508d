//! Crash safety: SIGKILL the installer at 50 random moments of a
//! multi-plugin install; plugin_dir is always exactly the old set or the
//! new set, and it still verifies.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Project, bin, plugin_entries, targz, zip_bytes};

fn with_payload(name: &str, version: &str, seed: u32) -> Vec<(String, Vec<u8>, u32)> {
    let mut files = plugin_entries(name, version);
    // ~2 MiB of poorly compressible bytes so the install takes a while.
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let payload: Vec<u8> = (0..2_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    files.push((format!("data/{name}.bin"), payload, 0o644));
    files
}

fn set_config(p: &Project, paths: &[&str]) {
    p.local_config(paths);
}

#[test]
fn sigkill_at_random_moments_leaves_the_old_or_the_new_set() {
    let p = Project::new();
    p.artifact("a.tar.gz", &targz(&with_payload("a", "1", 1)));
    p.artifact("b-v1.tar.gz", &targz(&with_payload("b", "1", 2)));
    p.artifact("b-v2.zip", &zip_bytes(&with_payload("b", "2", 3)));
    p.artifact("c.tar.gz", &targz(&with_payload("c", "1", 4)));
    p.artifact("d.tar.gz", &targz(&with_payload("d", "1", 5)));
    let old_paths = ["a.tar.gz", "b-v1.tar.gz", "c.tar.gz"];
    let new_paths = ["a.tar.gz", "b-v2.zip", "d.tar.gz"];

    // Reference snapshots of both sets.
    set_config(&p, &new_paths);
    let started = Instant::now();
    p.install().success();
    let full = started.elapsed();
    let new = p.snapshot().unwrap();
    set_config(&p, &old_paths);
    p.install().success();
    let old = p.snapshot().unwrap();
    assert_ne!(old, new);

    let exe = assert_cmd::cargo::cargo_bin("optimus-plugin");
    let window = u64::try_from(full.as_micros().max(1000)).unwrap() * 12 / 10;
    let (mut saw_old, mut saw_new) = (0, 0);
    for round in 0..50 {
        set_config(&p, &old_paths);
        p.install().success();
        assert_eq!(p.snapshot().unwrap(), old, "round {round}: reset failed");

        set_config(&p, &new_paths);
        let delay = Duration::from_micros(rand::random_range(0..window));
        let mut child = Command::new(&exe)
            .args(["install", "--no-sync", "-c"])
            .arg(p.config())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let now = p.snapshot().unwrap();
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            panic!(
                "round {round} (killed after {delay:?}): plugin_dir is neither the old nor the new set: {now:?}"
            );
        }
        bin()
            .args(["verify", "--plugin-dir"])
            .arg(p.plugin_dir())
            .assert()
            .success();
    }
    eprintln!("old set seen {saw_old} times, new set {saw_new} times (install takes {full:?})");
    // A later run completes the switch and cleans what killed runs left.
    set_config(&p, &new_paths);
    p.install().success();
    assert_eq!(p.snapshot().unwrap(), new);
    let left: Vec<String> = std::fs::read_dir(p.root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains(".tmp-") || n.contains(".link-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
