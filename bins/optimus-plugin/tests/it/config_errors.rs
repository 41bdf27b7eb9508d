//! A mistake in the config: every command that reads it prints one
//! rustc-style block (`error:`, `--> file:line:col`, the line with `^`
//! under the mistake, `help:`), exits 2, never panics, and never shows a
//! secret of the config, in text or JSON logs.

use crate::support::{Project, bin, plugin_yaml};

/// Runs `args` with `-c optimus.yaml` in the project, returning (exit
/// code, stderr).
fn run(p: &Project, args: &[&str]) -> (i32, String) {
    let out = bin()
        .args(args)
        .args(["-c", "optimus.yaml"])
        .current_dir(p.root())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Every command reading the manager config.
const COMMANDS: &[&[&str]] = &[
    &["install", "--dry-run"],
    &["install", "--no-sync"],
    &["lock"],
    &["list"],
    &["verify"],
];

const UNKNOWN_TYPE: &str = "\
server:
  port: 9100
plugins:
  providers:
    - type: locl
      name: dist
      path: artifacts
  plugins:
    - provider: dist
      path: optimus-plugin-neo.yaml
";

#[test]
fn every_command_shows_the_same_block_and_exits_2() {
    let p = Project::new();
    p.write_config(UNKNOWN_TYPE);
    for args in COMMANDS {
        let (code, stderr) = run(&p, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(
            stderr,
            "\
error: unknown value `locl` for `type`
 --> optimus.yaml:5:13
  |
5 |     - type: locl
  |             ^^^^
  |
  = help: did you mean \"local\"?
",
            "{args:?}"
        );
    }
}

/// The cases of the issue, as `install --dry-run` prints them.
#[test]
fn config_mistakes_as_blocks() {
    let cases = [
        ("unknown_type", UNKNOWN_TYPE.to_owned()),
        (
            "undefined_provider",
            UNKNOWN_TYPE
                .replace("type: locl", "type: local")
                .replace("provider: dist", "provider: dsit"),
        ),
        ("section_is_a_list", "plugins:\n  - name: x\n".to_owned()),
        (
            "missing_key",
            UNKNOWN_TYPE
                .replace("type: locl", "type: local")
                .replace("      path: optimus-plugin-neo.yaml\n", ""),
        ),
        (
            "unknown_key",
            "plugins:\n  plugin_dri: /app/plugins\n".to_owned(),
        ),
        ("not_yaml", "plugins: [\n".to_owned()),
        (
            "bad_url",
            "plugins:\n  providers:\n    - type: http\n      name: web\n      url: \"not a url\"\n  plugins:\n    - {provider: web, path: a.tar.gz}\n".to_owned(),
        ),
        (
            "bad_endpoint",
            "plugins:\n  providers:\n    - type: s3\n      name: s3\n      bucket: b\n      endpoint: \"localhost:9000\"\n  plugins:\n    - {provider: s3, path: a.tar.gz}\n".to_owned(),
        ),
        (
            "bad_archive",
            UNKNOWN_TYPE
                .replace("type: locl", "type: local")
                .replace("path: optimus-plugin-neo.yaml", "path: neo.rar\n      archive: rar"),
        ),
        (
            "bad_source_archive",
            "plugin:\n  artifacts:\n    - ./neo.bin?archive=rar\n".to_owned(),
        ),
    ];
    for (name, yaml) in cases {
        let p = Project::new();
        p.write_config(&yaml);
        let (code, stderr) = run(&p, &["install", "--dry-run"]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            !stderr.contains("at line"),
            "{name}: position repeated: {stderr}"
        );
        assert!(stderr.contains(" --> optimus.yaml:"), "{name}: {stderr}");
        insta::assert_snapshot!(format!("config_{name}"), stderr);
    }
}

/// Secret values (inline tokens, SAS, keys, URL credentials) appear in no
/// block, even on the line at fault or when their key is misspelt.
#[test]
fn no_block_shows_a_secret() {
    let secrets = [
        "tok-1x9",
        "hunter2x",
        "sv=2024&sig=abcdef",
        "AKIAXXSECRET",
        "c2VjcmV0",
    ];
    let configs = [
        "plugins:\n  providers:\n    - type: http\n      name: web\n      url: https://ci:hunter2x@h.example/p/\n      auth:\n        bearr: tok-1x9\n",
        "plugins:\n  providers:\n    - type: http\n      name: web\n      url: https://h.example/p/\n      auth: {bearer: tok-1x9, basic: {username: u, password: hunter2x}}\n",
        "plugins:\n  providers:\n    - type: azure\n      name: az\n      container: c\n      sas_tokn: \"sv=2024&sig=abcdef\"\n",
        "plugins:\n  providers:\n    - type: s3\n      name: s3\n      bucket: b\n      access_key_id: AKIAXXSECRET\n",
        "plugins:\n  providers:\n    - type: gcs\n      name: g\n      service_account: c2VjcmV0\n      buckt: b\n",
        "plugin:\n  artifacts:\n    - ftp://ci:hunter2x@h.example/x.tgz?token=tok-1x9\n",
    ];
    for yaml in configs {
        let p = Project::new();
        p.write_config(yaml);
        for format in ["text", "json"] {
            let (code, stderr) = run(&p, &["install", "--dry-run", "--log-format", format]);
            assert_eq!(code, 2, "{yaml}: {stderr}");
            for s in secrets {
                assert!(!stderr.contains(s), "{s} shown for\n{yaml}:\n{stderr}");
            }
        }
        let (_, stderr) = run(&p, &["install", "--dry-run"]);
        assert!(stderr.contains(" --> optimus.yaml:"), "{yaml}: {stderr}");
    }
}

/// `--log-format json`: one JSON object with the place as fields.
#[test]
fn json_logs_carry_the_place_as_fields() {
    let p = Project::new();
    p.write_config(UNKNOWN_TYPE);
    let (code, stderr) = run(&p, &["install", "--dry-run", "--log-format", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["level"], "ERROR");
    assert_eq!(v["message"], "unknown value `locl` for `type`");
    assert_eq!(v["file"], "optimus.yaml");
    assert_eq!(
        (v["line"].as_u64(), v["column"].as_u64()),
        (Some(5), Some(13))
    );
    assert_eq!(v["help"], "did you mean \"local\"?");
}

/// Output cut short by its reader (`| head`) ends quietly with exit code 0:
/// no panic, no "Broken pipe" message.
#[test]
fn a_closed_stdout_ends_quietly() {
    let p = Project::new();
    for i in 0..40 {
        p.artifact(
            &format!("optimus-plugin-p{i}.yaml"),
            plugin_yaml(&format!("p{i}"), "1.0.0").as_bytes(),
        );
    }
    let names: Vec<String> = (0..40)
        .map(|i| format!("optimus-plugin-p{i}.yaml"))
        .collect();
    p.local_config(&names.iter().map(String::as_str).collect::<Vec<_>>());
    p.install().success();
    let exe = assert_cmd::cargo::cargo_bin("optimus-plugin");
    let dir = p.plugin_dir();
    let artifacts = p.root().join("artifacts");
    let commands = [
        format!("list --plugin-dir {}", dir.display()),
        format!("list --plugin-dir {} --output json", dir.display()),
        format!("validate --path {}", artifacts.display()),
        format!("verify --plugin-dir {}", dir.display()),
        format!("lock -c {}", p.config().display()),
        format!("install --no-sync --dry-run -v -c {}", p.config().display()),
        "completions bash".to_owned(),
        "--help".to_owned(),
        "install --help".to_owned(),
    ];
    for command in commands {
        // The reader is gone before the first write: every write fails.
        let script = format!("{{ sleep 0.2; \"$0\" {command}; echo \"rc=$?\" >&2; }} | true");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg(&exe)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        assert!(
            !stderr.to_lowercase().contains("broken pipe"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("rc=0"), "{command}: {stderr}");
        // And as people type it: a reader that takes one byte.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("\"$0\" {command} | head -c1 >/dev/null"))
            .arg(&exe)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
}

/// `sync -c`: the client config's mistakes get the same block, secrets
/// masked.
#[test]
fn sync_client_config_mistakes_as_blocks() {
    let p = Project::new();
    p.write_config("host: [localhost:9100\nauth:\n  token: tok-1x9\n");
    let (code, stderr) = run(&p, &["sync", "--plugin-dir", "plugins"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("tok-1x9"), "{stderr}");
    assert!(!stderr.contains("<input>"), "{stderr}");
    insta::assert_snapshot!("sync_client_config", stderr);
}
