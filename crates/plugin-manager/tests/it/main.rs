//! plugin-manager integration tests: one test binary.

mod serve_upstream;
