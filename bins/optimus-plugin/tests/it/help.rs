//! `--help` tells the truth: each subcommand shows its details, exit codes,
//! endpoints and examples; `--plugin-dir` states each command's own
//! default; defaults are shown; progress lines follow `-v`.
#![allow(clippy::unwrap_used)]

use crate::support::{Project, bin, plugin_entries, targz};

/// `--help` output with runs of whitespace as one space (the text is
/// wrapped to the terminal width).
fn help(args: &[&str]) -> String {
    let out = bin().args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn each_subcommand_help_shows_its_details_exit_codes_and_examples() {
    let cases: &[(&str, &[&str])] = &[
        (
            "install",
            &[
                "Plugins no longer in the",
                "Exit codes: 0 installed or up to date, 1",
                "optimus-plugin install -c /etc/optimus/optimus.yaml",
                "--rollback --plugin-dir",
            ],
        ),
        (
            "list",
            &[
                "\"plugins\": [...]",
                "Exit codes: 0 listed",
                "optimus-plugin list --plugin-dir /app/plugins --output json",
            ],
        ),
        (
            "lock",
            &[
                "install --locked",
                "Exit codes: 0 written",
                "optimus-plugin lock -c optimus.yaml && git add optimus-plugins.lock",
            ],
        ),
        (
            "verify",
            &[
                "changed, missing or extra",
                "Exit codes: 0 every file matches, 1",
                "optimus-plugin verify --plugin-dir /app/plugins",
            ],
        ),
        (
            "serve",
            &[
                "GET /plugins",
                "GET /plugins/index.json",
                "GET /healthz",
                "SIGTERM",
                "optimus-plugin serve --addr 0.0.0.0:9100",
            ],
        ),
        (
            "sync",
            &[
                "Nothing changes if anything fails",
                "Exit codes: 0 synced or up to date",
                "optimus-plugin sync --host optimus.example.org:9100",
            ],
        ),
        ("validate", &["Exits 0 when no file has an error"]),
        ("completions", &["optimus-plugin completions bash"]),
    ];
    for (sub, wanted) in cases {
        let text = help(&[sub]);
        for w in *wanted {
            assert!(text.contains(w), "`{sub} --help` lacks {w:?}:\n{text}");
        }
    }
}

#[test]
fn plugin_dir_help_states_each_commands_own_default() {
    let install = help(&["install"]);
    assert!(
        install.contains("--plugin-dir: default the config's plugin_dir, else .plugins."),
        "{install}"
    );
    for sub in ["list", "verify"] {
        let text = help(&[sub]);
        assert!(
            text.contains("--plugin-dir: default the plugin_dir of --config, else .plugins."),
            "{sub}: {text}"
        );
    }
    // These read no plugin_dir from any config.
    for sub in ["sync", "serve"] {
        let text = help(&[sub]);
        assert!(!text.contains("config's plugin_dir"), "{sub}: {text}");
        assert!(
            text.contains("--plugin-dir: default .plugins"),
            "{sub}: {text}"
        );
    }
    assert!(help(&["lock"]).contains("--plugin-dir is not used"));
    let top = help(&[]);
    assert!(
        top.contains("[default: per command, see its --help"),
        "{top}"
    );
    assert!(!top.contains("config's plugin_dir"), "{top}");
}

#[test]
fn sync_max_bytes_states_its_default() {
    let text = help(&["sync"]);
    let from = text.find("--max-bytes").unwrap();
    let next = text[from..].find(" --").map_or(text.len(), |i| from + i);
    let entry = &text[from..next];
    assert!(entry.contains("[default: 67108864]"), "{entry}");
}

#[test]
fn progress_lines_are_info_level_shown_with_v_only() {
    let p = Project::new();
    p.artifact("bq2bq.tar.gz", &targz(&plugin_entries("bq2bq", "0.3.2")));
    p.local_config(&["bq2bq.tar.gz"]);
    let run = |extra: &[&str]| {
        let out = bin()
            .args(["install", "--no-sync", "--force", "--log-format", "json"])
            .args(extra)
            .arg("-c")
            .arg(p.config())
            .env_remove("RUST_LOG")
            .current_dir(p.root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    // Default: warnings only, so nothing on stderr for a clean install.
    let quiet = run(&[]);
    assert_eq!(quiet, "", "stderr without -v");
    // -v: one JSON object per event.
    let verbose = run(&["-v"]);
    let messages: Vec<String> = verbose
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["level"] == "INFO")
        .map(|v| v["message"].as_str().unwrap().to_owned())
        .collect();
    for m in ["plan", "downloading", "downloaded"] {
        assert!(messages.iter().any(|x| x == m), "{m} in {messages:?}");
    }
}
