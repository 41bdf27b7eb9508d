//! The fast path: YAML straight into [`Plugin`], no positions kept.
//!
//! Most plugins that are loaded are valid, and a valid plugin never needs a
//! line or column. So [`crate::load_with_spelling`] first reads the source in
//! one serde-saphyr pass straight into the model (no node tree, no `Spanned`
//! values, no position map) and runs the validation rules on it. At the first
//! thing this pass is not sure about it gives up, and the full loader (`node`
//! -> `decode` -> `validate`) reads the source again and reports every problem
//! with its position. Giving up happens on:
//!
//! - any YAML error, an empty file, a root that is not a mapping;
//! - an unknown key, a key of the other spelling, a duplicate key;
//! - a value of the wrong type, and also a number or boolean in a string
//!   field (`pluginversion: 1.10`): the full loader keeps that value's source
//!   text, which only its spans give;
//! - a null list item, a `plugintype`/`hooktype` word that is not allowed, a
//!   missing upstream `plugintype`;
//! - any broken validation rule.
//!
//! Every value this pass accepts is read through the same serde-saphyr calls
//! (`deserialize_any`, `deserialize_string` for keys) as the full loader's
//! node tree, and turned into the model the way `decode` turns that node into
//! it, so a plugin returned here is the plugin the full loader returns. Debug
//! builds (tests, the fuzz target) check that on every load.

use serde::de;

use crate::model::{Plugin, Spelling};

mod model;
mod seeds;

use model::Root;

/// Reads `src` into the model if it is a valid plugin with nothing unusual
/// in it; `None` means "use the full loader".
pub(crate) fn load(src: &str) -> Option<(Plugin, Spelling)> {
    let Root(plugin, spelling) =
        serde_saphyr::from_str_with_options::<Root>(src, crate::node::options()).ok()?;
    crate::validate::violations(&plugin, spelling)
        .is_empty()
        .then_some((plugin, spelling))
}

/// The error that makes the caller fall back to the full loader; its text is
/// never shown.
fn give_up<E: de::Error>() -> E {
    E::custom("not on the fast path")
}

#[cfg(test)]
mod tests {
    use super::load;
    use crate::load_positioned;

    fn examples() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plugins");
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .expect("examples/plugins")
            .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
            .collect();
        out.sort();
        out
    }

    /// The fast path's one promise: what it returns, the full loader returns.
    fn agrees(src: &str) -> bool {
        let Some(fast) = load(src) else {
            return false;
        };
        match load_positioned(src, "t.yaml") {
            Ok(full) => {
                assert_eq!(
                    (full.plugin, full.spelling),
                    fast,
                    "loaders disagree on:\n{src}"
                );
                assert!(
                    full.warnings.is_empty(),
                    "fast path skipped warnings:\n{src}"
                );
            }
            Err(e) => panic!("fast path accepted what the full loader refuses ({e}):\n{src}"),
        }
        true
    }

    #[test]
    fn bundled_examples_take_the_fast_path() {
        let all = examples();
        assert_eq!(all.len(), 4);
        for src in &all {
            assert!(agrees(src), "example left the fast path:\n{src}");
        }
    }

    #[test]
    fn unusual_input_leaves_the_fast_path() {
        let base = "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: x\nentrypoint:\n  script: run\n";
        assert!(agrees(base));
        for (from, to) in [
            ("0.1.0", "1.10"),                                 // a number in a string field
            ("image: x", "image: true"),                       // a boolean in a string field
            ("image: x", "imagee: x"),                         // unknown key
            ("image: x", "image: x\nimage: y"),                // duplicate key
            ("image: x", "Image: x"),                          // key of the other spelling
            ("plugintype: task\n", ""),                        // missing upstream plugintype
            ("task", "job"),                                   // bad word
            ("entrypoint:\n  script: run\n", "entrypoint:\n"), // null mapping
            ("name: neo", "name: [neo]"),                      // wrong type
            ("name: neo", "name: Neo"),                        // broken rule
            ("image: x", "image: x\n---\nname: y"),            // two documents
        ] {
            let src = base.replacen(from, to, 1);
            assert_ne!(src, base, "{from} not in the base");
            assert!(!agrees(&src), "took the fast path:\n{src}");
        }
        assert!(!agrees(""));
        assert!(!agrees("- a\n"));
    }

    /// Every example with each line replaced by, or followed by, awkward YAML:
    /// whatever the fast path accepts, the full loader reads the same.
    #[test]
    fn fast_path_agrees_with_the_full_loader_on_variants() {
        const VALUES: &[&str] = &[
            "~",
            "null",
            "''",
            "\"\"",
            "'x'",
            "\"a\\tb\"",
            "1.10",
            "0",
            "-1",
            "3",
            "007",
            "0x1F",
            "1e3",
            ".inf",
            "-.INF",
            ".nan",
            "true",
            "True",
            "yes",
            "no",
            "on",
            "[]",
            "{}",
            "[a, b]",
            "[a, ~]",
            "{a: b}",
            "!!str 5",
            "!!int 5",
            "!!binary aGk=",
            "&anc v",
            "*anc",
            "|\n  text\n",
            ">-\n  folded\n  text\n",
            "\"quoted\nnext\"",
            "2001-12-14",
            "a: b",
            "- x",
            "[",
            "'",
            "{{ .DSTART }}",
        ];
        let mut taken = 0;
        let mut tried = 0;
        for src in examples() {
            let lines: Vec<&str> = src.lines().collect();
            for i in 0..lines.len() {
                let line = lines[i];
                let Some(colon) = line
                    .find(": ")
                    .or_else(|| line.strip_suffix(':').map(str::len))
                else {
                    continue;
                };
                let head = &line[..colon];
                for value in VALUES {
                    let mut replaced = lines.clone();
                    let new_line = format!("{head}: {value}");
                    replaced[i] = &new_line;
                    let variant = replaced.join("\n");
                    tried += 1;
                    taken += usize::from(agrees(&variant));
                    // The same key again, and an anchor/merge next to it.
                    let mut doubled = lines.clone();
                    doubled.insert(i + 1, &new_line);
                    tried += 1;
                    taken += usize::from(agrees(&doubled.join("\n")));
                }
                let mut dropped = lines.clone();
                dropped.remove(i);
                tried += 1;
                taken += usize::from(agrees(&dropped.join("\n")));
            }
        }
        // Some variants stay valid (a string for a string, a null optional),
        // so the comparison above really ran on accepted input.
        assert!(
            taken > 100,
            "only {taken} of {tried} variants took the fast path"
        );
    }

    #[test]
    fn anchors_and_merge_keys_agree() {
        let src = "\
name: neo
plugintype: task
pluginversion: &v 0.1.0
image: *v
entrypoint: &ep
  script: run
questions:
  - &q
    name: A
    prompt: a
  - <<: *q
    name: B
defaultconfig:
  - {name: X, value: *v}
";
        assert!(agrees(src));
    }
}
