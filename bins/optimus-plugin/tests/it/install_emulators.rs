//! Install through the binary against real storage emulators: GCS
//! (fake-gcs-server), Azure Blob (azurite) and S3 (moto), started by
//! scripts/test.d/20-emulators.sh, which passes their loopback endpoints in
//! `PLUGIN_REPO_TEST_GCS_ENDPOINT`, `PLUGIN_REPO_TEST_AZURITE_ENDPOINT` and
//! `PLUGIN_REPO_TEST_S3_ENDPOINT`. A test whose variable is unset prints a
//! note and passes, so the plain `cargo test` stays self-contained.
//!
//! Every scenario uploads real artifacts under a fresh prefix, then runs
//! `optimus-plugin install` with a form-1 config (explicit loopback
//! endpoint, explicit credentials) and with form-2 sources (`gs://`, `s3://`,
//! `az://`, endpoint and credentials from the standard variables). The
//! binary talks to the emulator through a counting proxy on 127.0.0.1, so an
//! unchanged re-run is shown to download nothing.
#![allow(
    clippy::unwrap_used,
    clippy::format_push_string,
    clippy::too_many_lines
)]

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{Project, bin, plugin_entries, sha256_hex, targz, zip_bytes};
use object_store::ObjectStoreExt as _;

/// Azurite's documented, public development account key (not a secret).
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// Sentinel secrets: none may ever appear in the binary's output.
const S3_SECRET: &str = "sentinel-moto-secret-5d81";
const GCS_KEY_SENTINEL: &str = "sentinel-gcs-private-key-0b7e";
const AZURE_WRONG_SENTINEL: &str = "sentinel-azure-wrong-key-c4a9";

fn emulator_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v.trim_end_matches('/').to_owned()),
        _ => {
            eprintln!("note: {var} is not set; skipping (scripts/test.d/20-emulators.sh sets it)");
            None
        }
    }
}

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

// ------------------------------------------------------------- proxy --

/// A loopback HTTP proxy in front of one emulator (testkit's server, which
/// records every request) forwarding each request.
struct Proxy {
    url: String,
    server: testkit::http::Server,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    /// fake-gcs-server routes by the Host header (its `-public-host`), so
    /// the proxy sends the upstream's authority. Elsewhere the client's Host
    /// is kept: S3 signatures cover it.
    rewrite_host: bool,
    client: reqwest::Client,
}

fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The GCS client escapes every character of an object name but letters and
/// digits (`a%2Fb%2Etar%2Egz`): decode before matching.
fn percent_decode(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn forward(
    axum::extract::State(st): axum::extract::State<ProxyState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::body::Body;
    use axum::http::{StatusCode, header};

    let method = req.method().clone();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut out = st
        .client
        .request(method, format!("{}{path_and_query}", st.upstream));
    for (k, v) in req.headers() {
        if hop_by_hop(k.as_str()) || (st.rewrite_host && k == header::HOST) {
            continue;
        }
        out = out.header(k, v);
    }
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap();
    let resp = match out.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            return axum::response::Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(format!("proxy: {e}")))
                .unwrap();
        }
    };
    let mut back = axum::response::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        if !hop_by_hop(k.as_str()) {
            back = back.header(k, v);
        }
    }
    back.body(Body::from_stream(resp.bytes_stream())).unwrap()
}

impl Proxy {
    fn start(upstream: &str, rewrite_host: bool) -> Proxy {
        let state = ProxyState {
            upstream: upstream.to_owned(),
            rewrite_host,
            client: testkit::http::client(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let server = testkit::http::Server::start(app);
        Proxy {
            url: server.url(),
            server,
        }
    }

    /// Method and (decoded) path of every request, oldest first.
    fn seen(&self) -> Vec<(String, String)> {
        let seen = self.server.requests();
        seen.iter()
            .map(|r| (r.method.to_string(), percent_decode(&r.path)))
            .collect()
    }

    /// GET requests for objects under `/…/<prefix>/` (the artifacts: the
    /// test uploads directly to the emulator, not through the proxy).
    fn gets(&self, prefix: &str) -> usize {
        let needle = format!("/{prefix}/");
        self.seen()
            .iter()
            .filter(|(m, p)| m == "GET" && p.contains(&needle))
            .count()
    }

    fn requests(&self) -> usize {
        self.server.requests().len()
    }
}

// ---------------------------------------------------------- backends --

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Gcs,
    Azure,
    S3,
}

/// One emulator, its counting proxy and a fresh prefix for this run.
struct Emulator {
    kind: Kind,
    endpoint: String,
    proxy: Proxy,
    prefix: String,
    rt: tokio::runtime::Runtime,
}

impl Emulator {
    fn start(kind: Kind, endpoint: String) -> Emulator {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let proxy = Proxy::start(&endpoint, kind == Kind::Gcs);
        // Azurite keeps its data across runs of the script: a prefix of
        // its own per run keeps the scenarios apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let prefix = format!("install-emu-{}-{nanos}", std::process::id());
        Emulator {
            kind,
            endpoint,
            proxy,
            prefix,
            rt,
        }
    }

