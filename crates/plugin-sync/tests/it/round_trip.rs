//! `serve` and the sync client together, in process: a real axum server on
//! 127.0.0.1 hands out one folder's YAML plugins and `sync` mirrors them
//! into another folder, keeping every file that is not a YAML plugin.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use plugin_sync::client::{SyncOptions, plugins_url, sync};
use plugin_sync::serve::PluginServer;
use testkit::http::Server;

fn plugin(name: &str, version: &str) -> String {
    format!(
        "name: {name}\nplugintype: task\npluginversion: {version}\nimage: example/{name}:{version}\nentrypoint:\n  script: {name} run\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn start(dir: &Path) -> (Arc<PluginServer>, Server) {
    let plugins = PluginServer::new(dir);
    let server = Server::start(plugin_sync::serve::router(Arc::clone(&plugins)));
    (plugins, server)
}

#[tokio::test]
async fn a_synced_folder_follows_the_served_one_and_keeps_its_binaries() {
    let served = tempfile::tempdir().expect("tempdir");
    let root = tempfile::tempdir().expect("tempdir");
    let local = root.path().join("plugins");
    write(
        served.path(),
        "optimus-plugin-neo.yaml",
        &plugin("neo", "1.0.0"),
    );
    write(
        served.path(),
        "optimus-plugin-bq.yaml",
        &plugin("bq", "0.3.2"),
    );
    let (plugins, http) = start(served.path());
    let opts = SyncOptions::new(plugins_url(&http.host()).expect("url"), &local);

    // First sync: both plugins arrive byte for byte.
    let report = sync(&opts).await.expect("first sync");
    assert_eq!(report.http_status, 200);
    let mut added: Vec<_> = report.added.iter().map(|c| c.name.as_str()).collect();
    added.sort_unstable();
    assert_eq!(added, ["bq", "neo"]);
    for file in ["optimus-plugin-neo.yaml", "optimus-plugin-bq.yaml"] {
        assert_eq!(
            std::fs::read(local.join(file)).expect("synced file"),
            std::fs::read(served.path().join(file)).expect("served file"),
            "{file}"
        );
    }

    // A binary beside the plugins is the user's: sync keeps it.
    write(&local, "optimus-neo_linux_amd64", "#!/bin/sh\n");

    // Nothing changed on the server: one 304, nothing written.
    let again = sync(&opts).await.expect("second sync");
    assert_eq!(again.http_status, 304);
    assert!(!again.changed());
    assert_eq!(plugins.stats().not_modified.load(Ordering::Relaxed), 1);

    // The server's set changes: one plugin updated, one gone, one new.
    write(
        served.path(),
        "optimus-plugin-neo.yaml",
        &plugin("neo", "1.1.0"),
    );
    std::fs::remove_file(served.path().join("optimus-plugin-bq.yaml")).expect("remove");
    write(
        served.path(),
        "optimus-plugin-lake.yaml",
        &plugin("lake", "2.0.0"),
    );
    let third = sync(&opts).await.expect("third sync");
    assert_eq!(third.http_status, 200);
    assert_eq!(third.added.len(), 1, "{third:?}");
    assert_eq!(third.added[0].name, "lake");
    assert_eq!(third.removed.len(), 1, "{third:?}");
    assert_eq!(third.removed[0].name, "bq");
    assert_eq!(third.updated.len(), 1, "{third:?}");
    assert_eq!(
        (
            third.updated[0].old_version.as_str(),
            third.updated[0].new_version.as_str()
        ),
        ("1.0.0", "1.1.0")
    );
    assert!(!local.join("optimus-plugin-bq.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(local.join("optimus-neo_linux_amd64")).expect("binary kept"),
        "#!/bin/sh\n"
    );
    // No staging folder is left beside the plugin folder.
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".sync-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_server_that_is_down_fails_after_its_attempts_and_leaves_the_folder_alone() {
    // A port that was free a moment ago: connections are refused.
    let host = testkit::free_port().to_string();
    let root = tempfile::tempdir().expect("tempdir");
    let local = root.path().join("plugins");
    std::fs::create_dir(&local).expect("mkdir");
    write(&local, "optimus-plugin-old.yaml", &plugin("old", "1.0.0"));

    let mut opts = SyncOptions::new(plugins_url(&host).expect("url"), &local);
    opts.max_attempts = 2;
    opts.retry_budget = std::time::Duration::from_secs(10);
    let err = sync(&opts).await.expect_err("nobody listens");
    let msg = err.to_string();
    assert!(!err.is_config(), "{msg}");
    assert!(
        msg.starts_with(&format!("cannot download http://{host}/plugins")),
        "{msg}"
    );
    assert!(msg.ends_with("(after 2 attempts)"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(local.join("optimus-plugin-old.yaml")).expect("kept"),
        plugin("old", "1.0.0")
    );
}
