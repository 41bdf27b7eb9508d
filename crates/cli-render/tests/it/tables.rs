//! Tables: widths from the content, `-` for empty, cut to fit.

use cli_render::table::Table;

fn plugins() -> Table {
    let mut t =
        Table::new(&cli_render::table::PLUGIN_HEADERS).fixed(&cli_render::table::PLUGIN_FIXED);
    t.row([
        "bq2bq",
        "task",
        "0.3.2",
        "docker.io/gotocompany/optimus-task-bq2bq-executor:0.3.2",
        "gs://plugins-bucket/releases/2026-11/bq2bq_0.3.2_linux_amd64.tar.gz",
        "9f86d081884c",
        "3 minutes ago",
    ]);
    t.row([
        "predator",
        "hook",
        "0.2.1",
        "predator:0.2.1",
        "web:predator.zip",
        "2c26b46b68ff",
        "2 days ago",
    ]);
    t.row([
        "optimus-plugin-x.yaml",
        "",
        "",
        "",
        "dist:x.tar.gz",
        "fcde2b2edba5",
        "2 days ago",
    ]);
    t
}

#[test]
fn table_fits_or_not() {
    insta::assert_snapshot!("table_uncut", plugins().render(None));
    insta::assert_snapshot!("table_80", plugins().render(Some(80)));
}

#[test]
fn every_line_fits_the_width() {
    for width in [80, 100, 120] {
        let text = plugins().render(Some(width));
        for line in text.lines() {
            assert!(cli_render::table::width(line) <= width, "{width}: {line}");
        }
    }
}

/// `list`'s rows as the binary builds them from the receipts.
fn receipts() -> Vec<serde_json::Value> {
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    vec![
        serde_json::json!({"name": "bq2bq", "type": "task", "version": "0.3.2",
            "image": "docker.io/gotocompany/optimus-task-bq2bq-executor:0.3.2",
            "file": "optimus-plugin-bq2bq.yaml",
            "source": "gs://plugins-bucket/releases/2026-11/bq2bq_0.3.2_linux_amd64.tar.gz",
            "sha256": sha, "installed_at": "2026-12-01T11:57:00Z"}),
        serde_json::json!({"name": null, "type": null, "version": null, "image": null,
            "file": "optimus-bq2bq_linux_amd64", "source": "dist:bq2bq-binary.tar.gz",
            "sha256": sha, "installed_at": "2026-11-28T09:00:00Z"}),
    ]
}

#[test]
fn list_piped_terminal_and_wide() {
    let now = "2026-12-01T12:00:00Z".parse().expect("time");
    for (name, style) in crate::STYLES {
        let text = cli_render::table::plugins_at(&receipts(), false, style, now);
        insta::assert_snapshot!(format!("list_{name}"), text);
    }
    let wide = cli_render::Style::terminal(80, true);
    let text = cli_render::table::plugins_at(&receipts(), true, wide, now);
    assert!(text.contains("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    assert!(
        text.contains("2026-12-01T11:57:00Z"),
        "--wide: the full time: {text}"
    );
    insta::assert_snapshot!("list_wide", text);
}

#[test]
fn verify_findings() {
    let mut report = plugin_manager::VerifyReport::default();
    report.changed.push("optimus-plugin-bq2bq.yaml".into());
    report.missing.push("optimus-bq2bq_linux_amd64".into());
    report.extra.push("stray.txt".into());
    for (name, style) in crate::STYLES {
        insta::assert_snapshot!(
            format!("verify_{name}"),
            cli_render::table::verify(&report, style)
        );
    }
}

#[test]
fn lock_piped_and_terminal() {
    let lock = plugin_manager::LockFile {
        artifacts: vec![
            plugin_manager::LockedArtifact {
                source: "dist:optimus-bq2bq_linux_amd64.tar.gz".into(),
                sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                size: 4_300_123,
            },
            plugin_manager::LockedArtifact {
                source: "https://plugins.example.org/optimus-plugin-hello.yaml".into(),
                sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(),
                size: 412,
            },
        ],
    };
    for (name, style) in crate::STYLES {
        let text = cli_render::table::lock(&lock, "optimus-plugins.lock".as_ref(), style);
        assert!(text.contains("4.1 MiB") && text.contains("412 B"), "{text}");
        insta::assert_snapshot!(format!("lock_{name}"), text);
    }
}

#[test]
fn list_of_an_empty_folder() {
    // The same line piped and on a terminal: nothing to align or colour.
    for (name, _style) in crate::STYLES {
        insta::assert_snapshot!(
            format!("list_empty_{name}"),
            cli_render::table::nothing_installed("/app/plugins".as_ref())
        );
    }
}
