//! Faults of the volume under the plugin folder, made for real: a small
//! tmpfs mounted in a private mount namespace, full or read-only. These
//! tests need root and `unshare -m`; they are `#[ignore]`d and run by
//! `scripts/test.d/25-faults.sh` (`cargo test -- --ignored faults::`
//! inside `unshare -m`), which skips them where that is not allowed.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{Project, bin, plugin_yaml, snapshot, targz};

/// A tmpfs of `size` mounted on a fresh folder; unmounted on drop.
struct Tmpfs {
    _dir: tempfile::TempDir,
    mnt: PathBuf,
}

impl Tmpfs {
    fn new(size: &str) -> Tmpfs {
        // Set by the script after `unshare -m`: mounts made here stay in
        // that private namespace.
        assert_eq!(
            std::env::var("OPTIMUS_FAULTS_MOUNT_NS").as_deref(),
            Ok("private"),
            "run these tests in a private mount namespace: bash scripts/test.d/25-faults.sh"
        );
        let dir = tempfile::tempdir().unwrap();
        let mnt = dir.path().join("vol");
        std::fs::create_dir(&mnt).unwrap();
        mount(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &mnt,
        );
        Tmpfs { _dir: dir, mnt }
    }

    fn read_only(&self) {
        mount(&["-o", "remount,ro"], &self.mnt);
    }

    fn free(&self) -> u64 {
        safe_fs::space::free_bytes(&self.mnt).unwrap()
    }

    /// Hidden entries a run left in the volume (staging, temporary files).
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(&self.mnt)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("staging") || n.contains(".tmp-") || n.contains(".sync-"))
            .collect()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

fn mount(args: &[&str], at: &Path) {
    let st = Command::new("mount").args(args).arg(at).status().unwrap();
    assert!(st.success(), "mount {args:?} {}", at.display());
}

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

/// A project with plugin `a` installed into a 2 MiB tmpfs.
fn installed_small_set() -> (Project, Tmpfs, PathBuf) {
    let vol = Tmpfs::new("2m");
    let p = Project::new();
    let dir = vol.mnt.join("plugins");
    p.artifact(
        "optimus-plugin-a.yaml",
        plugin_yaml("a", "1.0.0").as_bytes(),
    );
    config(&p, &dir, &["optimus-plugin-a.yaml"]);
    let out = install(&p);
    assert!(out.status.success(), "{}", stderr(&out));
    (p, vol, dir)
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn install_too_big_for_the_volume_fails_before_writing() {
    let (p, vol, dir) = installed_small_set();
    let old = snapshot(&dir).unwrap();
    let free = vol.free();
    // A 3 MiB binary: its size is known before a byte is written.
    p.artifact("optimus-big_linux_amd64", &noise(3 << 20, 7));
    config(
        &p,
        &dir,
        &["optimus-plugin-a.yaml", "optimus-big_linux_amd64"],
    );
    let out = install(&p);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("not enough space in {}: 3.0 MiB", dir.display())),
        "{err}"
    );
    assert!(err.contains("needed") && err.contains("free"), "{err}");
    assert_eq!(snapshot(&dir).unwrap(), old, "the old set changed");
    assert!(vol.leftovers().is_empty(), "{:?}", vol.leftovers());
    assert_eq!(vol.free(), free, "staging bytes left on the volume");
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn install_running_out_of_space_while_unpacking_cleans_up() {
    let (p, vol, dir) = installed_small_set();
    let old = snapshot(&dir).unwrap();
    let free = vol.free();
    // A small archive that unpacks to 3 MiB: the check up front passes,
    // the volume fills while unpacking.
    let files = vec![
        (
            "optimus-plugin-b.yaml".to_owned(),
            plugin_yaml("b", "1.0.0").into_bytes(),
            0o644,
        ),
        ("data/zeros.bin".to_owned(), vec![0u8; 3 << 20], 0o644),
    ];
    p.artifact("b.tar.gz", &targz(&files));
    config(&p, &dir, &["optimus-plugin-a.yaml", "b.tar.gz"]);
    let out = install(&p);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "not enough space in {}: the volume ran out of space while writing",
            dir.display()
        )),
        "{err}"
    );
    assert_eq!(snapshot(&dir).unwrap(), old, "the old set changed");
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        std::fs::read(f.path()).unwrap();
    }
    assert!(vol.leftovers().is_empty(), "{:?}", vol.leftovers());
    assert_eq!(vol.free(), free, "staging bytes left on the volume");
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn install_into_a_read_only_volume_names_the_path_and_changes_nothing() {
    let (p, vol, dir) = installed_small_set();
    let old = snapshot(&dir).unwrap();
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
    let out = install(&p);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The lock file beside the folder is the first thing it cannot create.
    let lock = vol.mnt.join(".plugins.lock");
    assert!(err.contains(&lock.display().to_string()), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert_eq!(snapshot(&dir).unwrap(), old);
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn lock_file_that_cannot_be_created_stops_install_on_a_fresh_volume() {
    let vol = Tmpfs::new("1m");
    vol.read_only();
    let p = Project::new();
    let dir = vol.mnt.join("plugins");
    p.artifact(
        "optimus-plugin-a.yaml",
        plugin_yaml("a", "1.0.0").as_bytes(),
    );
    config(&p, &dir, &["optimus-plugin-a.yaml"]);
    let out = install(&p);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "opening lock file {}",
            vol.mnt.join(".plugins.lock").display()
        )),
        "{err}"
    );
    assert!(std::fs::read_dir(&vol.mnt).unwrap().next().is_none());
}

