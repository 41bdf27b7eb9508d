//! Install scenarios over a local provider, through the binary.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use crate::support::{
    Project, bin, plugin_entries, plugin_yaml, sha256_hex, targz, xxh3_128_hex, zip_bytes,
};
use predicates::prelude::*;

fn three_plugins(p: &Project) {
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.artifact("neo.zip", &zip_bytes(&plugin_entries("neo", "1.0.0")));
    p.artifact(
        "optimus-plugin-lite.yaml",
        plugin_yaml("lite", "0.1.0").as_bytes(),
    );
}

#[test]
fn installs_tar_gz_zip_and_single_file_then_lists_and_verifies() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["bq2bq.tar.gz", "neo.zip", "optimus-plugin-lite.yaml"]);
    p.install()
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"));

    let snap = p.snapshot().unwrap();
    let names: Vec<&str> = snap.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "optimus-bq2bq_linux_amd64",
            "optimus-neo_linux_amd64",
            "optimus-plugin-bq2bq.yaml",
            "optimus-plugin-lite.yaml",
            "optimus-plugin-neo.yaml"
        ]
    );
    // Binaries keep their exec bit; YAML files do not get one.
    let mode = |f: &str| p.mode(f);
    assert_eq!(mode("optimus-bq2bq_linux_amd64"), 0o755);
    assert_eq!(mode("optimus-neo_linux_amd64"), 0o755);
    assert_eq!(mode("optimus-plugin-bq2bq.yaml"), 0o644);
    assert!(
        std::fs::symlink_metadata(p.plugin_dir())
            .unwrap()
            .file_type()
            .is_symlink()
    );

    let out = bin()
        .args(["list", "--output", "json", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mut names: Vec<String> = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}@{}",
                r["name"].as_str().unwrap(),
                r["version"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(names, ["bq2bq@0.3.2", "lite@0.1.0", "neo@1.0.0"]);
    let row = &v["plugins"][0];
    assert_eq!(row["image"], "docker.io/example/bq2bq:0.3.2");
    assert_eq!(row["source"], "dist:bq2bq.tar.gz");
    assert_eq!(row["type"], "task");
    assert_eq!(row["sha256"].as_str().unwrap().len(), 64);
    assert!(row["installed_at"].as_str().unwrap().contains('T'));

    bin()
        .args(["list", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("bq2bq")
                .and(predicate::str::contains("docker.io/example/neo:1.0.0")),
        );
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success()
        .stdout(predicate::str::contains("5 files verified"));
}

#[test]
fn second_run_changes_nothing() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["bq2bq.tar.gz", "neo.zip", "optimus-plugin-lite.yaml"]);
    p.install().success();
    let target = std::fs::read_link(p.plugin_dir()).unwrap();
    let receipts = p.plugin_dir().join(".optimus-receipts.json");
    let before = std::fs::metadata(&receipts).unwrap().modified().unwrap();
    p.install().success().stdout(
        predicate::str::contains("up to date").and(predicate::str::contains("3 unchanged")),
    );
    assert_eq!(
        std::fs::read_link(p.plugin_dir()).unwrap(),
        target,
        "no new generation"
    );
    assert_eq!(
        std::fs::metadata(&receipts).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn config_change_gives_exactly_the_new_set_and_rollback_restores_the_old() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["bq2bq.tar.gz", "neo.zip", "optimus-plugin-lite.yaml"]);
    p.install().success();
    let old = p.snapshot().unwrap();

    // neo removed, bq2bq updated, extra added.
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.4.0")));
    p.artifact("extra.tgz", &targz(&plugin_entries("extra", "2.0.0")));
    p.local_config(&["bq2bq.tar.gz", "optimus-plugin-lite.yaml", "extra.tgz"]);
    p.install().success().stdout(predicate::str::contains(
        "Plan: 1 to add, 1 to change, 1 to remove; 1 unchanged.",
    ));
    let new = p.snapshot().unwrap();
    let names: Vec<&str> = new.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "optimus-bq2bq_linux_amd64",
            "optimus-extra_linux_amd64",
            "optimus-plugin-bq2bq.yaml",
            "optimus-plugin-extra.yaml",
            "optimus-plugin-lite.yaml"
        ]
    );
    let yaml = std::fs::read_to_string(p.plugin_dir().join("optimus-plugin-bq2bq.yaml")).unwrap();
    assert!(yaml.contains("0.4.0"));
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success();

    bin()
        .args(["install", "--rollback", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success()
        .stdout(predicate::str::contains("switched back"));
    assert_eq!(p.snapshot().unwrap(), old);
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success();

    // Only the current and the previous generation are kept.
    p.install().success();
    p.artifact("extra.tgz", &targz(&plugin_entries("extra", "2.0.1")));
    p.install().success();
    let gens = std::fs::read_dir(p.root())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".plugins.gen-"))
        .count();
    assert_eq!(gens, 2);
}

