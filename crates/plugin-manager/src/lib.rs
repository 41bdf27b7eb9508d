//! plugin-manager (in progress).
