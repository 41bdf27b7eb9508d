//! Upstream's acceptance rules, file by file: an error exactly where
//! upstream's loader for the file's format refuses it (yaml.v2
//! `UnmarshalStrict` + `Info.Validate` for the classic format, yaml.v3
//! `Unmarshal` + `Spec.Validate` for the v0.20.7+ spec format), a warning
//! with line:col for everything else we check.

use plugin_spec::{Loaded, Spelling, check_str};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// A classic plugin that upstream loads; tests add lines to it.
const CLASSIC: &str = "\
name: neo
plugintype: task
pluginversion: 1.0.0
image: example/neo:1.0.0
entrypoint:
  script: neo run
";

fn loads(src: &str) -> Loaded {
    check_str(src, "t.yaml")
        .unwrap_or_else(|e| panic!("upstream loads this, we refused:\n{e}\n{src}"))
}

fn refused(src: &str) -> Vec<(u64, u64, String)> {
    match check_str(src, "t.yaml") {
        Ok(l) => panic!("upstream refuses this, we loaded it: {:?}\n{src}", l.plugin),
        Err(e) => e
            .problems()
            .iter()
            .map(|p| (p.line, p.column, p.message.clone()))
            .collect(),
    }
}

/// Loads, with exactly one warning at `line:col` containing `needle`.
fn warns(src: &str, line: u64, col: u64, needle: &str) -> Loaded {
    let l = loads(src);
    let found: Vec<String> = l.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 1, "one warning expected, got {found:?}\n{src}");
    let w = &l.warnings[0];
    assert_eq!((w.line, w.column), (line, col), "{found:?}");
    assert!(w.message.contains(needle), "{found:?} lacks {needle}");
    l
}

fn question(extra: &str) -> String {
    format!("{CLASSIC}questions:\n  - name: A\n    prompt: a?\n{extra}")
}

// --- one model, three formats ------------------------------------------

#[test]
fn three_formats_read_into_one_model() {
    let classic = loads(&fixture("classic.yaml"));
    let design = loads(&fixture("design.yaml"));
    let spec = loads(&fixture("spec.yaml"));
    assert_eq!(classic.spelling, Spelling::Upstream);
    assert_eq!(design.spelling, Spelling::Design);
    assert_eq!(spec.spelling, Spelling::Spec);
    for l in [&classic, &design, &spec] {
        assert!(l.warnings.is_empty(), "{}", l.render_warnings());
    }
    assert_eq!(classic.plugin, design.plugin);
    // The spec format's other versions have no classic spelling.
    let mut from_spec = spec.plugin.clone();
    assert_eq!(from_spec.other_versions.len(), 1);
    assert_eq!(from_spec.other_versions[0].key, "1.9");
    assert_eq!(from_spec.other_versions[0].tag, "1.9.4");
    from_spec.other_versions.clear();
    assert_eq!(from_spec, classic.plugin);
    let p = &classic.plugin;
    assert_eq!(p.asset_parsers[0].parser, "bq");
    assert_eq!(p.asset_parsers[0].evaluators[1].env, "SOURCE_QUERY");
    assert!(p.destination_urn_template.starts_with("bigquery://"));
}

#[test]
fn every_format_written_classic_reads_back_the_same() {
    for name in ["classic.yaml", "design.yaml", "spec.yaml"] {
        let mut plugin = loads(&fixture(name)).plugin;
        plugin.other_versions.clear();
        let written = plugin.to_yaml();
        let back = loads(&written);
        assert_eq!(back.spelling, Spelling::Upstream, "{name}:\n{written}");
        assert_eq!(back.plugin, plugin, "{name}:\n{written}");
    }
}

// --- classic: what yaml.v2 UnmarshalStrict takes -----------------------

