//! `optimus-plugin validate` through the binary: output lines, JSON report
//! and exit codes.

use std::path::Path;

use assert_cmd::Command;

const VALID: &str = "\
name: hello
plugintype: task
pluginversion: 1.0.0
image: busybox:1.36
entrypoint:
  script: echo hello
";

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("optimus-plugin").expect("binary");
    cmd.env_remove("OPTIMUS_PLUGIN_DIR")
        .env_remove("OPTIMUS_OUTPUT");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn bundled_examples_are_valid() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plugins");
    let out = bin()
        .args(["validate", "--path", examples])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 5, "{stdout}");
    let (summary, files) = lines.split_last().expect("a summary line");
    assert!(files.iter().all(|l| l.starts_with("ok ")), "{stdout}");
    let n = files.len();
    assert_eq!(
        *summary,
        format!("{n} files: {n} ok, 0 warnings"),
        "{stdout}"
    );
    assert!(stdout.contains("optimus-plugin-bq2bq.yaml (bq2bq 0.3.2, task)"));
    assert!(stdout.contains("optimus-plugin-predator.yaml (predator 0.2.1, hook)"));
}

#[test]
fn one_line_per_file_with_every_problem_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-hello.yaml", VALID);
    write(
        dir.path(),
        "optimus-plugin-bad.yaml",
        "name: bad\nplugintype: task\npluginversion: 1\nimage: i\nentrypoint: {script: s}\nimagee: x\nquestions:\n  - name: A\n    regexp: '('\n",
    );
    write(dir.path(), "notes.txt", "not a plugin");
    write(dir.path(), ".state.yaml", "hidden: state");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    write(
        &dir.path().join("sub"),
        "optimus-plugin-deep.yaml",
        "not: checked",
    );

    let out = bin()
        .args(["validate", "--path"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Only the two top-level *.yaml files: one block per finding of the
    // bad one, an `ok` line for the other, one summary line.
    assert!(
        stdout.ends_with("2 files: 1 ok, 1 with 1 error, 1 warning\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("deep"), "{stdout}");
    let blocks: Vec<&str> = stdout.split("\n\n").collect();
    assert_eq!(blocks.len(), 3, "{stdout}");
    assert!(
        blocks[0].starts_with("error: unknown key `imagee` in the plugin\n"),
        "{stdout}"
    );
    assert!(
        blocks[0].contains("optimus-plugin-bad.yaml:6:1\n"),
        "{stdout}"
    );
    assert!(blocks[0].contains("6 | imagee: x\n  | ^^^^^^"), "{stdout}");
    assert!(
        blocks[0].contains("help: did you mean \"image\"?"),
        "{stdout}"
    );
    // The regexp only fails when upstream's CLI asks the question: a warning.
    assert!(
        blocks[1].starts_with("warning: `regexp` of question `A` is not a valid Go regexp"),
        "{stdout}"
    );
    assert!(
        blocks[1].contains("optimus-plugin-bad.yaml:9:13\n"),
        "{stdout}"
    );
    assert!(
        blocks[2].starts_with("ok ") && blocks[2].contains("(hello 1.0.0, task)"),
        "{stdout}"
    );
}

#[test]
fn plugin_dir_is_the_default_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-hello.yaml", VALID);
    bin()
        .arg("--plugin-dir")
        .arg(dir.path())
        .arg("validate")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("(hello 1.0.0, task)"));
    // With neither --path nor --plugin-dir: .plugins in the working directory.
    std::fs::create_dir(dir.path().join(".plugins")).expect("mkdir");
    write(
        &dir.path().join(".plugins"),
        "optimus-plugin-hello.yaml",
        VALID,
    );
    bin()
        .current_dir(dir.path())
        .arg("validate")
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            ".plugins/optimus-plugin-hello.yaml",
        ));
}

#[test]
fn missing_path_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    bin()
        .args(["validate", "--path"])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(missing.display().to_string()));
}

#[test]
fn file_name_other_than_the_plugin_name_is_a_warning_strict_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-other.yaml", VALID);
    let file = dir.path().join("optimus-plugin-other.yaml");
    // Upstream loads it (it checks only the prefix and suffix).
    bin()
        .args(["validate", "--path"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicates::str::contains("warning: the file is named"))
        .stdout(predicates::str::contains("1 file: 1 ok, 1 warning"))
        .stdout(predicates::str::contains(
            "optimus-plugin-hello.yaml is the name every tool expects",
        ));
    bin()
        .args(["validate", "--strict", "--path"])
        .arg(&file)
        .assert()
        .code(1);
}

#[test]
fn folder_rules_are_upstreams() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-hello.yaml", VALID);
    // Not a plugin file for upstream: a warning, never parsed.
    write(dir.path(), "optimus-plugin-yml.yml", "name: [\n");
    // The v0.20.7+ format loads.
    write(
        dir.path(),
        "optimus-plugin-lake.yaml",
        "version: 1\nname: lake\nplugin_versions:\n  default: {image: ex/lake, tag: '2', entrypoint: {script: run}}\n",
    );
    let out = bin()
        .args(["validate", "--path"])
        .arg(dir.path())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("ok ") && stdout.contains("optimus-plugin-lake.yaml (lake 2, task)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: not a plugin file")
            && stdout.contains("--> ")
            && stdout.contains("optimus-plugin-yml.yml\n"),
        "{stdout}"
    );
    // Two files naming one plugin: upstream's server refuses the folder.
    write(dir.path(), "optimus-plugin-hello2.yaml", VALID);
    let out = bin()
        .args(["validate", "--path"])
        .arg(dir.path())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("plugin `hello` is also defined by"),
        "{stdout}"
    );
}

#[test]
fn json_report_lists_problems_with_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "optimus-plugin-hello.yaml", VALID);
    write(
        dir.path(),
        "optimus-plugin-dup.yaml",
        "name: dup\nname: again\n",
    );
    let out = bin()
        .args(["--output", "json", "validate", "--path"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["valid"], false);
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["valid"], false);
    let dup = files[0]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .find(|p| {
            p["message"]
                .as_str()
                .is_some_and(|m| m.contains("duplicate key `name`"))
        })
        .expect("duplicate key problem");
    assert_eq!(
        (dup["line"].as_u64(), dup["column"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(files[1]["valid"], true);
    assert_eq!(files[1]["name"], "hello");
    assert_eq!(files[1]["spelling"], "upstream");
}
