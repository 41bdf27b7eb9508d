//! Feeds arbitrary text to the YAML plugin parser.
//!
//! Invariants checked besides "never panics":
//! - an error always lists at least one problem;
//! - a plugin that loads and is valid in upstream spelling survives
//!   `to_yaml` -> `load_str` unchanged (but for the spec format's other
//!   versions, which the classic format has no place for).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match plugin_spec::load_str(src, "fuzz.yaml") {
        Ok(mut plugin) => {
            plugin.other_versions.clear();
            if plugin.validate().is_ok() {
                let yaml = plugin.to_yaml();
                let again = plugin_spec::load_str(&yaml, "written.yaml")
                    .unwrap_or_else(|e| panic!("written plugin does not load: {e}\n{yaml}"));
                assert_eq!(again, plugin, "round trip changed the plugin:\n{yaml}");
            }
        }
        Err(err) => {
            assert!(
                !err.problems().is_empty(),
                "an error without problems: {err:?}"
            );
        }
    }
});
