//! The YAML plugin model through its public API: both spellings, strictness,
//! every validation rule with its position, the round trip and the answers.

use plugin_spec::{Answers, HookType, PluginType, load_str};

/// A valid upstream plugin; tests append or replace lines to break one rule.
const BASE: &str = "\
name: bq2bq
plugintype: task
pluginversion: 0.3.2
image: example/bq2bq:0.3.2
entrypoint:
  script: python3 main.py
";

/// The findings of a source, as `(line, col, text)`: its errors when
/// upstream refuses it, else its warnings (there must be some). The text is
/// the one-line form: the message, then the expected keys and the hint.
fn problems(src: &str) -> Vec<(u64, u64, String)> {
    match plugin_spec::check_str(src, "t.yaml") {
        Ok(l) if l.warnings.is_empty() => panic!("expected problems, got a plugin: {:?}", l.plugin),
        Ok(l) => l
            .warnings
            .iter()
            .map(|p| (p.line, p.column, one_line(p)))
            .collect(),
        Err(e) => e
            .problems()
            .iter()
            .map(|p| (p.line, p.column, one_line(p)))
            .collect(),
    }
}

/// A problem's `Display` without its `line:col: ` prefix.
fn one_line(p: &plugin_spec::Problem) -> String {
    let full = p.to_string();
    let prefix = format!("{}:{}: ", p.line, p.column);
    full.strip_prefix(&prefix).unwrap_or(&full).to_owned()
}

/// Asserts exactly one problem, at `line:col`, whose message contains `needle`.
fn assert_one(src: &str, line: u64, col: u64, needle: &str) {
    let found = problems(src);
    assert_eq!(found.len(), 1, "expected one problem, got {found:#?}");
    let (l, c, msg) = &found[0];
    assert_eq!((*l, *c), (line, col), "position of `{msg}`");
    assert!(msg.contains(needle), "`{msg}` does not contain `{needle}`");
}

#[test]
fn upstream_example_loads_with_defaults() {
    let p = load_str(BASE, "t.yaml").expect("valid");
    assert_eq!(p.name, "bq2bq");
    assert_eq!(p.plugin_type, PluginType::Task);
    assert_eq!(p.version, "0.3.2");
    let ep = p.entrypoint.expect("entrypoint");
    assert_eq!(ep.shell, "/bin/sh");
    assert_eq!(ep.script, "python3 main.py");
}

#[test]
fn design_spelling_reads_into_the_same_model() {
    let design = "\
Name: bq2bq
Version: 0.3.2
Image: example/bq2bq:0.3.2
Entrypoint:
  Script: python3 main.py
Questions:
  - Name: TABLE
    Prompt: Table ID
    Regexp: ^[a-z]+$
    MinLength: 3
    Required: true
DefaultConfig:
  - name: SQL_TYPE
    value: STANDARD
DefaultAssets:
  - Name: query.sql
    Value: select 1
";
    let upstream = format!(
        "{BASE}questions:\n  - name: TABLE\n    prompt: Table ID\n    regexp: ^[a-z]+$\n    minlength: 3\n    required: true\n\
         defaultconfig:\n  - name: SQL_TYPE\n    value: STANDARD\ndefaultassets:\n  - name: query.sql\n    value: select 1\n"
    );
    let (d, ds) = plugin_spec::load_with_spelling(design, "d.yaml").expect("design valid");
    let (u, us) = plugin_spec::load_with_spelling(&upstream, "u.yaml").expect("upstream valid");
    assert_eq!(ds, plugin_spec::Spelling::Design);
    assert_eq!(us, plugin_spec::Spelling::Upstream);
    assert_eq!(d, u);
}

#[test]
fn design_spelling_needs_no_entrypoint_or_type() {
    let p = load_str("Name: neo\nVersion: '1'\nImage: i\n", "d.yaml").expect("valid");
    assert_eq!(p.plugin_type, PluginType::Task);
    assert!(p.entrypoint.is_none());
}

#[test]
fn plain_scalars_keep_their_text_in_string_fields() {
    let src = BASE.replace("pluginversion: 0.3.2", "pluginversion: 1.10");
    assert_eq!(load_str(&src, "t.yaml").expect("valid").version, "1.10");
}

