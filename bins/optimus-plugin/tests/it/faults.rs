//! Faults of the volume under the plugin folder, made for real: a small
//! tmpfs mounted in a private mount namespace, full or read-only. These
//! tests need root and `unshare -m`; they are `#[ignore]`d and run by
//! `scripts/test.d/25-faults.sh` (`cargo test -- --ignored faults::`
//! inside `unshare -m`), which skips them where that is not allowed.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{Project, bin, plugin_yaml, snapshot, targz};
use crate::sync::{Served, bin as sync_bin};
use crate::tmpfs::Tmpfs;

/// A form-1 config over the project's `artifacts/` with `plugin_dir`.
fn config(p: &Project, plugin_dir: &Path, paths: &[&str]) {
    let mut s = format!(
        "plugins:\n  plugin_dir: {}\n  providers:\n    - type: local\n      name: dist\n      path: artifacts\n  plugins:\n",
        plugin_dir.display()
    );
    for path in paths {
        s.push_str(&format!("    - {{provider: dist, path: {path}}}\n"));
    }
    p.write_config(&s);
}

fn install(p: &Project) -> Output {
    bin()
        .args(["install", "-c"])
        .arg(p.config())
        .current_dir(p.root())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Bytes that do not compress.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A project whose config installs plugin `a` into `vol`'s `plugins`.
fn project_on(vol: &Tmpfs) -> (Project, PathBuf) {
    let p = Project::new();
    let dir = vol.mnt.join("plugins");
    p.artifact(
        "optimus-plugin-a.yaml",
        plugin_yaml("a", "1.0.0").as_bytes(),
    );
    config(&p, &dir, &["optimus-plugin-a.yaml"]);
    (p, dir)
}

/// A project with plugin `a` installed into a 2 MiB tmpfs.
fn installed_small_set() -> (Project, Tmpfs, PathBuf) {
    let vol = Tmpfs::new("2m");
    let (p, dir) = project_on(&vol);
    let out = install(&p);
    assert!(out.status.success(), "{}", stderr(&out));
    (p, vol, dir)
}

/// The command exited 1 with `want` in its message, `dir` is still
/// `before` (every file readable), the volume holds no staging folder and
/// its space is free again.
fn failed_cleanly(
    out: &Output,
    want: &str,
    vol: &Tmpfs,
    dir: &Path,
    before: &BTreeMap<String, String>,
    free: u64,
) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(want), "want {want:?} in: {err}");
    assert_eq!(&snapshot(dir).unwrap(), before, "the old set changed");
    assert!(vol.leftovers().is_empty(), "{:?}", vol.leftovers());
    assert_eq!(vol.free(), free, "bytes left on the volume");
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn install_too_big_for_the_volume_fails_before_writing() {
    let (p, vol, dir) = installed_small_set();
    let (old, free) = (snapshot(&dir).unwrap(), vol.free());
    // A 3 MiB binary: its size is known before a byte is written.
    p.artifact("optimus-big_linux_amd64", &noise(3 << 20, 7));
    config(
        &p,
        &dir,
        &["optimus-plugin-a.yaml", "optimus-big_linux_amd64"],
    );
    let out = install(&p);
    let want = format!(
        "not enough space in {}: 3.0 MiB (3153920 bytes) needed, ",
        dir.display()
    );
    failed_cleanly(&out, &want, &vol, &dir, &old, free);
    assert!(stderr(&out).contains("free; the plugin set was left as it was"));
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn install_running_out_of_space_while_unpacking_cleans_up() {
    let (p, vol, dir) = installed_small_set();
    let (old, free) = (snapshot(&dir).unwrap(), vol.free());
    // A small archive that unpacks to 3 MiB: the check up front passes,
    // the volume fills while unpacking.
    let yaml = plugin_yaml("b", "1.0.0").into_bytes();
    let files = vec![
        ("optimus-plugin-b.yaml".to_owned(), yaml, 0o644),
        ("data/zeros.bin".to_owned(), vec![0u8; 3 << 20], 0o644),
    ];
    p.artifact("b.tar.gz", &targz(&files));
    config(&p, &dir, &["optimus-plugin-a.yaml", "b.tar.gz"]);
    let out = install(&p);
    let want = format!(
        "not enough space in {}: the volume ran out of space while writing; the plugin set was left as it was",
        dir.display()
    );
    failed_cleanly(&out, &want, &vol, &dir, &old, free);
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn install_into_a_read_only_volume_names_the_path_and_changes_nothing() {
    let (p, vol, dir) = installed_small_set();
    let (old, free) = (snapshot(&dir).unwrap(), vol.free());
    vol.read_only();
    p.artifact(
        "optimus-plugin-b.yaml",
        plugin_yaml("b", "1.0.0").as_bytes(),
    );
    config(
        &p,
        &dir,
        &["optimus-plugin-a.yaml", "optimus-plugin-b.yaml"],
    );
    // The lock file beside the folder is the first thing it cannot create.
    let want = format!(
        "opening lock file {}: Read-only file system",
        vol.mnt.join(".plugins.lock").display()
    );
    failed_cleanly(&install(&p), &want, &vol, &dir, &old, free);
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn lock_file_that_cannot_be_created_stops_install_on_a_fresh_volume() {
    let vol = Tmpfs::new("1m");
    vol.read_only();
    let (p, _) = project_on(&vol);
    let out = install(&p);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lock = vol.mnt.join(".plugins.lock");
    assert!(
        err.contains(&format!("opening lock file {}", lock.display())),
        "{err}"
    );
    assert!(vol.entries().is_empty(), "{:?}", vol.entries());
}

fn sync_into(server: &Served, dir: &Path) -> Output {
    sync_bin()
        .args([
            "sync",
            "--attempts",
            "1",
            "--host",
            &server.addr,
            "--plugin-dir",
        ])
        .arg(dir)
        .output()
        .unwrap()
}

/// A folder on a `size` volume holding one synced plugin and a binary.
fn synced_small_set(size: &str) -> (Tmpfs, PathBuf, BTreeMap<String, String>, u64) {
    let vol = Tmpfs::new(size);
    let dir = vol.mnt.join("plugins");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("optimus-plugin-a.yaml"), plugin_yaml("a", "1.0.0")).unwrap();
    std::fs::write(dir.join("optimus-a_linux_amd64"), b"\x7fELF").unwrap();
    let (before, free) = (snapshot(&dir).unwrap(), vol.free());
    (vol, dir, before, free)
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn sync_too_big_for_the_volume_fails_before_writing() {
    // The server's YAML plugins hold 3 MiB in all; the volume has 2.
    let src = tempfile::tempdir().unwrap();
    for (i, name) in ["x", "y", "z"].iter().enumerate() {
        let text: String = noise(1 << 20, 11 + u32::try_from(i).unwrap())
            .iter()
            .map(|b| char::from(b'a' + b % 26))
            .collect();
        let yaml = format!("{}description: {text}\n", plugin_yaml(name, "1.0.0"));
        std::fs::write(src.path().join(format!("optimus-plugin-{name}.yaml")), yaml).unwrap();
    }
    let server = Served::start(src.path());
    let (vol, dir, before, free) = synced_small_set("2m");
    let out = sync_into(&server, &dir);
    let want = format!("not enough space in {}: 3.0 MiB", dir.display());
    failed_cleanly(&out, &want, &vol, &dir, &before, free);
    assert!(stderr(&out).contains("free; the plugin folder was left as it was"));
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn sync_into_a_read_only_volume_names_the_path_and_changes_nothing() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("optimus-plugin-b.yaml"),
        plugin_yaml("b", "1.0.0"),
    )
    .unwrap();
    let server = Served::start(src.path());
    let (vol, dir, before, free) = synced_small_set("1m");
    vol.read_only();
    let out = sync_into(&server, &dir);
    let want = format!(
        "{}: Read-only file system",
        vol.mnt.join(".plugins.lock").display()
    );
    failed_cleanly(&out, &want, &vol, &dir, &before, free);
}
