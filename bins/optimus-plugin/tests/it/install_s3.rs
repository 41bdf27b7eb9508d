//! Install from S3: an in-process s3s-fs server on 127.0.0.1 with explicit
//! credentials (no fallback to real endpoints or instance metadata).
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use crate::support::{Project, bin, plugin_entries, targz, zip_bytes};
use predicates::prelude::*;
use testkit::s3::S3;

const SECRET: &str = "sentinel-s3-secret-91c2";

#[test]
fn s3_install_rerun_unchanged_and_wrong_secret_refused() {
    let s3 = S3::start(SECRET);
    s3.put(
        "plugins/bq2bq.tar.gz",
        targz(&plugin_entries("bq2bq", "1.0.0")),
    );
    s3.put(
        "plugins/neo.zip",
        zip_bytes(&plugin_entries("neo", "1.0.0")),
    );
    let endpoint = s3.endpoint();

    let p = Project::new();
    p.write_config(&format!(
        "plugins:\n  plugin_dir: {}\n  providers:\n    - type: s3\n      name: team\n      bucket: bucket\n      prefix: plugins\n      region: us-east-1\n      endpoint: {endpoint}\n      access_key_id: AKIDTEST\n      secret_access_key: {{env: S3_SECRET}}\n  plugins:\n    - {{provider: team, path: bq2bq.tar.gz}}\n    - {{provider: team, path: neo.zip}}\n",
        p.plugin_dir().display()
    ));
    let run = |secret: &str| {
        bin()
            .args(["install", "--no-sync", "--retry-deadline", "1", "-c"])
            .arg(p.config())
            .env("S3_SECRET", secret)
            .assert()
    };
    let run_verbose = |secret: &str| {
        bin()
            .args(["install", "-v", "--no-sync", "--retry-deadline", "1", "-c"])
            .arg(p.config())
            .env("S3_SECRET", secret)
            .assert()
    };
    let out = run("wrong-secret-value").code(1);
    let text = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(text.contains("team"), "{text}");
    assert!(
        !text.contains("wrong-secret-value"),
        "secret leaked: {text}"
    );
    assert!(p.snapshot().is_none());

    run(SECRET)
        .success()
        .stdout(predicate::str::contains("Plan: 2 to add,"));
    let snap = p.snapshot().unwrap();
    assert!(snap.contains_key("optimus-plugin-bq2bq.yaml"));
    assert!(snap.contains_key("optimus-neo_linux_amd64"));

    // Unchanged objects: decided from HEAD metadata, no new set.
    let target = std::fs::read_link(p.plugin_dir()).unwrap();
    // Unchanged artifacts are listed, with their reason, at -v only.
    run(SECRET).success().stdout(
        predicate::str::contains("up to date").and(predicate::str::contains("same ETag").not()),
    );
    run_verbose(SECRET)
        .success()
        .stdout(
            predicate::str::contains("up to date").and(predicate::str::contains(
                "  = team:bq2bq.tar.gz  same ETag\n",
            )),
        );
    assert_eq!(std::fs::read_link(p.plugin_dir()).unwrap(), target);

    // A changed object is picked up.
    s3.put(
        "plugins/neo.zip",
        zip_bytes(&plugin_entries("neo", "2.0.0")),
    );
    run(SECRET)
        .success()
        .stdout(predicate::str::contains("1 to change,"));
    let yaml = std::fs::read_to_string(p.plugin_dir().join("optimus-plugin-neo.yaml")).unwrap();
    assert!(yaml.contains("2.0.0"));
}
