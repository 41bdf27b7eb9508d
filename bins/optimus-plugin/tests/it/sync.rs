//! `optimus-plugin serve` and `optimus-plugin sync`, through the binary,
//! against servers on 127.0.0.1 started by the tests.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

// ---------------------------------------------------------------- helpers

pub(crate) fn bin() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("optimus-plugin"));
    // Loopback only, never through a proxy a developer may have set.
    c.env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("OPTIMUS_HOST")
        .env_remove("OPTIMUS_PLUGIN_DIR")
        .env_remove("OPTIMUS_SERVE_ADDR");
    c
}

/// A realistic YAML plugin in upstream spelling.
fn plugin_yaml(name: &str, version: &str) -> String {
    format!(
        "name: {name}\n\
         description: Transforms data with {name}\n\
         plugintype: task\n\
         pluginversion: {version}\n\
         image: docker.io/example/{name}:{version}\n\
         entrypoint:\n  script: python3 /opt/{name}/main.py\n\
         questions:\n\
         \x20 - name: PROJECT\n    prompt: Project ID\n    regexp: ^[a-z][a-z0-9-]{{4,28}}[a-z0-9]$\n    required: true\n\
         \x20 - name: TABLE\n    prompt: Table name\n    minlength: 3\n\
         defaultconfig:\n  - name: LOAD_METHOD\n    value: APPEND\n"
    )
}

fn file_name(name: &str) -> String {
    format!("optimus-plugin-{name}.yaml")
}

fn write_plugin(dir: &Path, name: &str, version: &str) {
    std::fs::write(dir.join(file_name(name)), plugin_yaml(name, version)).unwrap();
}

/// Every entry of `dir` (recursively) with its bytes, links as `-> target`.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(root, &p, out);
            } else if ft.is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, format!("-> {}", t.display()).into_bytes());
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The YAML plugins of `dir` only.
fn yaml_plugins(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(dir)
        .into_iter()
        .filter(|(k, _)| {
            k.starts_with("optimus-plugin-")
                && Path::new(k)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
        })
        .collect()
}

