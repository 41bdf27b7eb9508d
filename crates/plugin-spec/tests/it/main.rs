//! plugin-spec integration tests: one test binary.

mod spec;
mod upstream;
