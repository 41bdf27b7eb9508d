//! Feeds arbitrary bytes to the run-input reply decoders (the REST JSON
//! body and the gRPC `JobRunInputResponse` message), then through the
//! checks optimus-init applies before writing (names, sizes, counts).
//!
//! Invariants checked besides "never panics": a planned file's path never
//! climbs out of `in/` and is never absolute.
#![no_main]

use libfuzzer_sys::fuzz_target;
use task_boot::{Limits, RunInput, plan_inputs};

fn check(input: &RunInput) {
    for strict in [false, true] {
        if let Ok(plan) = plan_inputs(input, Vec::new(), &Limits::default(), strict) {
            for file in &plan.files {
                let p = std::path::Path::new(file.path.as_str());
                assert!(!p.is_absolute(), "absolute path planned: {}", p.display());
                assert!(
                    p.components().all(|c| matches!(c, std::path::Component::Normal(_))),
                    "path with . or .. planned: {}",
                    p.display()
                );
            }
            let sum: u64 = plan.files.iter().map(|f| f.content.len() as u64).sum();
            assert_eq!(sum, plan.file_bytes, "file_bytes is not the sum of the files");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = serde_json::from_slice::<RunInput>(data) {
        check(&input);
    }
    if let Ok(input) = RunInput::from_protobuf(data) {
        check(&input);
    }
});
