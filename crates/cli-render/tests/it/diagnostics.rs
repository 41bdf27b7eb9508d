//! `validate`'s diagnostics: one block per problem, then the summary.

use std::path::Path;

use cli_render::diagnostic;

use crate::STYLES;

const OK: &str = "\
name: hello
plugintype: task
pluginversion: 1.0.0
image: busybox:1.36
entrypoint:
  script: echo hello
";

/// A folder with a valid plugin, one with two errors (an unknown key with
/// a close match, a wrong type) and a warning, one with a warning only, and
/// a YAML file upstream ignores.
fn folder(dir: &Path) {
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("write");
    write("optimus-plugin-hello.yaml", OK);
    write(
        "optimus-plugin-bad.yaml",
        "name: bad\nplugintype: task\npluginversion: [1]\nimage: i\nentrypoint:\n  script: s\n\
         defaultconfg:\n  - name: A\nquestions:\n  - name: Q\n    regexp: '('\n",
    );
    write(
        "optimus-plugin-neo.yaml",
        "name: Neo\nplugintype: task\npluginversion: 1.0.0\nimage: neo:1\nentrypoint:\n  script: run\n",
    );
    write("notes.yaml", "not: a plugin\n");
}

/// The report of the folder, its files named `plugins/...`.
fn rendered(style: cli_render::Style) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    folder(dir.path());
    let mut report = plugin_spec::check_path(dir.path()).expect("check");
    let prefix = dir.path().display().to_string();
    for f in &mut report.files {
        f.file = f.file.replace(&prefix, "plugins");
    }
    let read = |name: &str| std::fs::read_to_string(name.replace("plugins", &prefix)).ok();
    diagnostic::report(&report, read, style)
}

#[test]
fn validate_folder() {
    for (name, style) in STYLES {
        insta::assert_snapshot!(format!("validate_folder_{name}"), rendered(style));
    }
}

#[test]
fn piped_output_is_plain_ascii_with_markers_and_summary() {
    let text = rendered(cli_render::Style::plain());
    assert!(text.is_ascii(), "{text}");
    assert!(!text.contains('\x1b'), "no colour when piped: {text}");
    assert!(text.contains("error: unknown key `defaultconfg` in the plugin\n"));
    assert!(text.contains("--> plugins/optimus-plugin-bad.yaml:7:1\n"));
    assert!(text.contains("7 | defaultconfg:\n"));
    assert!(text.contains("  | ^^^^^^^^^^^^\n"));
    assert!(text.contains("= help: did you mean \"defaultconfig\"?"));
    assert!(text.ends_with("4 files: 3 ok, 1 with 2 errors, 4 warnings\n"), "{text}");
}

#[test]
fn a_file_that_cannot_be_read_again_still_names_its_position() {
    let report = plugin_spec::check_paths(Vec::<&Path>::new()).expect("none");
    assert_eq!(diagnostic::summary(&report), "0 files: 0 ok, 0 warnings");
    let err = plugin_spec::load_str("name: neo\nimagee: x\n", "p.yaml").expect_err("refused");
    let p = &err.problems()[0];
    let text = diagnostic::problem(
        "p.yaml",
        None,
        p,
        plugin_spec::Severity::Error,
        cli_render::Style::plain(),
    );
    insta::assert_snapshot!(text);
}