    /// Writes `data` at `<prefix>/<name>` straight to the emulator.
    fn upload(&self, name: &str, data: Vec<u8>) {
        let key = format!("{}/{name}", self.prefix);
        match self.kind {
            Kind::Gcs => {
                // fake-gcs-server's JSON upload API.
                let url = format!(
                    "{}/upload/storage/v1/b/plugins/o?uploadType=media&name={}",
                    self.endpoint,
                    key.replace('/', "%2F")
                );
                let status = self.rt.block_on(async {
                    testkit::http::client()
                        .post(url)
                        .body(data)
                        .send()
                        .await
                        .unwrap()
                        .status()
                });
                assert!(status.is_success(), "fake-gcs upload of {key}: {status}");
            }
            Kind::Azure => {
                let store = object_store::azure::MicrosoftAzureBuilder::new()
                    .with_account("devstoreaccount1")
                    .with_access_key(AZURITE_KEY)
                    .with_container_name("plugins")
                    .with_endpoint(format!("{}/devstoreaccount1", self.endpoint))
                    .with_allow_http(true)
                    .build()
                    .unwrap();
                self.rt
                    .block_on(store.put(&key.as_str().into(), data.into()))
                    .unwrap();
            }
            Kind::S3 => {
                let store = object_store::aws::AmazonS3Builder::new()
                    .with_endpoint(&self.endpoint)
                    .with_allow_http(true)
                    .with_bucket_name("plugins")
                    .with_region("us-east-1")
                    .with_access_key_id("testing")
                    .with_secret_access_key(S3_SECRET)
                    .build()
                    .unwrap();
                self.rt
                    .block_on(store.put(&key.as_str().into(), data.into()))
                    .unwrap();
            }
        }
    }

    fn provider_name(&self) -> &'static str {
        match self.kind {
            Kind::Gcs => "team_gcs",
            Kind::Azure => "team_blobs",
            Kind::S3 => "team_s3",
        }
    }

    /// The form-1 provider entry: the proxy as explicit endpoint, explicit
    /// credentials (secrets from variables set by `form1_env`).
    fn provider_entry(&self) -> String {
        let (name, proxy, prefix) = (self.provider_name(), &self.proxy.url, &self.prefix);
        match self.kind {
            // The design's base64 service-account JSON. `disable_oauth`
            // makes the client send it without any token exchange, so no
            // request goes to a token endpoint (fake-gcs-server checks no
            // credentials).
            Kind::Gcs => format!(
                "    - type: gcs\n      name: {name}\n      bucket: plugins\n      prefix: {prefix}\n      endpoint: {proxy}\n      service_account: {{env: EMU_GCS_SERVICE_ACCOUNT}}\n"
            ),
            Kind::Azure => format!(
                "    - type: azure\n      name: {name}\n      account: devstoreaccount1\n      container: plugins\n      prefix: {prefix}\n      endpoint: {proxy}/devstoreaccount1\n      access_key: {{env: EMU_AZURE_KEY}}\n"
            ),
            Kind::S3 => format!(
                "    - type: s3\n      name: {name}\n      bucket: plugins\n      prefix: {prefix}\n      region: us-east-1\n      endpoint: {proxy}\n      access_key_id: testing\n      secret_access_key: {{env: EMU_S3_SECRET}}\n"
            ),
        }
    }