#[test]
fn goto_asset_parsers_and_destination_template_load() {
    let l = loads(&format!(
        "{CLASSIC}asset_parsers:\n  maxcompute:\n    - filepath: ./q.sql\n      selector: $.query\n\
         destination_urn_template: maxcompute://{{{{.PROJECT}}}}\n"
    ));
    assert_eq!(l.plugin.asset_parsers[0].evaluators[0].selector, "$.query");
    // An evaluator is strict too.
    let e = refused(&format!("{CLASSIC}asset_parsers:\n  bq:\n    - file: x\n"));
    assert_eq!((e[0].0, e[0].1), (9, 7), "{e:?}");
}

#[test]
fn yaml_1_1_booleans_as_yaml_v2_reads_them() {
    for (word, value) in [
        ("yes", true),
        ("on", true),
        ("Y", true),
        ("TRUE", true),
        ("no", false),
        ("Off", false),
        ("n", false),
    ] {
        let l = loads(&question(&format!("    required: {word}\n")));
        assert_eq!(l.plugin.questions[0].required, value, "{word}");
    }
    // Quoted, it is a string: yaml.v2 refuses it for a bool field.
    let e = refused(&question("    required: \"yes\"\n"));
    assert_eq!((e[0].0, e[0].1), (10, 15), "{e:?}");
}

#[test]
fn a_float_into_an_int_field_is_truncated() {
    let l = loads(&question("    minlength: 3.0\n    maxlength: 7.9\n"));
    assert_eq!(l.plugin.questions[0].min_length, Some(3));
    assert_eq!(l.plugin.questions[0].max_length, Some(7));
    // A string is not an int for yaml.v2.
    let e = refused(&question("    minlength: \"3\"\n"));
    assert!(e[0].2.contains("must be an integer"), "{e:?}");
}

#[test]
fn merge_keys_bom_and_crlf() {
    let merged = "\
base: &base
  script: neo run
name: neo
plugintype: task
pluginversion: 1.0.0
image: example/neo:1.0.0
entrypoint:
  <<: *base
  shell: /bin/bash
";
    // `base` is not a plugin key: the classic format refuses it. Put the
    // anchor inside a known key instead.
    assert!(!refused(merged).is_empty());
    let inside = "\
name: neo
plugintype: task
pluginversion: &v 1.0.0
image: example/neo:1.0.0
entrypoint:
  <<: {script: neo run}
  shell: /bin/bash
dependson: [*v]
";
    let l = loads(inside);
    let ep = l.plugin.entrypoint.expect("entrypoint");
    assert_eq!(
        (ep.shell.as_str(), ep.script.as_str()),
        ("/bin/bash", "neo run")
    );
    assert_eq!(l.plugin.depends_on, ["1.0.0"]);

    let crlf = format!("\u{feff}{}", CLASSIC.replace('\n', "\r\n"));
    assert_eq!(loads(&crlf).plugin, loads(CLASSIC).plugin);
}

#[test]
fn scalars_keep_their_text_and_null_is_empty() {
    let l = loads(&CLASSIC.replace("1.0.0\nimage", "1.10\nimage"));
    assert_eq!(l.plugin.version, "1.10");
    let e = refused(&CLASSIC.replace("image: example/neo:1.0.0", "image: ~"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].2.contains("missing `image`"), "{e:?}");
}

#[test]
fn plugintype_is_case_sensitive_and_required() {
    let e = refused(&CLASSIC.replace("plugintype: task", "plugintype: Task"));
    assert_eq!((e[0].0, e[0].1), (2, 13), "{e:?}");
    let e = refused(&CLASSIC.replace("plugintype: task\n", ""));
    assert!(e[0].2.contains("plugintype"), "{e:?}");
}

#[test]
fn unknown_and_duplicate_keys_are_errors_in_the_classic_format() {
    let e = refused(&format!("{CLASSIC}imagee: x\n"));
    assert_eq!((e[0].0, e[0].1), (7, 1), "{e:?}");
    let e = refused(&format!("{CLASSIC}name: other\n"));
    assert!(e[0].2.contains("duplicate key `name`"), "{e:?}");
}

