//! Shared helpers for the install tests: archives, configs, running the
//! binary, reading a plugin set; the HTTP and S3 servers are testkit's.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::format_push_string
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The binary under test, with a clean environment for our variables.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("optimus-plugin").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("OPTIMUS_") || k.starts_with("AWS_") || k.starts_with("GOOGLE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A valid YAML plugin.
pub fn plugin_yaml(name: &str, version: &str) -> String {
    format!(
        "name: {name}\nplugintype: task\npluginversion: {version}\nimage: docker.io/example/{name}:{version}\nentrypoint:\n  script: /opt/{name}/run\n"
    )
}

/// One archive entry.
pub enum Entry {
    File(&'static str, Vec<u8>, u32),
    Dir(&'static str),
}

/// The usual upstream artifact: YAML plugin + binary.
pub fn plugin_entries(name: &str, version: &str) -> Vec<(String, Vec<u8>, u32)> {
    vec![
        (
            format!("optimus-plugin-{name}.yaml"),
            plugin_yaml(name, version).into_bytes(),
            0o644,
        ),
        (
            format!("optimus-{name}_linux_amd64"),
            format!("#!/bin/sh\necho {name} {version}\n").into_bytes(),
            0o755,
        ),
    ]
}

pub fn tar_bytes(files: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn targz(files: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    gzip(&tar_bytes(files))
}

pub fn zip_bytes(files: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, mode) in files {
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// XXH3-128 of `data` as receipts record a file's content (high 64 bits
/// first, as `xxhsum -H2` prints it).
pub fn xxh3_128_hex(data: &[u8]) -> String {
    hex::encode(xxhash_rust::xxh3::xxh3_128(data).to_be_bytes())
}

/// Every entry of a plugin set (following the `plugin_dir` link), hidden
/// state files excluded: path -> sha256 (folders as `dir`).
pub fn snapshot(plugin_dir: &Path) -> Option<BTreeMap<String, String>> {
    if !plugin_dir.exists() {
        return None;
    }
    let mut out = BTreeMap::new();
    walk(plugin_dir, "", &mut out);
    Some(out)
}

fn walk(root: &Path, rel: &str, out: &mut BTreeMap<String, String>) {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if rel.is_empty() && name == ".optimus-receipts.json" {
            continue;
        }
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            out.insert(child.clone(), "dir".into());
            walk(root, &child, out);
        } else if ft.is_symlink() {
            out.insert(child, "symlink".into());
        } else {
            out.insert(child, sha256_hex(&std::fs::read(e.path()).unwrap()));
        }
    }
}

/// All paths under `root` (recursive, not following links), for "nothing
/// was written outside" checks.
pub fn all_paths(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            out.push(e.path());
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// A scratch project: `artifacts/` served by a local provider, a config,
/// and `plugins/` as plugin_dir.
pub struct Project {
    pub tmp: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("artifacts")).unwrap();
        Self { tmp }
    }
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
    pub fn plugin_dir(&self) -> PathBuf {
        self.root().join("plugins")
    }
    pub fn config(&self) -> PathBuf {
        self.root().join("optimus.yaml")
    }
    pub fn artifact(&self, name: &str, data: &[u8]) {
        std::fs::write(self.root().join("artifacts").join(name), data).unwrap();
    }
    /// A form-1 config over the local `artifacts/` folder.
    pub fn local_config(&self, paths: &[&str]) {
        let mut s = format!(
            "server:\n  port: 9100\nplugins:\n  plugin_dir: {}\n  providers:\n    - type: local\n      name: dist\n      path: artifacts\n  plugins:\n",
            self.plugin_dir().display()
        );
        for p in paths {
            s.push_str(&format!("    - provider: dist\n      path: {p}\n"));
        }
        std::fs::write(self.config(), s).unwrap();
    }
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }
    pub fn install(&self) -> assert_cmd::assert::Assert {
        bin()
            .args(["install", "--no-sync", "-c"])
            .arg(self.config())
            .current_dir(self.root())
            .assert()
    }
    pub fn snapshot(&self) -> Option<BTreeMap<String, String>> {
        snapshot(&self.plugin_dir())
    }
    /// The permission bits (with setuid, setgid, sticky) of `name` in the
    /// plugin set.
    pub fn mode(&self, name: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(self.plugin_dir().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }
}

/// The artifact server of these tests: testkit's file server on 127.0.0.1
/// (ETag, HEAD, counted GETs, bearer auth, a death mid-body on request).
pub use testkit::http::FileServer as Server;
