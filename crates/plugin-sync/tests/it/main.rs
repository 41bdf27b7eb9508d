//! plugin-sync integration tests: one test binary.

mod round_trip;
mod serve_upstream;
