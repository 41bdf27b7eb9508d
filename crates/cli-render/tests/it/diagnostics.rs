//! `validate`'s diagnostics: one block per problem, then the summary.

use std::path::Path;

use cli_render::diagnostic;

use crate::STYLES;

/// The smallest valid plugin, from the examples.
const OK: &str = include_str!("../../../../examples/plugins/optimus-plugin-hello.yaml");

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
    assert!(
        text.ends_with("4 files: 3 ok, 1 with 2 errors, 4 warnings\n"),
        "{text}"
    );
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

#[derive(Debug)]
struct Wrapper(plugin_spec::SpecError);

impl std::fmt::Display for Wrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid YAML plugin optimus-plugin-neo.yaml from dist:neo.tar.gz: {}",
            self.0
        )
    }
}

impl std::error::Error for Wrapper {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn install_load_error_as_blocks() {
    let src = "name: neo\nplugintype: task\nimagee: x\n";
    let err = plugin_spec::load_str(src, "optimus-plugin-neo.yaml").expect_err("refused");
    let wrapped = Wrapper(err);
    for (name, style) in STYLES {
        let text = diagnostic::error_chain(&wrapped, |_| Some(src.to_owned()), style);
        insta::assert_snapshot!(format!("load_error_{name}"), text);
    }
    let plain = diagnostic::error_chain(&wrapped, |_| None, cli_render::Style::plain());
    assert!(
        plain.starts_with(
            "error: invalid YAML plugin optimus-plugin-neo.yaml from dist:neo.tar.gz\n\nerror: "
        ),
        "{plain}"
    );
    assert!(plain.contains("--> optimus-plugin-neo.yaml:3:1"), "{plain}");
    let io = std::io::Error::other("disk full");
    assert_eq!(
        diagnostic::error_chain(&io, |_| None, cli_render::Style::plain()),
        "error: disk full\n"
    );
}
