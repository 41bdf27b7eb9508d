//! A small tmpfs for the volume fault tests (`faults::` modules of
//! optimus-plugin's and optimus-init's integration tests), mounted in the
//! private mount namespace `scripts/test.d/25-faults.sh` runs them in.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of some size mounted on a fresh folder `vol`; unmounted on drop.
pub struct Tmpfs {
    /// The folder holding the mount point (not on the tmpfs).
    pub outside: tempfile::TempDir,
    /// The mount point.
    pub mnt: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`1m`, `2m`, ...).
    pub fn new(size: &str) -> Tmpfs {
        // Set by the script after `unshare -m`: mounts made here stay in
        // that private namespace.
        assert_eq!(
            std::env::var("OPTIMUS_FAULTS_MOUNT_NS").as_deref(),
            Ok("private"),
            "run these tests in a private mount namespace: bash scripts/test.d/25-faults.sh"
        );
        let outside = tempfile::tempdir().unwrap();
        let mnt = outside.path().join("vol");
        std::fs::create_dir(&mnt).unwrap();
        mount(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &mnt,
        );
        Tmpfs { outside, mnt }
    }

    /// Remounts it read-only.
    pub fn read_only(&self) {
        mount(&["-o", "remount,ro"], &self.mnt);
    }

    /// Free bytes, as `df` reports them.
    pub fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(&self.mnt)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().nth(1).unwrap().trim().parse().unwrap()
    }

    /// The names at the top of the volume.
    pub fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.mnt)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Hidden entries a run left at the top of the volume (staging
    /// folders, temporary files).
    pub fn leftovers(&self) -> Vec<String> {
        self.entries()
            .into_iter()
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
