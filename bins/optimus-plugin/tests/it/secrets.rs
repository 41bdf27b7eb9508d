//! Secrets never reach the output: an install and a sync at `-vv` (debug
//! logs of every crate) with URL credentials, a signed query, `.netrc` and
//! a bearer token print none of them, on stdout or stderr.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use crate::support::{Server, bin, plugin_entries, plugin_yaml, targz, zip_bytes};
use axum::http::{Uri, header};

/// Every secret value of these tests contains this, so one search finds any.
const SENTINEL: &str = "SeNtInEl7f3a";

fn secret(kind: &str) -> String {
    format!("{kind}-{SENTINEL}")
}

fn assert_no_secret(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains(SENTINEL), "a secret reached {name}:\n{text}");
    }
    // The run did log at debug level, so the check saw real output.
    assert!(stderr.contains("DEBUG"), "no debug lines:\n{stderr}");
}

/// A server on 127.0.0.1 (recording every request) that answers each path
/// with `respond(path)`.
struct Recording {
    server: testkit::http::Server,
    addr: String,
}

impl Recording {
    fn start(respond: fn(&str) -> Vec<u8>) -> Self {
        let app = axum::Router::new().fallback(move |uri: Uri| async move { respond(uri.path()) });
        let server = testkit::http::Server::start(app);
        Self {
            addr: server.host(),
            server,
        }
    }

    fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// The Authorization header of every request ("" when there was none).
    fn seen(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .map(|r| r.header(header::AUTHORIZATION).unwrap_or("").to_owned())
            .collect()
    }

    fn basic_auth_count(&self) -> usize {
        self.seen()
            .iter()
            .filter(|a| a.starts_with("Basic "))
            .count()
    }
}

/// `/any/optimus-plugin-NAME.yaml` -> that plugin.
fn yaml_plugin_for(path: &str) -> Vec<u8> {
    let name = path
        .rsplit('/')
        .next()
        .and_then(|f| f.strip_prefix("optimus-plugin-"))
        .and_then(|f| f.strip_suffix(".yaml"))
        .unwrap_or("x");
    plugin_yaml(name, "0.1.0").into_bytes()
}

/// `/plugins` -> a zip holding one YAML plugin, as the Optimus server serves it.
fn plugins_zip(_path: &str) -> Vec<u8> {
    zip_bytes(&[(
        "optimus-plugin-synced.yaml".to_owned(),
        plugin_yaml("synced", "1.0.0").into_bytes(),
        0o644,
    )])
}

#[test]
fn install_at_debug_level_prints_no_credentials() {
    // A bearer-protected provider whose URL also carries a signed query.
    let tokened = Server::start();
    tokened.require_bearer(Some(&secret("bearer")));
    tokened.put("bq2bq.tar.gz", targz(&plugin_entries("bq2bq", "0.3.2")));
    // Source URLs with user info (basic auth) and with .netrc credentials.
    let open = Recording::start(yaml_plugin_for);
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    std::fs::write(
        &netrc,
        format!("machine localhost login svc password {}\n", secret("netrc")),
    )
    .unwrap();
    let config = format!(
        "plugins:\n  plugin_dir: {plugins}\n  providers:\n    - type: http\n      name: web\n      url: {url}/?sig={sig}\n      auth:\n        bearer: {{env: PLUGIN_TOKEN}}\n  plugins:\n    - provider: web\n      path: bq2bq.tar.gz\n\
         plugin:\n  artifacts:\n    - http://svc:{pass}@{addr}/a/optimus-plugin-lite.yaml\n    - http://localhost:{port}/b/optimus-plugin-netrc.yaml\n",
        plugins = dir.path().join("plugins").display(),
        url = tokened.url(),
        sig = secret("sig"),
        pass = secret("urlpass"),
        addr = open.addr,
        port = open.port(),
    );
    let cfg_path = dir.path().join("optimus.yaml");
    std::fs::write(&cfg_path, config).unwrap();
    for format in ["text", "json"] {
        let out = bin()
            .args([
                "install",
                "--no-sync",
                "--force",
                "-vv",
                "--log-format",
                format,
                "-c",
            ])
            .arg(&cfg_path)
            .env("PLUGIN_TOKEN", secret("bearer"))
            .env("NETRC", &netrc)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_no_secret(&out);
    }
    // The credentials were used: bearer (else the tokened server answers
    // 401), URL user info and .netrc as basic auth.
    assert!(tokened.gets() >= 2);
    assert!(open.basic_auth_count() >= 4, "{:?}", open.seen());
    let plugins = dir.path().join("plugins");
    for f in [
        "optimus-plugin-bq2bq.yaml",
        "optimus-plugin-lite.yaml",
        "optimus-plugin-netrc.yaml",
    ] {
        assert!(plugins.join(f).is_file(), "{f} installed");
    }
}

#[test]
fn sync_at_debug_level_prints_no_credentials() {
    let server = Recording::start(plugins_zip);
    let dir = tempfile::tempdir().unwrap();
    let host = format!(
        "http://svc:{}@{}/?sig={}",
        secret("urlpass"),
        server.addr,
        secret("sig")
    );
    for format in ["text", "json"] {
        let out = bin()
            .args([
                "sync",
                "-vv",
                "--log-format",
                format,
                "--host",
                &host,
                "--plugin-dir",
            ])
            .arg(dir.path().join("plugins"))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_no_secret(&out);
    }
    assert!(server.basic_auth_count() >= 1, "URL user info was sent");
    assert!(
        dir.path()
            .join("plugins/optimus-plugin-synced.yaml")
            .is_file()
    );
}
