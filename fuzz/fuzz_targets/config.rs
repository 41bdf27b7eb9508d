//! Feeds arbitrary text to the loaders of the files a user writes or edits
//! by hand: the plugin-manager config (both forms) and the lock file.
//!
//! Invariants checked besides "never panics": an error message is never
//! empty and names the file it was given.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = plugin_manager::ManagerConfig::from_str(text, Path::new("/fuzz/optimus.yaml")) {
        let msg = e.to_string();
        assert!(!msg.is_empty(), "an empty config error");
    }
    if let Err(e) = plugin_manager::LockFile::from_str(text, "fuzz.lock") {
        let msg = e.to_string();
        assert!(msg.contains("fuzz.lock"), "lock error without the file name: {msg}");
    }
});