#[test]
fn unknown_key_names_position_and_expected_keys() {
    let src = format!("{BASE}imagee: x\n");
    assert_one(
        &src,
        7,
        1,
        "unknown key `imagee` in the plugin; expected one of: name,",
    );
    // The same facts as data, for a renderer: the span, the keys, the hint.
    let err = plugin_spec::check_str(&src, "t.yaml").expect_err("refused");
    let p = &err.problems()[0];
    assert_eq!(p.message, "unknown key `imagee` in the plugin");
    assert_eq!(p.len, 6);
    assert_eq!(p.expected.first().map(String::as_str), Some("name"));
    assert!(p.expected.iter().any(|k| k == "defaultconfig"));
    assert_eq!(p.help.as_deref(), Some("did you mean \"image\"?"));
}

#[test]
fn key_of_the_other_spelling_is_explained() {
    let src = format!("{BASE}Image: x\n");
    assert_one(&src, 7, 1, "`Image` is the design (PascalCase) spelling");
}

#[test]
fn unknown_key_in_a_question() {
    let src = format!("{BASE}questions:\n  - name: A\n    promt: x\n");
    assert_one(
        &src,
        9,
        5,
        "unknown key `promt` in a question; expected one of: name, prompt",
    );
}

#[test]
fn duplicate_key_is_refused_with_both_positions() {
    let src = format!("{BASE}image: again\n");
    assert_one(
        &src,
        7,
        1,
        "duplicate key `image` in the plugin (first at line 4, column 1)",
    );
}

#[test]
fn wrong_types_are_refused_with_positions() {
    let src = format!(
        "{BASE}questions:\n  - name: A\n    minlength: three\n    required: 'yes'\n    multiselect: x\n"
    );
    let found = problems(&src);
    let at: Vec<(u64, u64)> = found.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(at, [(9, 16), (10, 15), (11, 18)], "{found:#?}");
    assert!(
        found[0]
            .2
            .contains("`minlength` must be an integer, found a string")
    );
    assert!(
        found[1]
            .2
            .contains("`required` must be true or false, found `yes`")
    );
    assert!(
        found[2]
            .2
            .contains("`multiselect` must be a list, found a string")
    );
}

#[test]
fn a_list_where_a_string_belongs() {
    let src = BASE.replace("image: example/bq2bq:0.3.2", "image: [a, b]");
    assert_one(&src, 4, 8, "`image` must be a string, found a list");
}

#[test]
fn yaml_syntax_error_has_a_position() {
    let found = problems("name: [bq2bq\n");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].1), (1, 7));
    assert!(found[0].2.starts_with("invalid YAML"));
}

#[test]
fn empty_file_is_refused() {
    let found = problems("");
    assert!(found[0].2.contains("the file is empty"), "{found:?}");
}

#[test]
fn missing_fields_are_all_reported_at_once() {
    let found = problems("description: nothing else\n");
    let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
    for needle in [
        "missing `name`",
        "missing `plugintype`",
        "missing `pluginversion`",
        "missing `image`",
        "missing `entrypoint`",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(needle)),
            "{needle} not in {messages:#?}"
        );
    }
}

#[test]
fn invalid_plugin_name() {
    let src = BASE.replace("name: bq2bq", "name: ../bq2bq");
    assert_one(&src, 1, 7, "is not a portable plugin name");
}

#[test]
/// The key owning the mapping that lacks `script` (not the mapping's first key).
fn missing_script_points_at_entrypoint() {
    let src = BASE.replace("  script: python3 main.py", "  shell: /bin/bash");
    assert_one(&src, 5, 1, "missing `script` in `entrypoint`");
}