#[test]
fn missing_script_is_an_error() {
    let e = refused(&CLASSIC.replace("  script: neo run\n", "  shell: /bin/sh\n"));
    assert!(e[0].2.contains("script"), "{e:?}");
}

// --- classic: what upstream takes and we only warn about ---------------

#[test]
fn negative_length_is_a_warning() {
    let l = warns(&question("    minlength: -1\n"), 10, 16, "negative");
    assert_eq!(l.plugin.questions[0].min_length, Some(-1));
}

#[test]
fn unusual_names_are_warnings() {
    warns(
        &CLASSIC.replace("name: neo", "name: Neo.v2"),
        1,
        7,
        "portable",
    );
    let long = "n".repeat(65);
    warns(
        &CLASSIC.replace("name: neo", &format!("name: {long}")),
        1,
        7,
        "portable",
    );
}

#[test]
fn hooktype_rules_are_warnings() {
    warns(
        &format!("{CLASSIC}hooktype: pre\n"),
        7,
        11,
        "only for hooks",
    );
    warns(
        &CLASSIC.replace("plugintype: task", "plugintype: hook"),
        1,
        1,
        "pre, post or fail",
    );
    warns(
        &format!(
            "{}hooktype: before\n",
            CLASSIC.replace("plugintype: task", "plugintype: hook")
        ),
        7,
        11,
        "pre, post or fail",
    );
}

#[test]
fn duplicate_questions_and_config_names_are_warnings() {
    let src = format!("{}  - name: A\n", question(""));
    warns(&src, 10, 11, "duplicate question name");
    let src =
        format!("{CLASSIC}defaultconfig:\n  - {{name: X, value: a}}\n  - {{name: X, value: b}}\n");
    warns(&src, 9, 12, "duplicate name `X`");
}

#[test]
fn default_outside_the_options_is_a_warning() {
    warns(
        &question("    multiselect: [a, b]\n    default: c\n"),
        11,
        14,
        "not one of its options",
    );
}

#[test]
fn regexps_follow_go_rules() {
    // Valid in Go, refused by Rust's regex: no warning.
    for re in [r"'^\Qa.b\E$'", "'^a{,3}$'", r"'^\<x\>$'"] {
        let l = loads(&question(&format!("    regexp: {re}\n")));
        assert!(l.warnings.is_empty(), "{re}: {}", l.render_warnings());
    }
    // Refused by Go (Rust takes them): a warning at the regexp.
    for re in [
        "'a{1001}'",
        "'(a{500}){3}'",
        "'x**'",
        "'x*+'",
        "'a{2}{3}'",
        "'('",
    ] {
        warns(
            &question(&format!("    regexp: {re}\n")),
            10,
            13,
            "not a valid Go regexp",
        );
    }
}

#[test]
fn a_second_document_is_a_warning() {
    let src = format!("{CLASSIC}---\nname: other\n");
    let l = warns(&src, 7, 1, "second YAML document");
    assert_eq!(l.plugin.name, "neo");
    // Even one with a YAML error: upstream never reads it.
    let src = format!("{CLASSIC}---\nname: [\n");
    warns(&src, 7, 1, "second YAML document");
}

#[test]
fn file_name_other_than_the_plugin_name_is_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("optimus-plugin-foo.yaml");
    std::fs::write(&path, CLASSIC).expect("write");
    let l = plugin_spec::check_file(&path).expect("loads");
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].message.contains("optimus-plugin-neo.yaml"));
}

#[test]
fn messages_have_no_parser_hints() {
    for src in ["name: [\n", "a: b\n---\n- [\n", "\t- x\n"] {
        if let Err(e) = check_str(src, "t.yaml") {
            let text = e.to_string();
            assert!(!text.contains("from_str"), "{text}");
            assert!(text.starts_with("t.yaml:"), "{text}");
        }
    }
}

// --- the v0.20.7+ spec format ------------------------------------------

const SPEC: &str = "\
version: 1
name: neo
plugin_versions:
  default:
    image: example/neo
    tag: 1.0.0
    entrypoint:
      script: neo run
