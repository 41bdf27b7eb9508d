//! Install over HTTP from an in-process server on 127.0.0.1 that counts
//! downloads; failures leave the previous set untouched.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use crate::support::{Project, Server, bin, plugin_entries, sha256_hex, targz, zip_bytes};
use predicates::prelude::*;

fn http_config(p: &Project, server: &Server, auth: &str, paths: &[&str]) {
    let mut s = format!(
        "plugins:\n  plugin_dir: {}\n  providers:\n    - type: http\n      name: web\n      url: {}/\n{auth}  plugins:\n",
        p.plugin_dir().display(),
        server.url()
    );
    for path in paths {
        s.push_str(&format!("    - {{provider: web, path: {path}}}\n"));
    }
    p.write_config(&s);
}

fn install(p: &Project) -> assert_cmd::assert::Assert {
    bin()
        .args(["install", "--no-sync", "--retry-deadline", "1", "-c"])
        .arg(p.config())
        .env("PLUGIN_TOKEN", "sentinel-token-7f3a")
        .assert()
}

#[test]
fn http_install_then_rerun_downloads_nothing_and_a_change_downloads_one() {
    let server = Server::start();
    server.put("bq2bq.tar.gz", targz(&plugin_entries("bq2bq", "1.0.0")));
    server.put("neo.zip", zip_bytes(&plugin_entries("neo", "1.0.0")));
    server.put("x.tgz", targz(&plugin_entries("x", "1.0.0")));
    let p = Project::new();
    http_config(&p, &server, "", &["bq2bq.tar.gz", "neo.zip", "x.tgz"]);
    install(&p)
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"));
    assert_eq!(server.gets(), 3);
    assert_eq!(p.snapshot().unwrap().len(), 6);

    install(&p)
        .success()
        .stdout(predicate::str::contains("up to date"));
    assert_eq!(server.gets(), 3, "an unchanged re-run downloads nothing");

    server.put("neo.zip", zip_bytes(&plugin_entries("neo", "1.1.0")));
    install(&p).success().stdout(predicate::str::contains(
        "1 to change, 0 to remove; 2 unchanged.",
    ));
    assert_eq!(server.gets(), 4, "only the changed artifact is downloaded");
    let yaml = std::fs::read_to_string(p.plugin_dir().join("optimus-plugin-neo.yaml")).unwrap();
    assert!(yaml.contains("1.1.0"));
}

#[test]
fn not_found_fails_and_keeps_the_previous_set() {
    let server = Server::start();
    server.put("a.tar.gz", targz(&plugin_entries("a", "1")));
    let p = Project::new();
    http_config(&p, &server, "", &["a.tar.gz"]);
    install(&p).success();
    let before = p.snapshot();
    http_config(&p, &server, "", &["a.tar.gz", "missing.tar.gz"]);
    install(&p).code(1).stderr(
        predicate::str::contains("missing.tar.gz").and(predicate::str::contains("not found")),
    );
    assert_eq!(p.snapshot(), before);
}

#[test]
fn auth_failure_fails_clearly_without_leaking_the_token() {
    let server = Server::start();
    server.put("a.tar.gz", targz(&plugin_entries("a", "1")));
    server.require_bearer(Some("right-token"));
    let p = Project::new();
    http_config(
        &p,
        &server,
        "      auth: {bearer: {env: PLUGIN_TOKEN}}\n",
        &["a.tar.gz"],
    );
    let out = install(&p)
        .code(1)
        .stderr(predicate::str::contains("denied"));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.get_output().stdout),
        String::from_utf8_lossy(&out.get_output().stderr)
    );
    assert!(!all.contains("sentinel-token-7f3a"), "token leaked: {all}");
    assert!(p.snapshot().is_none());

    server.require_bearer(Some("sentinel-token-7f3a"));
    install(&p).success();
    assert!(p.snapshot().unwrap().contains_key("optimus-plugin-a.yaml"));
}

#[test]
fn server_dying_mid_download_fails_and_keeps_the_previous_set() {
    let server = Server::start();
    server.put("a.tar.gz", targz(&plugin_entries("a", "1")));
    let mut big = plugin_entries("b", "1");
    big.push((
        "payload.bin".into(),
        (0..400_000u32).flat_map(u32::to_le_bytes).collect(),
        0o644,
    ));
    server.put("b.tar.gz", targz(&big));
    let p = Project::new();
    http_config(&p, &server, "", &["a.tar.gz"]);
    install(&p).success();
    let before = p.snapshot();
    server.die_during("b.tar.gz");
    http_config(&p, &server, "", &["a.tar.gz", "b.tar.gz"]);
    install(&p)
        .code(1)
        .stderr(predicate::str::contains("b.tar.gz"));
    assert_eq!(p.snapshot(), before);
    let leftovers: Vec<_> = std::fs::read_dir(p.root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn form_two_url_checksum_mismatch_names_both_digests() {
    let server = Server::start();
    let data = targz(&plugin_entries("a", "1"));
    server.put("a.tar.gz", data.clone());
    let p = Project::new();
    let wrong = "ab".repeat(32);
    p.write_config(&format!(
        "plugin:\n  artifacts:\n    - {}/a.tar.gz?checksum=sha256:{wrong}\nplugins:\n  plugin_dir: {}\n",
        server.url(),
        p.plugin_dir().display()
    ));
    install(&p).code(1).stderr(
        predicate::str::contains("checksum mismatch")
            .and(predicate::str::contains(&wrong))
            .and(predicate::str::contains(sha256_hex(&data))),
    );
    assert!(p.snapshot().is_none());
    p.write_config(&format!(
        "plugin:\n  artifacts:\n    - {}/a.tar.gz?checksum=sha256:{}\nplugins:\n  plugin_dir: {}\n",
        server.url(),
        sha256_hex(&data),
        p.plugin_dir().display()
    ));
    install(&p).success();
    install(&p)
        .success()
        .stdout(predicate::str::contains("up to date"));
    assert_eq!(
        server.gets(),
        2,
        "a pinned, installed artifact is not even asked for"
    );
}