#[test]
fn verify_names_changed_missing_and_extra_files() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["bq2bq.tar.gz", "neo.zip"]);
    p.install().success();
    let d = p.plugin_dir();
    std::fs::write(d.join("optimus-plugin-bq2bq.yaml"), "tampered").unwrap();
    std::fs::remove_file(d.join("optimus-neo_linux_amd64")).unwrap();
    std::fs::write(d.join("stray.txt"), "x").unwrap();
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(&d)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("changed  optimus-plugin-bq2bq.yaml\n")
                .and(predicate::str::contains(
                    "missing  optimus-neo_linux_amd64\n",
                ))
                .and(predicate::str::contains("extra    stray.txt\n")),
        );
}

#[test]
fn lock_then_locked_install_and_a_changed_artifact_is_refused() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["bq2bq.tar.gz", "neo.zip"]);
    p.install().success();
    bin()
        .args(["install", "--locked", "--no-sync", "-c"])
        .arg(p.config())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--locked: no sha256 pin for dist:bq2bq.tar.gz",
        ));

    bin()
        .args(["lock", "-c"])
        .arg(p.config())
        .assert()
        .success();
    let lock = std::fs::read_to_string(p.root().join("optimus-plugins.lock")).unwrap();
    let bq = std::fs::read(p.root().join("artifacts/bq2bq.tar.gz")).unwrap();
    assert!(
        lock.contains(&format!("sha256: \"{}\"", sha256_hex(&bq))),
        "{lock}"
    );
    assert!(lock.contains("source: \"dist:bq2bq.tar.gz\""));

    bin()
        .args(["install", "--locked", "--no-sync", "-c"])
        .arg(p.config())
        .assert()
        .success()
        .stdout(predicate::str::contains("up to date"));

    let before = p.snapshot();
    let evil = targz(&plugin_entries("bq2bq", "6.6.6"));
    p.artifact("bq2bq.tar.gz", &evil);
    // The pin equals the receipt, so a plain re-run trusts the installed
    // set; --force (or a fresh pod) downloads and meets the new bytes.
    bin()
        .args(["install", "--locked", "--force", "--no-sync", "-c"])
        .arg(p.config())
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("checksum mismatch for dist:bq2bq.tar.gz")
                .and(predicate::str::contains(sha256_hex(&bq)))
                .and(predicate::str::contains(sha256_hex(&evil)))
                .and(predicate::str::contains("optimus-plugins.lock")),
        );
    assert_eq!(p.snapshot(), before);
}

#[test]
fn sha256_pin_in_the_config_is_checked() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["neo.zip"]);
    p.install().success();
    let before = p.snapshot();
    let wrong = "0".repeat(64);
    p.write_config(&format!(
        "plugins:\n  plugin_dir: {}\n  providers:\n    - {{type: local, name: dist, path: artifacts}}\n  plugins:\n    - {{provider: dist, path: bq2bq.tar.gz, sha256: {wrong}}}\n",
        p.plugin_dir().display()
    ));
    p.install().code(1).stderr(
        predicate::str::contains(format!("expected sha256 {wrong}"))
            .and(predicate::str::contains("optimus.yaml:6:7")),
    );
    assert_eq!(p.snapshot(), before);
}

