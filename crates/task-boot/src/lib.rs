//! task-boot (in progress).
