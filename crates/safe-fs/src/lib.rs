//! File-system safety shared by the Optimus plugin tools.
//!
//! * [`SafeRelPath`]: the one sanitising type every untrusted path (an archive
//!   entry, a file name sent by a server, an object key) goes through before it
//!   touches the disk.
//! * [`atomic`]: durable single-file writes and atomic directory switches.
//! * [`publish`]: the one "publish a folder atomically under a lock" step
//!   (lock, hidden staging folder, flush, switch, leftovers) that install,
//!   sync and optimus-init share.
//! * [`space`]: free space checked before writing, and a full volume told
//!   apart from other write errors.
//!
//! ```
//! use safe_fs::SafeRelPath;
//!
//! let p = SafeRelPath::new("./bin/optimus-bq2bq_linux_amd64").unwrap();
//! assert_eq!(p.as_str(), "bin/optimus-bq2bq_linux_amd64");
//! assert!(SafeRelPath::new("../etc/passwd").is_err());
//! assert!(SafeRelPath::new("/etc/passwd").is_err());
//! ```

pub mod atomic;
pub mod publish;
mod rel_path;
pub mod space;

pub use rel_path::{MAX_COMPONENT_BYTES, MAX_DEPTH, MAX_PATH_BYTES, PathError, SafeRelPath};