#[test]
fn invalid_yaml_plugin_fails_with_the_spec_message() {
    let p = Project::new();
    p.artifact(
        "bad.tar.gz",
        &targz(&[(
            "optimus-plugin-bad.yaml".into(),
            b"name: bad\nimagee: x\n".to_vec(),
            0o644,
        )]),
    );
    p.local_config(&["bad.tar.gz"]);
    p.install().code(1).stderr(
        predicate::str::contains(
            "invalid YAML plugin optimus-plugin-bad.yaml from dist:bad.tar.gz",
        )
        .and(predicate::str::contains("unknown key `imagee`")),
    );
    assert!(p.snapshot().is_none());
}

#[test]
fn two_artifacts_with_the_same_file_or_plugin_name_are_refused() {
    let p = Project::new();
    p.artifact("a.tar.gz", &targz(&plugin_entries("same", "1.0.0")));
    p.artifact("b.zip", &zip_bytes(&plugin_entries("same", "2.0.0")));
    p.local_config(&["a.tar.gz", "b.zip"]);
    p.install().code(1).stderr(
        predicate::str::contains("comes from both dist:")
            .and(predicate::str::contains("dist:b.zip")),
    );
    assert!(p.snapshot().is_none());

    p.artifact(
        "c.tar.gz",
        &targz(&[(
            "optimus-plugin-other.yaml".into(),
            plugin_yaml("same", "3").into_bytes(),
            0o644,
        )]),
    );
    p.local_config(&["a.tar.gz", "c.tar.gz"]);
    p.install().code(1).stderr(predicate::str::contains(
        "plugin \"same\" comes from both dist:a.tar.gz and dist:c.tar.gz",
    ));
}

#[test]
fn config_errors_exit_2_with_file_line_and_column() {
    let p = Project::new();
    p.write_config("other: {x: 1}\nplugins:\n  plugin_dir: x\n  plugins:\n    - provider: dist\n      pth: a.tar.gz\n");
    p.install()
        .code(2)
        .stderr(predicate::str::contains("optimus.yaml:6:7").and(predicate::str::contains("pth")));
    p.write_config("plugins:\n  plugins:\n    - {provider: nope, path: a.tar.gz}\n");
    // At the provider's name, with the defined providers (none) as help.
    p.install().code(2).stderr(
        predicate::str::contains("optimus.yaml:3:18")
            .and(predicate::str::contains("\"nope\" is not defined"))
            .and(predicate::str::contains("help: no provider is defined")),
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["bq2bq.tar.gz"]);
    p.install().success();
    let before = p.snapshot();
    p.local_config(&["neo.zip"]);
    bin()
        .args(["install", "--dry-run", "-c"])
        .arg(p.config())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("  + dist:neo.zip")
                .and(predicate::str::contains("  - dist:bq2bq.tar.gz"))
                .and(predicate::str::contains("Dry run: nothing changed.")),
        );
    assert_eq!(p.snapshot(), before);
}

#[test]
fn form_two_sources_and_the_env_var_are_installed() {
    let p = Project::new();
    three_plugins(&p);
    let pin = sha256_hex(&std::fs::read(p.root().join("artifacts/neo.zip")).unwrap());
    p.write_config(&format!(
        "plugin:\n  artifacts:\n    - artifacts/neo.zip?checksum=sha256:{pin}\n    - artifacts/optimus-plugin-lite.yaml\nplugins:\n  plugin_dir: {}\n",
        p.plugin_dir().display()
    ));
    bin()
        .args(["install", "--no-sync", "-c"])
        .arg(p.config())
        .env(
            "OPTIMUS_PLUGIN_ARTIFACTS",
            format!("{}/artifacts/bq2bq.tar.gz", p.root().display()),
        )
        .assert()
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"));
    let snap = p.snapshot().unwrap();
    assert!(snap.contains_key("optimus-plugin-neo.yaml"));
    assert!(snap.contains_key("optimus-plugin-lite.yaml"));
    assert!(snap.contains_key("optimus-plugin-bq2bq.yaml"));
}

