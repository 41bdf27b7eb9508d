//! `serve` speaks upstream: every file a client receives loads in
//! upstream's classic strict loader, classic files are served byte for
//! byte, and a bad file leaves the others served (200), reported in
//! `/healthz`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use testkit::http::{Server, client};

/// Upstream's classic plugin (yaml.v2 `UnmarshalStrict` into `PluginSpec`):
/// lowercase keys only, an unknown key refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClassicSpec {
    name: String,
    #[serde(default)]
    description: String,
    plugintype: String,
    #[serde(default)]
    pluginmods: Vec<String>,
    #[serde(default)]
    asset_parsers: BTreeMap<String, Vec<ClassicEvaluator>>,
    #[serde(default)]
    destination_urn_template: String,
    pluginversion: String,
    #[serde(default)]
    apiversion: Vec<String>,
    image: String,
    entrypoint: ClassicEntrypoint,
    #[serde(default)]
    dependson: Vec<String>,
    #[serde(default)]
    hooktype: String,
    #[serde(default)]
    questions: Vec<ClassicQuestion>,
    #[serde(default)]
    defaultconfig: Vec<ClassicNamed>,
    #[serde(default)]
    defaultassets: Vec<ClassicNamed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClassicEvaluator {
    #[serde(default)]
    env: String,
    #[serde(default)]
    filepath: String,
    #[serde(default)]
    selector: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClassicEntrypoint {
    #[serde(default)]
    shell: String,
    script: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClassicQuestion {
    name: String,
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    default: String,
    #[serde(default)]
    multiselect: Vec<String>,
    #[serde(default)]
    regexp: String,
    #[serde(default)]
    validationerror: String,
    #[serde(default)]
    minlength: i64,
    #[serde(default)]
    maxlength: i64,
    #[serde(default)]
    required: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClassicNamed {
    name: String,
    value: String,
}

const CLASSIC: &str = "\
# served as written, comments and all
name: bq2bq
plugintype: task
pluginversion: 0.4.3
image: example/bq2bq:0.4.3
entrypoint:
  script: python3 /opt/bq2bq/main.py
asset_parsers:
  bq:
    - filepath: ./query.sql
destination_urn_template: bigquery://{{.PROJECT}}:{{.DATASET}}.{{.TABLE}}
questions:
  - name: PROJECT
    prompt: Project ID
    required: yes
";

const DESIGN: &str = "\
Name: neo
Version: 1.0.0
Image: example/neo:1.0.0
Entrypoint:
  Script: neo run
Questions:
  - Name: TABLE
    Prompt: Table
    Regexp: ^[a-z_]+$
DefaultConfig:
  - name: MODE
    value: fast
";

const SPEC: &str = "\
version: 1
name: lake
description: the v0.20.7+ format
plugin_versions:
  default:
    image: example/lake
    tag: 2.0.0
    entrypoint:
      script: lake run
  old:
    tag: 1.0.0
default_config:
  LOAD: APPEND
unknown_to_upstream: ignored
";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn start(dir: &Path) -> Server {
    let server = plugin_sync::serve::PluginServer::new(dir);
    Server::start(plugin_sync::serve::router(server))
}

async fn get_health(base: &str) -> serde_json::Value {
    client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz")
        .json()
        .await
        .expect("json")
}

/// `GET /plugins`, unzipped: file name to contents.
async fn fetch(base: &str) -> (u16, BTreeMap<String, String>) {
    let resp = client()
        .get(format!("{base}/plugins"))
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    let body = resp.bytes().await.expect("body");
    let mut files = BTreeMap::new();
    if status == 200 {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("zip");
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).expect("entry");
            let mut text = String::new();
            f.read_to_string(&mut text).expect("utf-8");
            let name = f.name().expect("entry name").into_owned();
            files.insert(name, text);
        }
    }
    (status, files)
}