    fn form1_env(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            Kind::Gcs => {
                let json = serde_json::json!({
                    "type": "service_account",
                    "private_key": format!("-----BEGIN PRIVATE KEY-----\n{GCS_KEY_SENTINEL}\n-----END PRIVATE KEY-----\n"),
                    "private_key_id": "emulator",
                    "client_email": "installer@emulator.iam.gserviceaccount.com",
                    "disable_oauth": true,
                });
                vec![("EMU_GCS_SERVICE_ACCOUNT", b64(json.to_string().as_bytes()))]
            }
            Kind::Azure => vec![("EMU_AZURE_KEY", AZURITE_KEY.to_owned())],
            Kind::S3 => vec![("EMU_S3_SECRET", S3_SECRET.to_owned())],
        }
    }

    /// A form-2 source for `<prefix>/<name>`.
    fn source(&self, name: &str) -> String {
        let prefix = &self.prefix;
        match self.kind {
            Kind::Gcs => format!("gs://plugins/{prefix}/{name}"),
            Kind::Azure => format!("az://plugins@devstoreaccount1/{prefix}/{name}"),
            Kind::S3 => format!("s3://plugins/{prefix}/{name}"),
        }
    }

    /// Form-2 sources take the endpoint and credentials from the standard
    /// variables: all explicit here, pointing at the proxy.
    fn form2_env(&self) -> Vec<(&'static str, String)> {
        let proxy = self.proxy.url.clone();
        match self.kind {
            // STORAGE_EMULATOR_HOST: unauthenticated requests, as the Google
            // client libraries do against an emulator.
            Kind::Gcs => vec![("STORAGE_EMULATOR_HOST", proxy)],
            Kind::Azure => vec![
                (
                    "AZURE_STORAGE_ENDPOINT",
                    format!("{proxy}/devstoreaccount1"),
                ),
                ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.to_owned()),
            ],
            Kind::S3 => vec![
                ("AWS_ENDPOINT_URL", proxy),
                ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
                ("AWS_SECRET_ACCESS_KEY", S3_SECRET.to_owned()),
                ("AWS_REGION", "us-east-1".to_owned()),
            ],
        }
    }
}

// ---------------------------------------------------------- the binary --

/// The binary with no inherited cloud settings: only what a test passes.
fn clean_bin(home: &Path) -> assert_cmd::Command {
    let mut cmd = bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("AZURE_")
            || k.starts_with("AZURITE_")
            || k.starts_with("STORAGE_EMULATOR")
            || k.starts_with("CLOUDSDK_")
            || k.ends_with("_PROXY")
            || k.ends_with("_proxy")
            || k == "RUST_LOG"
        {
            cmd.env_remove(k);
        }
    }
    // No gcloud / aws / azure files of the machine's user.
    cmd.env("HOME", home);
    cmd
}

/// One run's exit code and output.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn install(p: &Project, env: &[(&'static str, String)], outputs: &mut Vec<String>) -> Run {
    let out = clean_bin(p.root())
        .args(["install", "-vv", "--no-sync", "--retry-deadline", "5", "-c"])
        .arg(p.config())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    outputs.push(run.text());
    run
}

/// `list --output json`: (name, version, sha256) of every plugin, and the
/// generation.
fn list(p: &Project) -> (BTreeSet<(String, String, String)>, String) {
    let out = clean_bin(p.root())
        .args(["list", "--output", "json", "--plugin-dir"])
        .arg(p.plugin_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "list failed: {out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("-").to_owned();
    let rows = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (s(&r["name"]), s(&r["version"]), s(&r["sha256"])))
        .collect();
    (rows, s(&v["generation"]))
}

fn row(name: &str, version: &str, artifact: &[u8]) -> (String, String, String) {
    (name.to_owned(), version.to_owned(), sha256_hex(artifact))
}

/// The folder `plugin_dir` points at (a new set means a new folder).
fn current_set(p: &Project) -> std::path::PathBuf {
    std::fs::read_link(p.plugin_dir()).unwrap()
}

fn assert_no_leak(outputs: &[String], secrets: &[&str]) {
    for text in outputs {
        for s in secrets {
            assert!(!text.contains(s), "secret leaked into the output:\n{text}");
        }
    }
}

fn form1_config(p: &Project, emu: &Emulator, paths: &[&str]) {
    let mut s = format!(
        "server:\n  port: 9100\nplugins:\n  plugin_dir: {}\n  providers:\n{}  plugins:\n",
        p.plugin_dir().display(),
        emu.provider_entry()
    );
    for path in paths {
        s.push_str(&format!(
            "    - {{provider: {}, path: {path}}}\n",
            emu.provider_name()
        ));
    }
    p.write_config(&s);
}