#[test]
fn a_missing_key_says_which_key_and_where_it_goes() {
    let src = BASE.replace("  script: python3 main.py", "  shell: /bin/bash");
    let err = plugin_spec::check_str(&src, "t.yaml").unwrap_err();
    let p = &err.problems()[0];
    assert_eq!(
        (p.line, p.column, p.len),
        (5, 1, 10),
        "the whole `entrypoint` key"
    );
    assert_eq!(
        p.help.as_deref(),
        Some("`script` is required: add `script:` under `entrypoint`")
    );
    let err = plugin_spec::check_str(&BASE.replace("image: example/bq2bq:0.3.2\n", ""), "t.yaml")
        .unwrap_err();
    assert_eq!(
        err.problems()[0].help.as_deref(),
        Some("`image` is required: add `image:` at the top level of the file")
    );
}

#[test]
fn a_question_without_a_name_is_shown_at_its_dash() {
    let src = format!("{BASE}questions:\n  - prompt: Which table?\n    regexp: x\n");
    let loaded = plugin_spec::check_str(&src, "t.yaml").unwrap();
    let w = loaded
        .warnings
        .iter()
        .find(|w| w.message.contains("needs a `name`"))
        .unwrap();
    assert_eq!((w.line, w.column, w.len), (8, 3, 1), "{w:?}");
}

#[test]
fn plugintype_must_be_task_or_hook() {
    let src = BASE.replace("plugintype: task", "plugintype: job");
    assert_one(
        &src,
        2,
        13,
        "`plugintype` must be task or hook, found `job`",
    );
}

#[test]
fn hook_needs_a_valid_hooktype() {
    let hook = BASE.replace("plugintype: task", "plugintype: hook");
    assert_one(&hook, 1, 1, "a hook should say when it runs: `hooktype`");
    assert_one(
        &format!("{hook}hooktype: later\n"),
        7,
        11,
        "`hooktype` should be pre, post or fail, found `later`",
    );
    let ok = load_str(&format!("{hook}hooktype: fail\n"), "t.yaml").expect("valid");
    assert_eq!(ok.hook_type, Some(HookType::Fail));
    assert_one(
        &format!("{BASE}hooktype: pre\n"),
        7,
        11,
        "`hooktype` is only for hooks",
    );
}

#[test]
fn question_names_unique_within_a_level() {
    let src = format!("{BASE}questions:\n  - name: A\n  - name: A\n");
    assert_one(&src, 9, 11, "duplicate question name `A`");
    // The same name on another level is allowed.
    let nested = format!(
        "{BASE}questions:\n  - name: A\n    multiselect: [x]\n    subquestions:\n      - ifvalue: x\n        questions:\n          - name: B\n  - name: B\n"
    );
    load_str(&nested, "t.yaml").expect("names on different levels");
}

#[test]
fn regexp_must_compile() {
    let src = format!("{BASE}questions:\n  - name: A\n    regexp: '[a-'\n");
    assert_one(
        &src,
        9,
        13,
        "`regexp` of question `A` is not a valid Go regexp",
    );
}

#[test]
fn minlength_not_above_maxlength() {
    let src = format!("{BASE}questions:\n  - name: A\n    minlength: 5\n    maxlength: 2\n");
    assert_one(&src, 9, 16, "`minlength` 5 is greater than `maxlength` 2");
}

#[test]
fn multiselect_default_must_be_an_option() {
    let src = format!("{BASE}questions:\n  - name: A\n    default: C\n    multiselect: [X, Y]\n");
    assert_one(
        &src,
        9,
        14,
        "`default` `C` of question `A` is not one of its options: X, Y",
    );
}

#[test]
fn ifvalue_must_be_an_option() {
    let src = format!(
        "{BASE}questions:\n  - name: A\n    multiselect: [X, Y]\n    subquestions:\n      - ifvalue: Z\n        questions: [{{name: B}}]\n"
    );
    assert_one(&src, 11, 18, "`ifvalue` `Z` is not one of the options");
}

#[test]
fn nested_sub_question_problems_have_positions() {
    let src = format!(
        "{BASE}questions:\n  - name: A\n    multiselect: [X]\n    subquestions:\n      - ifvalue: X\n        questions:\n          - name: B\n            regexp: '('\n"
    );
    assert_one(
        &src,
        14,
        21,
        "`regexp` of question `B` is not a valid Go regexp",
    );
}

