//! plugin-spec (in progress).
