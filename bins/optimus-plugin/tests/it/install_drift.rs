//! install converges: files changed, deleted or touched by hand since the
//! last install are found from their stat (hashed only where it differs)
//! and repaired; missing or unreadable receipts mean "state unknown" and a
//! full reinstall with a warning.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use crate::support::{Project, Server, bin, plugin_entries, targz, zip_bytes};
use predicates::prelude::*;

/// Three artifacts over HTTP (so downloads can be counted), installed once.
fn installed() -> (Server, Project) {
    let server = Server::start();
    server.put("bq2bq.tar.gz", targz(&plugin_entries("bq2bq", "1.0.0")));
    server.put("neo.zip", zip_bytes(&plugin_entries("neo", "1.0.0")));
    server.put("x.tgz", targz(&plugin_entries("x", "1.0.0")));
    let p = Project::new();
    let mut s = format!(
        "plugins:\n  plugin_dir: {}\n  providers:\n    - type: http\n      name: web\n      url: {}/\n  plugins:\n",
        p.plugin_dir().display(),
        server.url()
    );
    for path in ["bq2bq.tar.gz", "neo.zip", "x.tgz"] {
        s.push_str(&format!("    - {{provider: web, path: {path}}}\n"));
    }
    p.write_config(&s);
    install(&p)
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"));
    assert_eq!(server.gets(), 3);
    (server, p)
}

fn install(p: &Project) -> assert_cmd::assert::Assert {
    bin()
        .args(["install", "-v", "--no-sync", "--retry-deadline", "1", "-c"])
        .arg(p.config())
        .assert()
}

fn verify_clean(p: &Project) {
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .success()
        .stdout(predicate::str::contains("6 files verified, all match"));
}