/// Hidden siblings a sync may leave (staging folders) besides its lock file.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".sync-"))
        .collect()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sync(host: &str, dir: &Path, extra: &[&str]) -> Output {
    bin()
        .args(["sync", "--host", host, "--plugin-dir"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

/// `optimus-plugin serve` on a free loopback port; SIGTERM on drop.
pub(crate) struct Served {
    child: Child,
    pub(crate) addr: String,
}

impl Served {
    pub(crate) fn start(dir: &Path) -> Self {
        let mut child = bin()
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
        // "serving YAML plugins from DIR on http://127.0.0.1:PORT/plugins"
        let url = line.split_whitespace().last().unwrap();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches("/plugins")
            .to_owned();
        Self { child, addr }
    }

    fn get(&self, path: &str) -> (u16, String) {
        http_get(&self.addr, path)
    }

    fn counters(&self) -> serde_json::Value {
        let (status, body) = self.get("/healthz");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.0 GET (no client dependency needed for a probe).
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").map_or("", |x| x.1).to_owned();
    (status, body)
}

// ------------------------------------------------------------- end to end

#[test]
fn serve_then_sync_matches_byte_for_byte_and_second_sync_is_304() {
    let root = tempfile::tempdir().unwrap();
    let served_dir = root.path().join("server-plugins");
    std::fs::create_dir(&served_dir).unwrap();
    for (i, name) in ["bq2bq", "neo", "predator", "transporter"]
        .iter()
        .enumerate()
    {
        write_plugin(&served_dir, name, &format!("1.{i}.0"));
    }
    // Binaries next to the YAML plugins are not served.
    std::fs::write(served_dir.join("optimus-bq2bq_linux_amd64"), b"\x7fELF").unwrap();

    let server = Served::start(&served_dir);
    let host = server.addr.clone();

    let client_dir = root.path().join("client").join(".plugins");
    let out = sync(&host, &client_dir, &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("added    bq2bq 1.0.0"), "{stdout}");
    assert!(stdout.contains("4 added, 0 updated, 0 removed"), "{stdout}");
    assert_eq!(yaml_plugins(&client_dir), yaml_plugins(&served_dir));
    assert!(!client_dir.join("optimus-bq2bq_linux_amd64").exists());

    // Unchanged: the ETag is sent back and the server answers 304.
    let out = sync(&host, &client_dir, &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("304 Not Modified"), "{stdout}");
    let c = server.counters();
    assert_eq!(c["served_full"], 1, "{c}");
    assert_eq!(c["served_not_modified"], 1, "{c}");

    // A newly installed set is served without a restart.
    write_plugin(&served_dir, "neo", "2.0.0");
    std::fs::remove_file(served_dir.join(file_name("predator"))).unwrap();
    write_plugin(&served_dir, "maxcompute", "0.1.0");
    let out = bin()
        .args(["sync", "--host", &host, "--output", "json", "--plugin-dir"])
        .arg(&client_dir)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["http_status"], 200);
    assert_eq!(report["added"][0]["name"], "maxcompute");
    assert_eq!(report["updated"][0]["name"], "neo");
    assert_eq!(report["updated"][0]["old_version"], "1.1.0");
    assert_eq!(report["updated"][0]["new_version"], "2.0.0");
    assert_eq!(report["removed"][0]["name"], "predator");
    assert_eq!(report["unchanged"], 2);
    assert_eq!(yaml_plugins(&client_dir), yaml_plugins(&served_dir));
    assert_eq!(server.counters()["served_full"], 2);

    // The index lists name, version and sha256 of each plugin.
    let (status, body) = server.get("/plugins/index.json");
    assert_eq!(status, 200);
    let index: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<_> = index["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "bq2bq 1.0.0",
            "maxcompute 0.1.0",
            "neo 2.0.0",
            "transporter 1.3.0"
        ]
    );
    assert_eq!(index["plugins"][0]["sha256"].as_str().unwrap().len(), 64);

    // SIGTERM: a clean stop.
    let status = server.stop();
    assert!(status.success(), "{status:?}");
}

#[test]
fn sync_keeps_binaries_and_other_files_and_reads_host_from_config() {
    let root = tempfile::tempdir().unwrap();
    let served_dir = root.path().join("served");
    std::fs::create_dir(&served_dir).unwrap();
    write_plugin(&served_dir, "bq2bq", "0.3.2");
    let server = Served::start(&served_dir);

    let client_dir = root.path().join("plugins");
    std::fs::create_dir(&client_dir).unwrap();
    std::fs::write(
        client_dir.join("optimus-bq2bq_linux_amd64"),
        b"\x7fELF binary",
    )
    .unwrap();
    std::fs::write(client_dir.join("README.txt"), b"notes").unwrap();
    write_plugin(&client_dir, "legacy", "0.0.1");

    // Upstream's client config: only `host` matters.
    let config = root.path().join("optimus.yaml");
    std::fs::write(
        &config,
        format!(
            "version: 1\nlog:\n  level: info\nhost: {}\nproject:\n  name: demo\nnamespaces: []\n",
            server.addr
        ),
    )
    .unwrap();
    let out = bin()
        .args(["sync", "-c"])
        .arg(&config)
        .arg("--plugin-dir")
        .arg(&client_dir)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("removed  legacy 0.0.1"), "{stdout}");
    let snap = snapshot(&client_dir);
    assert_eq!(snap["optimus-bq2bq_linux_amd64"], b"\x7fELF binary");
    assert_eq!(snap["README.txt"], b"notes");
    assert!(!snap.contains_key("optimus-plugin-legacy.yaml"));
    assert_eq!(yaml_plugins(&client_dir), yaml_plugins(&served_dir));
    assert!(leftovers(&client_dir).is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let root = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("sync")
        .arg("--plugin-dir")
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("no server"), "{}", text(&out).1);

    let config = root.path().join("optimus.yaml");
    std::fs::write(&config, "version: 1\nproject:\n  name: demo\n").unwrap();
    let out = bin().args(["sync", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("no `host:` key"), "{}", text(&out).1);

    std::fs::write(&config, "host: [unclosed\n").unwrap();
    let out = bin().args(["sync", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("optimus.yaml"), "{}", text(&out).1);

    let out = bin().args(["serve", "--addr", "nowhere"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--addr"), "{}", text(&out).1);
}

// ------------------------------------------------------------ bad servers

/// An in-process axum server on 127.0.0.1 answering `/plugins` with a fixed
/// response.
struct FakeServer {
    addr: String,
    server: testkit::http::Server,
}

impl FakeServer {
    fn start(
        status: StatusCode,
        content_type: &'static str,
        etag: Option<&'static str>,
        body: Vec<u8>,
    ) -> Self {
        let app = Router::new().route(
            "/plugins",
            get(move |headers: axum::http::HeaderMap| {
                let body = body.clone();
                async move {
                    let mut resp =
                        (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
                    if let Some(tag) = etag {
                        if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == tag) {
                            return StatusCode::NOT_MODIFIED.into_response();
                        }
                        resp.headers_mut()
                            .insert(header::ETAG, tag.parse().unwrap());
                    }
                    resp
                }
            }),
        );
        let server = testkit::http::Server::start(app);
        Self {
            addr: server.host(),
            server,
        }
    }

    /// Requests for `/plugins` so far.
    fn hits(&self) -> usize {
        let seen = self.server.requests();
        seen.iter().filter(|r| r.path == "/plugins").count()
    }

    fn zip(body: Vec<u8>) -> Self {
        Self::start(StatusCode::OK, "application/zip", None, body)
    }
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A local plugin folder with two plugins, a binary and a sub-folder.
fn populated(root: &Path) -> PathBuf {
    let dir = root.join("plugins");
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    write_plugin(&dir, "bq2bq", "0.3.2");
    write_plugin(&dir, "neo", "1.0.0");
    std::fs::write(dir.join("optimus-bq2bq_linux_amd64"), b"\x7fELF").unwrap();
    std::fs::write(dir.join("bin/helper"), b"#!/bin/sh\n").unwrap();
    dir
}

/// Runs sync against `server`, expects exit 1 with `want` in the message
/// and the local folder unchanged.
fn refused(server: &FakeServer, want: &str) -> String {
    let root = tempfile::tempdir().unwrap();
    let dir = populated(root.path());
    let before = snapshot(&dir);
    let out = sync(&server.addr, &dir, &["--attempts", "2"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains(want), "want {want:?} in:\n{stderr}");
    assert!(stderr.contains("local plugins unchanged"), "{stderr}");
    assert_eq!(snapshot(&dir), before, "local state changed");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    stderr
}

#[test]
fn not_found_is_refused() {
    let s = FakeServer::start(
        StatusCode::NOT_FOUND,
        "text/plain",
        None,
        b"no such page".to_vec(),
    );
    let err = refused(&s, "answered HTTP 404 Not Found: no such page");
    assert!(err.contains(&format!("http://{}/plugins", s.addr)), "{err}");
    assert_eq!(s.hits(), 1, "404 is not retried");
}

#[test]
fn server_error_is_retried_then_refused() {
    let s = FakeServer::start(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain",
        None,
        b"database down".to_vec(),
    );
    refused(
        &s,
        "answered HTTP 500 Internal Server Error: database down (after 2 attempts)",
    );
    assert_eq!(s.hits(), 2);
}

#[test]
fn html_instead_of_zip_is_refused() {
    let s = FakeServer::start(
        StatusCode::OK,
        "text/html; charset=utf-8",
        None,
        b"<!DOCTYPE html><html><body>Login</body></html>".to_vec(),
    );
    refused(
        &s,
        "did not answer with a zip archive (Content-Type text/html; charset=utf-8; body starts with \"<!DOCTYPE html>",
    );
}

#[test]
fn truncated_zip_is_refused() {
    let full = zip_of(&[
        ("optimus-plugin-a.yaml", plugin_yaml("a", "1").as_bytes()),
        ("optimus-plugin-b.yaml", plugin_yaml("b", "1").as_bytes()),
    ]);
    let s = FakeServer::zip(full[..full.len() / 2].to_vec());
    refused(&s, "cannot read the plugin archive from");
}

#[test]
fn entry_escaping_the_folder_is_refused() {
    let s = FakeServer::zip(zip_of(&[
        ("optimus-plugin-a.yaml", plugin_yaml("a", "1").as_bytes()),
        ("../x.yaml", plugin_yaml("x", "1").as_bytes()),
    ]));
    refused(&s, "entry \"../x.yaml\": path \"../x.yaml\" contains '..'");
}

#[test]
fn nested_or_non_yaml_entries_are_refused() {
    let s = FakeServer::zip(zip_of(&[(
        "sub/optimus-plugin-a.yaml",
        plugin_yaml("a", "1").as_bytes(),
    )]));
    refused(&s, "must be flat");
    let s = FakeServer::zip(zip_of(&[("optimus-a_linux_amd64", b"\x7fELF")]));
    refused(&s, "only flat optimus-plugin-<name>.yaml files are allowed");
}

#[test]
fn invalid_plugin_is_refused_with_its_position() {
    let s = FakeServer::zip(zip_of(&[
        ("optimus-plugin-a.yaml", plugin_yaml("a", "1").as_bytes()),
        (
            "optimus-plugin-b.yaml",
            b"name: b\nplugintype: task\nimagee: x\n",
        ),
    ]));
    refused(&s, "invalid YAML plugin optimus-plugin-b.yaml");
    let err = refused(&s, "optimus-plugin-b.yaml:3:1");
    assert!(err.contains("imagee"), "{err}");
}

#[test]
fn zip_bomb_is_refused() {
    // 64 MiB of zeros deflate to about 64 KiB.
    let zeros = vec![0u8; 64 << 20];
    let s = FakeServer::zip(zip_of(&[("optimus-plugin-a.yaml", &zeros)]));
    refused(&s, "more than the limit of 4194304 per plugin");
    let many: Vec<(String, Vec<u8>)> = (0..10_001)
        .map(|i| (format!("optimus-plugin-p{i}.yaml"), Vec::new()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let s = FakeServer::zip(zip_of(&refs));
    refused(&s, "10001 entries, more than the limit of 10000");
}

#[test]
fn oversized_download_is_refused() {
    let body = zip_of(&[("optimus-plugin-a.yaml", plugin_yaml("a", "1").as_bytes())]);
    let s = FakeServer::zip(body);
    let root = tempfile::tempdir().unwrap();
    let dir = populated(root.path());
    let before = snapshot(&dir);
    let out = sync(&s.addr, &dir, &["--max-bytes", "100"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("larger than the limit of 100 bytes"),
        "{}",
        text(&out).1
    );
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn upstream_server_without_etag_works() {
    // Upstream Optimus: a plain 200 with the zip, no ETag, no index.json.
    let s = FakeServer::start(
        StatusCode::OK,
        "application/octet-stream",
        None,
        zip_of(&[(
            "optimus-plugin-bq2bq.yaml",
            plugin_yaml("bq2bq", "0.3.2").as_bytes(),
        )]),
    );
    let root = tempfile::tempdir().unwrap();
    let dir = populated(root.path());
    let out = sync(&s.addr, &dir, &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("removed  neo 1.0.0"), "{stdout}");
    assert!(
        stdout.contains("0 added, 0 updated, 1 removed, 1 unchanged"),
        "{stdout}"
    );
    // Again: a full download (no ETag to send), nothing changes, nothing
    // is written (the state file is the same file, not a rewritten copy).
    let before = snapshot(&dir);
    let state_inode = || {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir.join(".optimus-sync.json"))
            .unwrap()
            .ino()
    };
    let inode = state_inode();
    let out = sync(&s.addr, &dir, &[]);
    assert!(out.status.success());
    assert!(
        text(&out)
            .0
            .contains("0 added, 0 updated, 0 removed, 1 unchanged"),
        "{}",
        text(&out).0
    );
    assert_eq!(snapshot(&dir), before);
    assert_eq!(state_inode(), inode);
    assert_eq!(s.hits(), 2);
}

#[test]
fn etag_is_not_trusted_after_a_local_edit() {
    let s = FakeServer::start(
        StatusCode::OK,
        "application/zip",
        Some("\"v1\""),
        zip_of(&[(
            "optimus-plugin-bq2bq.yaml",
            plugin_yaml("bq2bq", "0.3.2").as_bytes(),
        )]),
    );
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("plugins");
    assert!(sync(&s.addr, &dir, &[]).status.success());
    // Someone edits a synced plugin: the next sync must not send the ETag
    // (the server would say 304) but repair the file.
    std::fs::write(dir.join(file_name("bq2bq")), plugin_yaml("bq2bq", "9.9.9")).unwrap();
    let out = sync(&s.addr, &dir, &[]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("updated  bq2bq 9.9.9 -> 0.3.2"), "{stdout}");
    let out = sync(&s.addr, &dir, &[]);
    assert!(
        text(&out).0.contains("304 Not Modified"),
        "{}",
        text(&out).0
    );
}
