//! plugin-manager integration tests: one test binary (the sync and serve
//! tests moved to plugin-sync with their code).