#[test]
fn default_config_and_asset_names_unique() {
    let src = format!(
        "{BASE}defaultconfig:\n  - {{name: K, value: a}}\n  - {{name: K, value: b}}\ndefaultassets:\n  - name: q.sql\n    value: x\n  - name: q.sql\n    value: y\n"
    );
    let found = problems(&src);
    let at: Vec<(u64, u64)> = found.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(at, [(9, 12), (13, 11)], "{found:#?}");
    assert!(found[0].2.contains("duplicate name `K` in `defaultconfig`"));
    assert!(
        found[1]
            .2
            .contains("duplicate name `q.sql` in `defaultassets`")
    );
}

#[test]
fn error_display_is_origin_line_col_message() {
    let err = load_str(&format!("{BASE}x: 1\ny: 2\n"), "plugins/p.yaml").unwrap_err();
    let lines: Vec<String> = err.to_string().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("plugins/p.yaml:7:1: unknown key `x`"));
    assert!(lines[1].starts_with("plugins/p.yaml:8:1: unknown key `y`"));
}

#[test]
fn round_trip_upstream_and_design_examples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plugins");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("examples/plugins") {
        let path = entry.expect("entry").path();
        let plugin = plugin_spec::load_file(&path).expect("example is valid");
        if plugin.validate().is_err() {
            continue; // design spelling without entrypoint: not upstream-valid
        }
        let yaml = plugin.to_yaml();
        let again = load_str(&yaml, "written.yaml").unwrap_or_else(|e| {
            panic!(
                "{}: written form does not load: {e}\n{yaml}",
                path.display()
            )
        });
        assert_eq!(again, plugin, "{}", path.display());
        assert!(!yaml.contains("Name:"), "written in upstream spelling");
        seen += 1;
    }
    assert!(seen >= 4, "round-tripped {seen} examples");
}

#[test]
fn round_trip_keeps_strings_that_look_like_other_types() {
    let src = "name: odd\nplugintype: task\npluginversion: '1.0'\nimage: 'yes'\nentrypoint:\n  script: 'true'\n\
               questions:\n  - name: A\n    default: 'null'\n    help: \"multi\\nline: with # hash\"\n";
    let plugin = load_str(src, "t.yaml").expect("valid");
    let again = load_str(&plugin.to_yaml(), "w.yaml").expect("written form loads");
    assert_eq!(again, plugin);
    assert_eq!(again.image, "yes");
    assert_eq!(again.questions[0].default.as_deref(), Some("null"));
}

fn bq2bq() -> plugin_spec::Plugin {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/plugins/optimus-plugin-bq2bq.yaml"
    );
    plugin_spec::load_file(std::path::Path::new(path)).expect("bq2bq example")
}

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn answers_produce_config_then_defaultconfig_and_assets() {
    let job = bq2bq()
        .new_job(&answers(&[
            ("PROJECT", "my-project"),
            ("DATASET", "sales"),
            ("TABLE", "orders"),
        ]))
        .expect("valid answers");
    let config: Vec<(&str, &str)> = job
        .config
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        config,
        [
            ("PROJECT", "my-project"),
            ("DATASET", "sales"),
            ("TABLE", "orders"),
            ("LOAD_METHOD", "APPEND"), // the default
            ("SQL_TYPE", "STANDARD"),  // defaultconfig after the answers
        ]
    );
    assert_eq!(job.assets.len(), 1);
    assert_eq!(job.assets[0].name, "query.sql");
}

#[test]
fn sub_question_asked_only_when_parent_selects_it() {
    let plugin = bq2bq();
    let base = [
        ("PROJECT", "my-project"),
        ("DATASET", "sales"),
        ("TABLE", "orders"),
    ];
    let mut with_sub = base.to_vec();
    with_sub.push(("LOAD_METHOD", "REPLACE_MERGE"));
    with_sub.push(("PARTITION_FILTER", "DATE(ts) = '2026-01-01'"));
    let config = plugin.check_answers(&answers(&with_sub)).expect("valid");
    let names: Vec<&str> = config.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "PROJECT",
            "DATASET",
            "TABLE",
            "LOAD_METHOD",
            "PARTITION_FILTER"
        ]
    );

    let mut not_selected = base.to_vec();
    not_selected.push(("LOAD_METHOD", "MERGE"));
    not_selected.push(("PARTITION_FILTER", "x"));
    let err = plugin.check_answers(&answers(&not_selected)).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].question, "PARTITION_FILTER");
    assert!(err.problems[0].message.contains("not asked"));
}