#[test]
fn a_plain_plugin_folder_is_replaced_atomically_and_kept_for_rollback() {
    let p = Project::new();
    three_plugins(&p);
    std::fs::create_dir_all(p.plugin_dir()).unwrap();
    std::fs::write(
        p.plugin_dir().join("optimus-plugin-handmade.yaml"),
        plugin_yaml("handmade", "1"),
    )
    .unwrap();
    let old = p.snapshot().unwrap();
    p.local_config(&["neo.zip"]);
    p.install().success();
    let snap = p.snapshot().unwrap();
    assert!(!snap.contains_key("optimus-plugin-handmade.yaml"));
    assert!(snap.contains_key("optimus-plugin-neo.yaml"));
    bin()
        .args(["install", "--rollback", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success();
    assert_eq!(p.snapshot().unwrap(), old);
}

#[test]
fn a_second_install_waits_for_the_lock_then_gives_up_clearly() {
    let p = Project::new();
    three_plugins(&p);
    p.local_config(&["neo.zip"]);
    let lock = std::fs::File::create(p.root().join(".plugins.lock")).unwrap();
    lock.lock().unwrap();
    bin()
        .args(["install", "--no-sync", "--lock-timeout", "1", "-c"])
        .arg(p.config())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "another install or sync is running on",
        ));
    assert!(p.snapshot().is_none());
    lock.unlock().unwrap();
    p.install().success();
}

/// Deterministic bytes that do not compress to nothing.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[4]
        })
        .collect()
}

#[test]
fn large_entries_are_written_byte_exact_and_verify_clean() {
    // Entries of 4 MiB and more are hashed and written on a second thread
    // and handed to the disk in 8 MiB steps: cover both paths, in each
    // archive kind and as a single file.
    let big = pseudo_random(9 << 20, 7);
    let mid = pseudo_random((4 << 20) + 3, 11);
    let p = Project::new();
    let mut entries = plugin_entries("huge", "1.0.0");
    entries[1].1.clone_from(&big);
    p.artifact("huge.tar.gz", &targz(&entries));
    let mut zentries = plugin_entries("zhuge", "1.0.0");
    zentries[1].1.clone_from(&mid);
    p.artifact("zhuge.zip", &zip_bytes(&zentries));
    p.artifact("optimus-raw_linux_amd64", &big[..(5 << 20)]);
    p.local_config(&["huge.tar.gz", "zhuge.zip", "optimus-raw_linux_amd64"]);
    p.install()
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"));

    let dir = p.plugin_dir();
    assert_eq!(std::fs::read(dir.join(&entries[1].0)).unwrap(), big);
    assert_eq!(std::fs::read(dir.join(&zentries[1].0)).unwrap(), mid);
    assert_eq!(
        std::fs::read(dir.join("optimus-raw_linux_amd64")).unwrap(),
        &big[..(5 << 20)]
    );
    // The receipts hold the same digests as the bytes on disk.
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(&dir)
        .assert()
        .success();
    let receipts = std::fs::read_to_string(dir.join(".optimus-receipts.json")).unwrap();
    assert!(receipts.contains(&xxh3_128_hex(&big)), "big file digest");
    assert!(receipts.contains(&xxh3_128_hex(&mid)), "zip entry digest");
    assert!(
        receipts.contains(&xxh3_128_hex(&big[..(5 << 20)])),
        "single file digest"
    );
}

#[test]
fn a_large_single_file_over_the_per_file_limit_is_refused_while_streaming() {
    // A single-file artifact declares no size: the limit is counted on the
    // bytes written, on the two-thread path.
    let p = Project::new();
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.local_config(&["bq2bq.tar.gz"]);
    p.install().success();
    let before = p.snapshot().unwrap();

    p.artifact("optimus-raw_linux_amd64", &pseudo_random(6 << 20, 3));
    let mut cfg = std::fs::read_to_string(p.config()).unwrap();
    cfg.push_str("    - provider: dist\n      path: optimus-raw_linux_amd64\n");
    cfg.push_str("  limits: {max_file_bytes: 5242880}\n");
    p.write_config(&cfg);
    p.install().code(1).stderr(
        predicate::str::contains("larger than the 5242880 bytes allowed per file")
            .and(predicate::str::contains("optimus-raw_linux_amd64")),
    );
    assert_eq!(p.snapshot().unwrap(), before);
}