// ---------------------------------------------------------- scenarios --

/// Form 1 through the binary: install, unchanged re-run, one update, a
/// missing object. Returns the project, its config back to the installed
/// two plugins, for the backend's own cases.
fn form1_scenario(emu: &Emulator, outputs: &mut Vec<String>) -> Project {
    let bq = targz(&plugin_entries("bq2bq", "1.0.0"));
    let neo = zip_bytes(&plugin_entries("neo", "1.0.0"));
    emu.upload("bq2bq.tar.gz", bq.clone());
    emu.upload("neo.zip", neo.clone());
    let prefix = &emu.prefix;
    let env = emu.form1_env();

    let p = Project::new();
    form1_config(&p, emu, &["bq2bq.tar.gz", "neo.zip"]);
    let run = install(&p, &env, outputs);
    assert_eq!(
        run.code,
        Some(0),
        "{:?} install failed:\n{}",
        emu.kind,
        run.text()
    );
    assert!(run.stdout.contains("Plan: 2 to add,"), "{}", run.stdout);
    assert_eq!(emu.proxy.gets(prefix), 2, "one download per artifact");
    let (rows, generation) = list(&p);
    assert_eq!(
        rows,
        BTreeSet::from([row("bq2bq", "1.0.0", &bq), row("neo", "1.0.0", &neo)])
    );
    let snap = p.snapshot().unwrap();
    let files: Vec<&str> = snap.keys().map(String::as_str).collect();
    assert_eq!(
        files,
        [
            "optimus-bq2bq_linux_amd64",
            "optimus-neo_linux_amd64",
            "optimus-plugin-bq2bq.yaml",
            "optimus-plugin-neo.yaml"
        ]
    );
    for (name, data, _) in plugin_entries("neo", "1.0.0") {
        assert_eq!(snap[&name], sha256_hex(&data), "{name}");
    }

    // Unchanged: the store's metadata (HEAD) decides; no GET, no new set.
    let set = current_set(&p);
    let before = emu.proxy.requests();
    let run = install(&p, &env, outputs);
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(run.stdout.contains("up to date"), "{}", run.stdout);
    assert!(
        run.stdout.contains("No changes; 2 unchanged."),
        "{}",
        run.stdout
    );
    assert_eq!(
        emu.proxy.gets(prefix),
        2,
        "an unchanged re-run downloads nothing"
    );
    assert!(
        emu.proxy.requests() > before,
        "the re-run asked the store (HEAD) through the proxy"
    );
    assert_eq!(current_set(&p), set, "an unchanged re-run rewrites nothing");
    assert_eq!(list(&p).1, generation);
    assert_eq!(p.snapshot().unwrap(), snap);

    // A changed object is noticed and is the only download.
    let neo2 = zip_bytes(&plugin_entries("neo", "2.0.0"));
    emu.upload("neo.zip", neo2.clone());
    let run = install(&p, &env, outputs);
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to remove; 1 unchanged."),
        "{}",
        run.stdout
    );
    assert_eq!(emu.proxy.gets(prefix), 3, "only the changed artifact");
    assert_eq!(
        list(&p).0,
        BTreeSet::from([row("bq2bq", "1.0.0", &bq), row("neo", "2.0.0", &neo2)])
    );

    // A missing object: exit 1 naming it, the previous set untouched.
    let set = current_set(&p);
    let snap = p.snapshot();
    let listed = list(&p);
    form1_config(
        &p,
        emu,
        &["bq2bq.tar.gz", "neo.zip", "missing-plugin.tar.gz"],
    );
    let run = install(&p, &env, outputs);
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stderr.contains("missing-plugin.tar.gz") && run.stderr.contains("not found"),
        "{}",
        run.stderr
    );
    assert_eq!(current_set(&p), set);
    assert_eq!(p.snapshot(), snap);
    assert_eq!(list(&p), listed);
    form1_config(&p, emu, &["bq2bq.tar.gz", "neo.zip"]);
    p
}