#[test]
fn nested_sub_questions_two_levels_deep() {
    let src = format!(
        "{BASE}questions:
  - name: MODE
    multiselect: [simple, advanced]
    subquestions:
      - ifvalue: advanced
        questions:
          - name: ENGINE
            multiselect: [spark, beam]
            subquestions:
              - ifvalue: beam
                questions:
                  - name: RUNNER
                    required: true
                    regexp: ^(dataflow|flink)$
"
    );
    let plugin = load_str(&src, "t.yaml").expect("valid");
    let ok = plugin
        .check_answers(&answers(&[
            ("MODE", "advanced"),
            ("ENGINE", "beam"),
            ("RUNNER", "flink"),
        ]))
        .expect("valid");
    assert_eq!(ok.len(), 3);
    let err = plugin
        .check_answers(&answers(&[("MODE", "advanced"), ("ENGINE", "beam")]))
        .unwrap_err();
    assert_eq!(err.to_string(), "RUNNER: an answer is required");
    let err = plugin
        .check_answers(&answers(&[
            ("MODE", "advanced"),
            ("ENGINE", "beam"),
            ("RUNNER", "spark"),
        ]))
        .unwrap_err();
    assert!(err.to_string().contains("RUNNER: `spark` does not match"));
    // Not selected: RUNNER is not asked, so its requirement does not apply.
    plugin
        .check_answers(&answers(&[("MODE", "advanced"), ("ENGINE", "spark")]))
        .expect("RUNNER not asked");
}

#[test]
fn every_answer_check_reports_at_once() {
    let err = bq2bq()
        .check_answers(&answers(&[
            ("PROJECT", "a!"),         // regexp (validationerror) and minlength
            ("TABLE", "orders"),       // DATASET missing: required
            ("LOAD_METHOD", "UPSERT"), // not an option
            ("TYPO", "x"),             // no such question
        ]))
        .unwrap_err();
    let got: Vec<(&str, &str)> = err
        .problems
        .iter()
        .map(|p| (p.question.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(got.len(), 5, "{got:#?}");
    assert_eq!(got[0].0, "PROJECT");
    assert!(got[0].1.starts_with("invalid name (can only contain"));
    assert_eq!(got[1], ("PROJECT", "must be at least 3 characters, got 2"));
    assert_eq!(got[2], ("DATASET", "an answer is required"));
    assert_eq!(got[3].0, "LOAD_METHOD");
    assert!(
        got[3]
            .1
            .contains("`UPSERT` is not one of: APPEND, REPLACE, MERGE, REPLACE_MERGE")
    );
    assert_eq!(
        got[4],
        ("TYPO", "answered, but the plugin has no such question")
    );
}

#[test]
fn required_does_not_skip_the_other_checks() {
    // Upstream Optimus skips regexp and length checks when `required` is set.
    let src = format!(
        "{BASE}questions:\n  - name: T\n    required: true\n    maxlength: 3\n    regexp: ^[a-z]+$\n"
    );
    let plugin = load_str(&src, "t.yaml").expect("valid");
    let err = plugin
        .check_answers(&answers(&[("T", "ABCD")]))
        .unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
}

#[test]
fn validate_on_a_plugin_built_in_code() {
    let mut plugin = plugin_spec::Plugin::default();
    plugin.name = "built".into();
    plugin.version = "1".into();
    plugin.image = "i".into();
    plugin.entrypoint = Some(plugin_spec::Entrypoint {
        shell: "/bin/sh".into(),
        script: "run".into(),
    });
    plugin.validate().expect("valid");
    let mut q = plugin_spec::Question::new("A");
    q.regexp = Some("(".into());
    plugin.questions.push(q);
    let v = plugin.validate().unwrap_err();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "questions[0].regexp");
}