";

#[test]
fn spec_format_loads_with_defaults() {
    let l = loads(SPEC);
    assert_eq!(l.spelling, Spelling::Spec);
    assert_eq!(l.plugin.image, "example/neo:1.0.0");
    assert_eq!(l.plugin.version, "1.0.0");
    let ep = l.plugin.entrypoint.expect("entrypoint");
    assert_eq!(ep.shell, "/bin/sh");
}

#[test]
fn spec_format_unknown_keys_are_warnings() {
    let l = loads(&format!("{SPEC}plugintype: task\nquestions: []\n"));
    let at: Vec<(u64, u64)> = l.warnings.iter().map(|w| (w.line, w.column)).collect();
    assert_eq!(at, [(9, 1), (10, 1)], "{}", l.render_warnings());
    warns(
        &SPEC.replace("    tag:", "    tags: x\n    tag:"),
        6,
        5,
        "unknown key `tags`",
    );
}

#[test]
fn spec_format_validate_rules_are_errors() {
    let e = refused(&SPEC.replace("version: 1", "version: 0"));
    assert_eq!((e[0].0, e[0].1), (1, 10), "{e:?}");
    let e = refused(&SPEC.replace("version: 1", "version: one"));
    assert!(e[0].2.contains("integer"), "{e:?}");
    let e = refused(&SPEC.replace("name: neo", "name: ''"));
    assert!(e[0].2.contains("missing `name`"), "{e:?}");
    let e = refused(&SPEC.replace("  default:", "  v1:"));
    assert!(e[0].2.contains("default"), "{e:?}");
    let e = refused(&SPEC.replace("    tag: 1.0.0\n", ""));
    assert!(e[0].2.contains("plugin_versions.default.tag"), "{e:?}");
    let e = refused(&SPEC.replace("image: example/neo", "image: ~"));
    assert!(e[0].2.contains("plugin_versions.default.image"), "{e:?}");
    let e = refused(&SPEC.replace("      script: neo run", "      shell: /bin/sh"));
    assert!(e[0].2.contains("entrypoint.script"), "{e:?}");
    let e = refused(&format!("{SPEC}name: again\n"));
    assert!(e[0].2.contains("duplicate key"), "{e:?}");
    // A whole float is an int for yaml.v3 too.
    assert_eq!(
        loads(&SPEC.replace("version: 1", "version: 1.0")).spelling,
        Spelling::Spec
    );
}

#[test]
fn spec_format_default_config_keeps_file_order() {
    let l = loads(&format!("{SPEC}default_config:\n  Z: 1\n  A: ~\n"));
    let names: Vec<(&str, &str)> = l
        .plugin
        .default_config
        .iter()
        .map(|nv| (nv.name.as_str(), nv.value.as_str()))
        .collect();
    assert_eq!(names, [("Z", "1"), ("A", "")]);
}

// --- the one definition of a plugin file -------------------------------

#[test]
fn plugin_files_are_found_as_upstream_finds_them() {
    use plugin_spec::files;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for name in [
        "optimus-plugin-a.yaml",
        "optimus-plugin-a_x.yaml",
        "optimus-plugin-b.yml",
        "optimus-plugin-c.YAML",
        "plugin-d.yaml",
    ] {
        std::fs::write(d.join(name), CLASSIC).expect("write");
    }
    std::fs::create_dir(d.join("optimus-plugin-dir.yaml")).expect("mkdir");
    let found = files::discover(d).expect("discover");
    let names: Vec<&str> = found.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["optimus-plugin-a.yaml"]);
    assert_eq!(found.skipped.len(), 1, "{found:?}");
    assert_eq!(found.skipped[0].0, "optimus-plugin-a_x.yaml");

    let dups = files::duplicate_names(&[("f1", "neo"), ("f2", "other"), ("f3", "neo")]);
    assert_eq!(dups, [("f3", "f1", "neo")]);
}