/// `optimus-plugin serve` of `dir` on a free port; killed on drop.
struct Served(std::process::Child, String);

impl Served {
    fn start(dir: &Path) -> Served {
        let mut child = bin_std()
            .args(["serve", "--addr", "127.0.0.1:0", "--plugin-dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.split_whitespace().last().unwrap();
        let host = url.trim_end_matches("/plugins").to_owned();
        Served(child, host)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin_std() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("optimus-plugin"));
    c.env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("OPTIMUS_HOST")
        .env_remove("OPTIMUS_PLUGIN_DIR");
    c
}

fn sync_into(server: &Served, dir: &Path) -> Output {
    bin_std()
        .args([
            "sync",
            "--attempts",
            "1",
            "--host",
            &server.1,
            "--plugin-dir",
        ])
        .arg(dir)
        .output()
        .unwrap()
}

/// A served folder whose YAML plugins hold 3 MiB in all, and a 2 MiB
/// volume holding a synced small set.
fn big_server_and_small_volume() -> (tempfile::TempDir, Tmpfs, PathBuf) {
    let src = tempfile::tempdir().unwrap();
    for (i, name) in ["x", "y", "z"].iter().enumerate() {
        let text: String = noise(1 << 20, 11 + u32::try_from(i).unwrap())
            .iter()
            .map(|b| char::from(b'a' + b % 26))
            .collect();
        let yaml = format!("{}description: {text}\n", plugin_yaml(name, "1.0.0"));
        std::fs::write(src.path().join(format!("optimus-plugin-{name}.yaml")), yaml).unwrap();
    }
    let vol = Tmpfs::new("2m");
    let dir = vol.mnt.join("plugins");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("optimus-plugin-a.yaml"), plugin_yaml("a", "1.0.0")).unwrap();
    std::fs::write(dir.join("optimus-a_linux_amd64"), b"\x7fELF").unwrap();
    (src, vol, dir)
}

#[test]
#[ignore = "needs root and a private mount namespace: scripts/test.d/25-faults.sh"]
fn sync_too_big_for_the_volume_fails_before_writing() {
    let (src, vol, dir) = big_server_and_small_volume();
    let server = Served::start(src.path());
    let before = snapshot(&dir).unwrap();
    let free = vol.free();
    let out = sync_into(&server, &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("not enough space in {}: 3.0 MiB", dir.display())),
        "{err}"
    );
    assert_eq!(snapshot(&dir).unwrap(), before);
    assert!(vol.leftovers().is_empty(), "{:?}", vol.leftovers());
    assert_eq!(vol.free(), free);
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
    let vol = Tmpfs::new("1m");
    let dir = vol.mnt.join("plugins");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("optimus-plugin-a.yaml"), plugin_yaml("a", "1.0.0")).unwrap();
    let before = snapshot(&dir).unwrap();
    vol.read_only();
    let out = sync_into(&server, &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&vol.mnt.display().to_string()), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert_eq!(snapshot(&dir).unwrap(), before);
}
