//! Values a user controls (flags, env vars, state files edited by hand)
//! never crash the binary: exit 1 or 2 with a message, never a panic.
#![allow(clippy::unwrap_used)]

use crate::support::{Project, bin, plugin_entries, targz};

const HUGE: &str = "18446744073709551615";

fn project() -> Project {
    let p = Project::new();
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.local_config(&["bq2bq.tar.gz"]);
    p
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_retry_deadline_too_large_for_the_clock_is_exit_2_naming_the_flag() {
    let p = project();
    for sub in ["install", "lock"] {
        let by_flag = bin()
            .args([sub, "--retry-deadline", HUGE, "-c"])
            .arg(p.config())
            .current_dir(p.root())
            .output()
            .unwrap();
        let by_env = bin()
            .args([sub, "-c"])
            .arg(p.config())
            .env("OPTIMUS_PLUGIN_RETRY_DEADLINE", HUGE)
            .current_dir(p.root())
            .output()
            .unwrap();
        for out in [by_flag, by_env] {
            let all = text(&out);
            assert_eq!(out.status.code(), Some(2), "{sub}: {all}");
            assert!(all.contains("--retry-deadline"), "{sub}: {all}");
            assert!(!all.contains("panicked"), "{sub}: {all}");
        }
    }
    // The largest accepted value works.
    bin()
        .args(["install", "--no-sync", "--retry-deadline", "604800", "-c"])
        .arg(p.config())
        .current_dir(p.root())
        .assert()
        .success();
}

#[test]
fn huge_timeouts_are_not_a_panic() {
    let p = project();
    bin()
        .args(["install", "--no-sync", "--lock-timeout", HUGE, "-c"])
        .arg(p.config())
        .current_dir(p.root())
        .assert()
        .success();
    // Nothing listens on port 1: a network failure (exit 1), not a crash.
    let out = bin()
        .args(["sync", "--host", "127.0.0.1:1", "--attempts", "1"])
        .args(["--timeout", HUGE, "--plugin-dir"])
        .arg(p.root().join("synced"))
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn list_shows_a_hand_edited_non_ascii_sha256_without_panicking() {
    let p = project();
    p.install().success();
    let receipts = p.plugin_dir().join(".optimus-receipts.json");
    let text_before = std::fs::read_to_string(&receipts).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text_before).unwrap();
    // 11 ASCII bytes then a 2-byte character: byte 12 falls inside it.
    v["artifacts"][0]["sha256"] = "abcdef01234é5678".into();
    std::fs::write(&receipts, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = bin()
        .args(["list", "--plugin-dir"])
        .arg(p.plugin_dir())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("abcdef01234é"), "{all}");
}