fn receipts(p: &Project) -> serde_json::Value {
    let text = std::fs::read_to_string(p.plugin_dir().join(".optimus-receipts.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn file_receipt(p: &Project, path: &str) -> serde_json::Value {
    receipts(p)["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["files"].as_array().unwrap().clone())
        .find(|f| f["path"] == path)
        .unwrap()
}

#[test]
fn an_unchanged_tree_is_checked_by_stat_only_and_downloads_nothing() {
    let (server, p) = installed();
    let link = std::fs::read_link(p.plugin_dir()).unwrap();
    install(&p)
        .success()
        .stdout(
            predicate::str::contains("No changes; 3 unchanged.\n")
                .and(predicate::str::contains(": up to date\n")),
        )
        .stderr(predicate::str::contains(
            "6 stat-clean (not read), 0 hashed",
        ));
    assert_eq!(server.gets(), 3, "no artifact is downloaded again");
    assert_eq!(std::fs::read_link(p.plugin_dir()).unwrap(), link);
}

#[test]
fn a_modified_byte_is_repaired_and_the_plan_says_why() {
    let (server, p) = installed();
    let file = p.plugin_dir().join("optimus-plugin-neo.yaml");
    let good = std::fs::read(&file).unwrap();
    // One byte changed in place: same size, same inode.
    let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.seek(SeekFrom::Start(6)).unwrap();
    f.write_all(b"X").unwrap();
    drop(f);
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .code(1);

    install(&p)
        .success()
        .stdout(
            predicate::str::is_match(
                r"\n  ~ web:neo\.zip +drift: optimus-plugin-neo\.yaml modified; installing it again\n",
            )
            .expect("regex")
            .and(predicate::str::contains("Plan: 0 to add, 1 to change, 0 to remove; 2 unchanged.")),
        )
        .stderr(predicate::str::contains("1 hashed"));
    assert_eq!(std::fs::read(&file).unwrap(), good);
    assert_eq!(
        server.gets(),
        3,
        "the drifted artifact is unpacked from the cache, not fetched again"
    );
    verify_clean(&p);
}

#[test]
fn a_deleted_file_is_repaired_with_its_mode() {
    let (server, p) = installed();
    let bin_file = p.plugin_dir().join("optimus-bq2bq_linux_amd64");
    std::fs::remove_file(&bin_file).unwrap();
    install(&p).success().stdout(predicate::str::is_match(
            r"  ~ web:bq2bq\.tar\.gz +drift: optimus-bq2bq_linux_amd64 missing; installing it again\n",
        )
        .expect("regex"));
    let mode = std::fs::metadata(&bin_file).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o755);
    assert_eq!(server.gets(), 3, "reused from the cache");
    verify_clean(&p);
}

#[test]
fn a_chmod_is_drift_too() {
    let (_server, p) = installed();
    let file = p.plugin_dir().join("optimus-x_linux_amd64");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    install(&p).success().stdout(
        predicate::str::is_match(
            r"  ~ web:x\.tgz +drift: optimus-x_linux_amd64 mode changed; installing it again\n",
        )
        .expect("regex"),
    );
    verify_clean(&p);
}

#[test]
fn a_touched_but_identical_file_is_not_reinstalled_and_its_stat_is_refreshed() {
    let (server, p) = installed();
    let link = std::fs::read_link(p.plugin_dir()).unwrap();
    let file = p.plugin_dir().join("optimus-plugin-x.yaml");
    let old = file_receipt(&p, "optimus-plugin-x.yaml")["stat"].clone();
    let when = SystemTime::now() - Duration::from_hours(1);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(when)
        .unwrap();

    install(&p)
        .success()
        .stdout(predicate::str::contains("3 unchanged").and(predicate::str::contains("up to date")))
        .stderr(predicate::str::contains(
            "5 stat-clean (not read), 1 hashed",
        ));
    assert_eq!(
        std::fs::read_link(p.plugin_dir()).unwrap(),
        link,
        "no new set"
    );
    assert_eq!(server.gets(), 3);
    let new = file_receipt(&p, "optimus-plugin-x.yaml")["stat"].clone();
    assert_ne!(new, old, "the receipt holds the new stat");
    let mtime_ns = i64::try_from(
        when.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap();
    assert_eq!(new["mtime_ns"].as_i64().unwrap(), mtime_ns);

    // The refreshed stat is trusted: nothing is hashed any more.
    install(&p).success().stderr(predicate::str::contains(
        "6 stat-clean (not read), 0 hashed",
    ));
    verify_clean(&p);
}

#[test]
fn garbage_receipts_mean_state_unknown_and_a_full_reinstall() {
    let (server, p) = installed();
    let receipts = p.plugin_dir().join(".optimus-receipts.json");
    std::fs::write(&receipts, "{ this is not json").unwrap();
    install(&p)
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"))
        .stderr(
            predicate::str::contains("unreadable receipts").and(predicate::str::contains(
                "state unknown: installing every artifact again",
            )),
        );
    assert_eq!(server.gets(), 6);
    verify_clean(&p);
}

#[test]
fn receipts_of_another_format_mean_state_unknown() {
    let (_server, p) = installed();
    let path = p.plugin_dir().join(".optimus-receipts.json");
    let mut r = receipts(&p);
    r["format"] = 99.into();
    std::fs::write(&path, r.to_string()).unwrap();
    install(&p)
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"))
        .stderr(predicate::str::contains("receipts format 99"));
    verify_clean(&p);
}

/// Rewrites the receipts as a version before XXH3 did (format 1, each
/// file's sha256 instead of its XXH3-128), from the bytes on disk.
fn downgrade_receipts(p: &Project) {
    let dir = p.plugin_dir();
    let mut r = receipts(p);
    r["format"] = 1.into();
    for a in r["artifacts"].as_array_mut().unwrap() {
        for f in a["files"].as_array_mut().unwrap() {
            let bytes = std::fs::read(dir.join(f["path"].as_str().unwrap())).unwrap();
            let f = f.as_object_mut().unwrap();
            assert!(f.remove("xxh3_128").is_some(), "written with xxh3_128");
            f.insert("sha256".into(), crate::support::sha256_hex(&bytes).into());
        }
    }
    std::fs::write(dir.join(".optimus-receipts.json"), r.to_string()).unwrap();
}

#[test]
fn files_are_recorded_with_xxh3_and_match_the_bytes() {
    let (_server, p) = installed();
    let r = receipts(&p);
    assert_eq!(r["format"], 2);
    let f = file_receipt(&p, "optimus-plugin-x.yaml");
    let bytes = std::fs::read(p.plugin_dir().join("optimus-plugin-x.yaml")).unwrap();
    assert_eq!(f["xxh3_128"], crate::support::xxh3_128_hex(&bytes));
    assert!(f.get("sha256").is_none(), "{f}");
}

#[test]
fn receipts_of_format_1_still_verify_and_find_drift() {
    let (server, p) = installed();
    downgrade_receipts(&p);
    verify_clean(&p);
    // A changed file is found by its sha256 and repaired without a new
    // download (the artifact cache holds the bytes).
    let yaml = p.plugin_dir().join("optimus-plugin-x.yaml");
    let good = std::fs::read(&yaml).unwrap();
    std::fs::write(&yaml, b"name: edited\n").unwrap();
    bin()
        .args(["verify", "--plugin-dir"])
        .arg(p.plugin_dir())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("optimus-plugin-x.yaml"));
    install(&p)
        .success()
        .stdout(predicate::str::contains("1 to change"));
    assert_eq!(std::fs::read(&yaml).unwrap(), good);
    assert_eq!(server.gets(), 3, "repaired from the artifact cache");
    // The new set is written in the current format; the two artifacts
    // carried over keep their sha256 receipts and still verify.
    let r = receipts(&p);
    assert_eq!(r["format"], 2);
    assert!(file_receipt(&p, "optimus-plugin-x.yaml")["xxh3_128"].is_string());
    assert!(file_receipt(&p, "optimus-plugin-neo.yaml")["sha256"].is_string());
    verify_clean(&p);
}

#[test]
fn a_file_receipt_without_a_digest_means_state_unknown() {
    let (_server, p) = installed();
    let path = p.plugin_dir().join(".optimus-receipts.json");
    let mut r = receipts(&p);
    r["artifacts"][0]["files"][0]
        .as_object_mut()
        .unwrap()
        .remove("xxh3_128");
    std::fs::write(&path, r.to_string()).unwrap();
    install(&p)
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"))
        .stderr(
            predicate::str::contains("has no digest")
                .and(predicate::str::contains("state unknown")),
        );
    verify_clean(&p);
}

#[test]
fn missing_receipts_mean_state_unknown() {
    let (_server, p) = installed();
    std::fs::remove_file(p.plugin_dir().join(".optimus-receipts.json")).unwrap();
    install(&p)
        .success()
        .stdout(predicate::str::contains("Plan: 3 to add,"))
        .stderr(predicate::str::contains(
            "has no receipts (.optimus-receipts.json); state unknown",
        ));
    verify_clean(&p);
}

/// The artifact cache beside the plugin folder.
fn cache_dir(p: &Project) -> std::path::PathBuf {
    let dir = p.plugin_dir();
    let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
    dir.parent().unwrap().join(format!(".{name}.cache/sha256"))
}

fn artifact_sha(p: &Project, source_end: &str) -> String {
    receipts(p)["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["source"].as_str().unwrap().ends_with(source_end))
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn cached(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache_dir(p))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_drifted_artifact_is_reinstalled_from_the_cache_without_a_download() {
    let (server, p) = installed();
    let mut want: Vec<String> = ["bq2bq.tar.gz", "neo.zip", "x.tgz"]
        .iter()
        .map(|s| artifact_sha(&p, s))
        .collect();
    want.sort();
    assert_eq!(
        cached(&p),
        want,
        "the first install keeps each artifact once"
    );
    // An entry of no current artifact goes at the next install that fetches.
    std::fs::write(cache_dir(&p).join("0".repeat(64)), b"stale").unwrap();

    let tar_file = p.plugin_dir().join("optimus-plugin-bq2bq.yaml");
    let zip_file = p.plugin_dir().join("optimus-plugin-neo.yaml");
    let (tar_good, zip_good) = (
        std::fs::read(&tar_file).unwrap(),
        std::fs::read(&zip_file).unwrap(),
    );
    std::fs::write(&tar_file, b"name: damaged\n").unwrap();
    std::fs::remove_file(&zip_file).unwrap();
    install(&p)
        .success()
        .stdout(predicate::str::contains(
            "Plan: 0 to add, 2 to change, 0 to remove; 1 unchanged.",
        ))
        .stderr(predicate::str::contains("from the cache instead of downloading").count(2));
    assert_eq!(server.gets(), 3, "nothing is downloaded");
    assert_eq!(std::fs::read(&tar_file).unwrap(), tar_good);
    assert_eq!(std::fs::read(&zip_file).unwrap(), zip_good);
    assert_eq!(cached(&p), want, "the stale entry is gone");
    verify_clean(&p);
}

#[test]
fn a_corrupted_cache_entry_is_downloaded_again_with_a_warning() {
    let (server, p) = installed();
    let sha = artifact_sha(&p, "neo.zip");
    let entry = cache_dir(&p).join(&sha);
    let mut bytes = std::fs::read(&entry).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    let file = p.plugin_dir().join("optimus-plugin-neo.yaml");
    let good = std::fs::read(&file).unwrap();
    std::fs::write(&file, b"name: damaged\n").unwrap();

    install(&p)
        .success()
        .stdout(predicate::str::contains(
            "Plan: 0 to add, 1 to change, 0 to remove; 2 unchanged.",
        ))
        .stderr(
            predicate::str::contains("the cached artifact does not match its sha256")
                .and(predicate::str::contains("from the cache instead").not()),
        );
    assert_eq!(server.gets(), 4, "the artifact is downloaded again");
    assert_eq!(std::fs::read(&file).unwrap(), good);
    // The new download put a good copy back.
    let again = std::fs::read(&entry).unwrap();
    assert_ne!(again, bytes);
    verify_clean(&p);
    let file_size = std::fs::metadata(&entry).unwrap().len();
    assert_eq!(file_size, again.len() as u64);
}
