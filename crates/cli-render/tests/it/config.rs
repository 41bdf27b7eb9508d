//! Mistakes in the manager config: one rustc-style block each, at the file,
//! line and column, with the line shown and its secrets masked.

use cli_render::diagnostic::{self, Text};

use crate::STYLES;

/// A config with a value or key wrong, and the name of its case.
const CASES: &[(&str, &str)] = &[
    (
        "unknown_type",
        "plugins:\n  providers:\n    - type: locl\n      name: ex\n      path: ./dist\n",
    ),
    (
        "undefined_provider",
        "plugins:\n  providers:\n    - {type: local, name: ex, path: ./dist}\n  plugins:\n    - provider: ey\n      path: bq2bq.tar.gz\n",
    ),
    ("section_not_a_mapping", "plugins:\n  - name: x\n"),
    (
        "missing_path_of_a_plugin",
        "plugins:\n  providers:\n    - {type: local, name: ex, path: ./dist}\n  plugins:\n    - provider: ex\n      sha256: abc\n",
    ),
    (
        "missing_required_provider_key",
        "plugins:\n  providers:\n    - type: gcs\n      name: team\n      service_account: c2VjcmV0LWtleQ==\n",
    ),
    (
        "misspelt_secret_key",
        "plugins:\n  providers:\n    - type: http\n      name: web\n      url: https://ci:hunter2@plugins.example.org/?sig=sas-sig\n      auth:\n        bearr: tok-secret\n",
    ),
    (
        "key_of_another_type",
        "plugins:\n  providers:\n    - type: http\n      name: web\n      url: https://plugins.example.org/\n      sas_token: sas-secret\n",
    ),
    (
        "bad_sha256",
        "plugins:\n  providers:\n    - {type: local, name: ex, path: ./dist}\n  plugins:\n    - provider: ex\n      path: bq2bq.tar.gz\n      sha256: 9f86d08\n",
    ),
    (
        "two_providers_one_name",
        "plugins:\n  providers:\n    - {type: local, name: ex, path: ./dist}\n    - type: local\n      name: ex\n      path: ./other\n",
    ),
    (
        "listed_twice",
        "plugin:\n  artifacts:\n    - ./dist/optimus-plugin-neo.yaml\n    - ./dist/optimus-plugin-neo.yaml\n",
    ),
    (
        "two_plugin_folders",
        "plugins:\n  plugin_dir: /app/plugins\n  location: /srv/plugins\n",
    ),
    (
        "bad_source",
        "plugin:\n  artifacts:\n    - ftp://ci:hunter2@plugins.example.org/x.tar.gz\n",
    ),
];

const SECRETS: &[&str] = &[
    "hunter2",
    "sas-sig",
    "tok-secret",
    "sas-secret",
    "c2VjcmV0LWtleQ==",
];

fn rendered(yaml: &str, style: cli_render::Style) -> String {
    let err = plugin_manager::ManagerConfig::from_str(yaml, "optimus.yaml".as_ref())
        .expect_err("a mistake");
    assert!(
        matches!(err, plugin_manager::Error::ConfigAt { .. }),
        "placed: {err}"
    );
    let source = |t: Text<'_>| (t == Text::Config("optimus.yaml")).then(|| yaml.to_owned());
    diagnostic::error_chain(&err, source, style)
}

#[test]
fn config_mistakes() {
    for (case, yaml) in CASES {
        for (name, style) in STYLES {
            insta::assert_snapshot!(format!("config_{case}_{name}"), rendered(yaml, style));
        }
    }
}

#[test]
fn a_block_names_the_place_once_and_never_shows_a_secret() {
    for (case, yaml) in CASES {
        let text = rendered(yaml, cli_render::Style::plain());
        assert!(text.starts_with("error: "), "{case}: {text}");
        assert_eq!(
            text.matches(" --> optimus.yaml:").count(),
            1,
            "{case}: {text}"
        );
        assert!(
            !text.contains("at line"),
            "{case}: position repeated: {text}"
        );
        assert!(text.contains("= help: "), "{case}: {text}");
        for s in SECRETS {
            assert!(!text.contains(s), "{case}: {s} shown: {text}");
        }
    }
}

#[test]
fn the_closest_value_and_the_defined_providers_are_suggested() {
    let text = rendered(CASES[0].1, cli_render::Style::plain());
    assert!(
        text.contains("error: unknown value `locl` for `type`\n --> optimus.yaml:3:13\n"),
        "{text}"
    );
    assert!(
        text.contains("3 |     - type: locl\n  |             ^^^^\n"),
        "{text}"
    );
    assert!(text.contains("= help: did you mean \"local\"?"), "{text}");
    let text = rendered(CASES[1].1, cli_render::Style::plain());
    assert!(
        text.contains("error: provider \"ey\" is not defined\n --> optimus.yaml:5:17\n"),
        "{text}"
    );
    assert!(text.contains("= help: defined providers: ex"), "{text}");
}

#[test]
fn a_missing_key_points_at_the_entry_that_lacks_it() {
    let text = rendered(CASES[3].1, cli_render::Style::plain());
    assert!(
        text.contains("error: missing `path` in this entry of `plugins`\n --> optimus.yaml:5:5\n"),
        "{text}"
    );
    assert!(
        text.contains("5 |     - provider: ex\n  |     ^\n"),
        "{text}"
    );
    assert!(
        text.contains("= help: `path` is required; add `path:` to this entry of `plugins`"),
        "{text}"
    );
    let text = rendered(CASES[4].1, cli_render::Style::plain());
    assert!(text.contains(" --> optimus.yaml:3:5\n"), "{text}");
    assert!(
        text.contains("= help: add `bucket:` (the bucket's name) to this provider"),
        "{text}"
    );
}

#[test]
fn without_the_file_the_block_still_names_the_place() {
    let err = plugin_manager::ManagerConfig::from_str(CASES[0].1, "optimus.yaml".as_ref())
        .expect_err("a mistake");
    let text = diagnostic::error_chain(&err, |_| None, cli_render::Style::plain());
    assert!(
        text.starts_with("error: unknown value `locl` for `type`\n--> optimus.yaml:3:13\n"),
        "{text}"
    );
}
