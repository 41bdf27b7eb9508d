//! plugin-sync integration tests: one test binary.

mod serve_upstream;
