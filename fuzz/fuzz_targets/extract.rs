//! Feeds arbitrary bytes to the archive extractor as each format install
//! knows (tar, tar.gz, zip, single file), through install's limits and path
//! checks, writing into a fresh temporary folder.
//!
//! Invariants checked besides "never panics": nothing lands outside the
//! folder (its parent holds only the folder afterwards), and every file a
//! successful unpack reports exists inside it with the recorded size.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use plugin_manager::extract::{Format, Limits, SetBuilder, unpack_bytes};

fn entries_below(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let format = match selector % 4 {
        0 => Format::Tar,
        1 => Format::TarGz,
        2 => Format::Zip,
        _ => Format::File("optimus-plugin-fuzz.yaml".into()),
    };
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("set");
    std::fs::create_dir(&root).expect("set dir");
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_entries: 256,
        ..Limits::default()
    };
    let set = SetBuilder::new(&root);
    let result = unpack_bytes(&set, "fuzz-artifact", &format, &limits, bytes);
    assert_eq!(
        entries_below(outer.path()),
        vec!["set".to_owned()],
        "something was written beside the set folder"
    );
    if let Ok(files) = result {
        for f in files {
            let meta = std::fs::symlink_metadata(root.join(&f.path))
                .unwrap_or_else(|e| panic!("reported file {} is missing: {e}", f.path));
            assert!(meta.is_file(), "{} is not a regular file", f.path);
            assert_eq!(meta.len(), f.size, "{} has another size than recorded", f.path);
        }
    }
});
