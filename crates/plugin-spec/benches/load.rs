//! Parse and validate 1,000 YAML plugin files (the bundled examples, with
//! distinct names), against a plain serde-saphyr parse of the same text into
//! an untyped value as the peer; and the error path: the same 1,000 files,
//! each with one misspelt key.
#![allow(missing_docs)]

use std::hint::black_box;

fn main() {
    divan::main();
}

/// 1,000 plugin sources: the four bundled examples, renamed `p0`..`p999`.
fn sources() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plugins");
    let mut examples: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("examples/plugins")
        .map(|e| {
            let path = e.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let name = plugin_spec::load_str(&text, "x").expect("valid").name;
            (name, text)
        })
        .collect();
    examples.sort();
    (0..1000)
        .map(|i| {
            let (name, text) = &examples[i % examples.len()];
            text.replacen(&format!("ame: {name}\n"), &format!("ame: p{i}\n"), 1)
        })
        .collect()
}

#[divan::bench(sample_count = 20)]
fn load_1000_plugins(bencher: divan::Bencher) {
    let srcs = sources();
    bencher.bench(|| {
        for src in &srcs {
            black_box(plugin_spec::load_str(black_box(src), "bench.yaml").expect("valid"));
        }
    });
}

/// The error path: every file has an unknown key (`imagee` / `Imagee`), so
/// each load reports problems with their positions.
#[divan::bench(sample_count = 20)]
fn load_1000_plugins_one_problem_each(bencher: divan::Bencher) {
    let srcs: Vec<String> = sources()
        .iter()
        .map(|s| s.replacen("mage:", "magee:", 1))
        .collect();
    bencher.bench(|| {
        for src in &srcs {
            let err = plugin_spec::load_str(black_box(src), "bench.yaml").expect_err("invalid");
            black_box(err);
        }
    });
}

/// Only the keys: a parse with no model, for comparison.
#[derive(serde::Deserialize)]
#[allow(clippy::zero_sized_map_values)]
struct Untyped(#[allow(dead_code)] std::collections::BTreeMap<String, serde::de::IgnoredAny>);

#[divan::bench(sample_count = 20)]
fn peer_plain_serde_saphyr_parse_1000(bencher: divan::Bencher) {
    let srcs = sources();
    bencher.bench(|| {
        for src in &srcs {
            let v: Untyped = serde_saphyr::from_str(black_box(src)).expect("parses");
            black_box(v);
        }
    });
}
