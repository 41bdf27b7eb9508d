//! plugin-repo integration tests: one test binary, one shared support module.
#![allow(clippy::unwrap_used, clippy::pedantic)]

mod common;

mod backends;
mod client_reuse;
mod config;