#[tokio::test]
async fn every_served_file_loads_in_upstreams_classic_strict_loader() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-bq2bq.yaml", CLASSIC);
    write(dir.path(), "optimus-plugin-neo.yaml", DESIGN);
    write(dir.path(), "optimus-plugin-lake.yaml", SPEC);
    write(dir.path(), "optimus-plugin-other.yml", CLASSIC);
    let server = start(dir.path());
    let base = server.url();

    let (status, files) = fetch(&base).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "optimus-plugin-bq2bq.yaml",
            "optimus-plugin-lake.yaml",
            "optimus-plugin-neo.yaml"
        ]
    );
    assert_eq!(files["optimus-plugin-bq2bq.yaml"], CLASSIC, "byte for byte");
    for (name, text) in &files {
        let spec: ClassicSpec = serde_saphyr::from_str(text)
            .unwrap_or_else(|e| panic!("{name} does not load in the classic loader: {e}\n{text}"));
        assert!(!spec.entrypoint.script.is_empty(), "{name}");
        assert!(
            matches!(spec.plugintype.as_str(), "task" | "hook"),
            "{name}"
        );
    }
    let lake: ClassicSpec =
        serde_saphyr::from_str(&files["optimus-plugin-lake.yaml"]).expect("lake");
    assert_eq!(
        (lake.pluginversion.as_str(), lake.image.as_str()),
        ("2.0.0", "example/lake:2.0.0")
    );
    assert_eq!(lake.defaultconfig[0].name, "LOAD");
    let neo: ClassicSpec = serde_saphyr::from_str(&files["optimus-plugin-neo.yaml"]).expect("neo");
    assert_eq!(neo.questions[0].regexp, "^[a-z_]+$");
    assert_eq!(neo.defaultconfig[0].value, "fast");
}

#[tokio::test]
async fn a_bad_file_leaves_the_others_served_and_shows_in_healthz() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-bq2bq.yaml", CLASSIC);
    write(dir.path(), "optimus-plugin-neo.yaml", DESIGN);
    let server = start(dir.path());
    let base = server.url();
    let (status, files) = fetch(&base).await;
    assert_eq!((status, files.len()), (200, 2));

    // neo stops loading: its last good version is kept; a new bad file is
    // left out; bq2bq is served as before.
    write(
        dir.path(),
        "optimus-plugin-neo.yaml",
        "Name: neo\nVersion: [\n",
    );
    write(
        dir.path(),
        "optimus-plugin-broken.yaml",
        "name: broken\nimagee: x\n",
    );
    let (status, again) = fetch(&base).await;
    assert_eq!(status, 200);
    assert_eq!(again, files, "the good set is still served");

    let health = get_health(&base).await;
    assert_eq!(health["status"], "degraded", "{health}");
    let left = health["left_out"].as_array().expect("left_out");
    assert_eq!(left.len(), 2, "{health}");
    assert_eq!(left[0]["file"], "optimus-plugin-broken.yaml");
    assert_eq!(left[0]["kept_previous"], false);
    assert!(
        left[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("optimus-plugin-broken.yaml:2:1: unknown key `imagee`")),
        "{health}"
    );
    assert_eq!(left[1]["file"], "optimus-plugin-neo.yaml");
    assert_eq!(left[1]["kept_previous"], true);

    // Fixed again: healthy, and the fixed version is served.
    std::fs::remove_file(dir.path().join("optimus-plugin-broken.yaml")).expect("rm");
    write(dir.path(), "optimus-plugin-neo.yaml", DESIGN);
    let health = get_health(&base).await;
    assert_eq!(health["status"], "ok", "{health}");
}

#[tokio::test]
async fn a_folder_of_only_bad_files_is_not_served_as_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-broken.yaml", "name: [\n");
    let server = start(dir.path());
    let base = server.url();
    let (status, _) = fetch(&base).await;
    assert_eq!(
        status, 503,
        "an empty set would make clients delete their plugins"
    );
}