/// Form 2 through the binary: `gs://` / `s3://` / `az://` sources, one
/// pinned with `?checksum=sha256:`, endpoint and credentials from the
/// standard variables; then an unchanged re-run.
fn form2_scenario(emu: &Emulator, outputs: &mut Vec<String>) {
    let hook = targz(&plugin_entries("hook", "0.3.0"));
    let tool = zip_bytes(&plugin_entries("tool", "0.4.0"));
    emu.upload("form2/hook.tar.gz", hook.clone());
    emu.upload("form2/tool.zip", tool.clone());
    let p = Project::new();
    p.write_config(&format!(
        "plugins:\n  plugin_dir: {}\nplugin:\n  artifacts:\n    - {}?checksum=sha256:{}\n    - {}\n",
        p.plugin_dir().display(),
        emu.source("form2/hook.tar.gz"),
        sha256_hex(&hook),
        emu.source("form2/tool.zip"),
    ));
    let env = emu.form2_env();
    let gets = emu.proxy.gets(&emu.prefix);
    let run = install(&p, &env, outputs);
    assert_eq!(run.code, Some(0), "{:?} form 2:\n{}", emu.kind, run.text());
    assert!(run.stdout.contains("Plan: 2 to add,"), "{}", run.stdout);
    assert_eq!(emu.proxy.gets(&emu.prefix), gets + 2);
    let (rows, generation) = list(&p);
    assert_eq!(
        rows,
        BTreeSet::from([row("hook", "0.3.0", &hook), row("tool", "0.4.0", &tool)])
    );

    let set = current_set(&p);
    let run = install(&p, &env, outputs);
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(
        run.stdout.contains("No changes; 2 unchanged."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("sha256 pin matches"),
        "the pinned source is decided without a request: {}",
        run.stdout
    );
    assert_eq!(emu.proxy.gets(&emu.prefix), gets + 2, "nothing downloaded");
    assert_eq!(current_set(&p), set);
    assert_eq!(list(&p).1, generation);
}

#[test]
fn gcs_install_through_the_binary_against_fake_gcs_server() {
    let Some(endpoint) = emulator_env("PLUGIN_REPO_TEST_GCS_ENDPOINT") else {
        return;
    };
    let emu = Emulator::start(Kind::Gcs, endpoint);
    let mut outputs = Vec::new();
    form1_scenario(&emu, &mut outputs);
    // fake-gcs-server checks no credentials: there is no wrong-key case to
    // run against it (the sentinel private key must still never show).
    form2_scenario(&emu, &mut outputs);
    let sa = emu.form1_env().remove(0).1;
    assert_no_leak(&outputs, &[GCS_KEY_SENTINEL, &sa]);
}

#[test]
fn azure_install_through_the_binary_against_azurite() {
    let Some(endpoint) = emulator_env("PLUGIN_REPO_TEST_AZURITE_ENDPOINT") else {
        return;
    };
    let emu = Emulator::start(Kind::Azure, endpoint);
    let mut outputs = Vec::new();
    let p = form1_scenario(&emu, &mut outputs);

    // A wrong account key (a valid base64 value azurite refuses): exit 1
    // naming the provider, the key never shown, the set untouched.
    let wrong = b64(AZURE_WRONG_SENTINEL.repeat(2).as_bytes());
    let set = current_set(&p);
    let snap = p.snapshot();
    let mut wrong_outputs = Vec::new();
    let run = install(&p, &[("EMU_AZURE_KEY", wrong.clone())], &mut wrong_outputs);
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stderr.contains(emu.provider_name()) && run.stderr.contains("denied"),
        "{}",
        run.stderr
    );
    assert_no_leak(&wrong_outputs, &[&wrong, AZURE_WRONG_SENTINEL]);
    assert_eq!(current_set(&p), set);
    assert_eq!(p.snapshot(), snap);

    form2_scenario(&emu, &mut outputs);
}

#[test]
fn s3_install_through_the_binary_against_moto() {
    let Some(endpoint) = emulator_env("PLUGIN_REPO_TEST_S3_ENDPOINT") else {
        return;
    };
    let emu = Emulator::start(Kind::S3, endpoint);
    let mut outputs = Vec::new();
    form1_scenario(&emu, &mut outputs);
    // moto accepts any credentials: the wrong-secret case through the
    // binary runs against s3s in install_s3.rs.
    form2_scenario(&emu, &mut outputs);
    assert_no_leak(&outputs, &[S3_SECRET]);
}
