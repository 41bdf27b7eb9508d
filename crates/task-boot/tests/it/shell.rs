//! `.env` / `.secret` sourced by real shells give back exactly the maps.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use task_boot::{Durability, Limits, RunInput, SecretMap, plan_inputs, write_inputs};

/// The shells present here: `sh` always; `bash` and `dash` when installed.
fn shells() -> Vec<&'static str> {
    ["sh", "bash", "dash"]
        .into_iter()
        .filter(|s| {
            Command::new(s)
                .args(["-c", "exit 0"])
                .status()
                .is_ok_and(|st| st.success())
        })
        .collect()
}

/// Sources the two files in a clean environment and returns the exported
/// variables (`env -0`, so any byte but NUL comes through).
fn source_with(shell: &str, in_dir: &Path) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let out = Command::new("env")
        .args([
            "-i",
            shell,
            "-c",
            "set -a; . ./.env; . ./.secret; exec env -0",
        ])
        .current_dir(in_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let at = e.iter().position(|b| *b == b'=')?;
            Some((e[..at].to_vec(), e[at + 1..].to_vec()))
        })
        .collect()
}

fn value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("$".to_string()),
        Just("${HOME}".to_string()),
        Just("$(id)".to_string()),
        Just("`id`".to_string()),
        Just("\"".to_string()),
        Just(r"'\''".to_string()),
        Just("ü日本✓".to_string()),
        Just(" \t".to_string()),
        Just("<no value>".to_string()),
        "[^\u{0}]{0,6}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

fn map(prefix: &'static str) -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[A-Za-z0-9_]{0,12}", value(), 0..8).prop_map(move |m| {
        m.into_iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sourced_values_come_back_byte_for_byte(envs in map("E_"), secrets in map("S_")) {
        let input = RunInput {
            envs: envs.clone(),
            secrets: SecretMap::from_plain(secrets.clone()),
            ..RunInput::default()
        };
        let job = tempfile::tempdir().unwrap();
        let plan = plan_inputs(&input, Vec::new(), &Limits::default(), false).unwrap();
        write_inputs(job.path(), &plan, "fp", Durability::Rename).unwrap();
        let mut want: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for (k, v) in envs.iter().chain(secrets.iter()) {
            want.insert(k.clone().into_bytes(), v.clone().into_bytes());
        }
        for shell in shells() {
            let got: BTreeMap<Vec<u8>, Vec<u8>> = source_with(shell, &job.path().join("in"))
                .into_iter()
                .filter(|(k, _)| k.starts_with(b"E_") || k.starts_with(b"S_"))
                .collect();
            prop_assert_eq!(&got, &want, "shell {}", shell);
        }
    }
}
