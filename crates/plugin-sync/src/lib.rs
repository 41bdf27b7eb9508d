//! Serve and sync the YAML plugins of an Optimus plugin folder.
//!
//! The CLI side of the plugin tooling, built on `plugin-manager` (the
//! install library) and `plugin-repo`:
//!
//! * [`serve`]: an axum router handing out a folder's YAML plugins as one
//!   deterministic zip ([`archive`]), in the classic format upstream's
//!   client reads ([`serve_set`]);
//! * [`client`]: download that zip and replace the YAML plugins of a local
//!   folder with it ([`apply`]: a complete new folder, swapped in at once).
//!
//! ```no_run
//! # async fn demo() -> Result<(), plugin_sync::SyncError> {
//! use plugin_sync::client::{plugins_url, sync, SyncOptions};
//!
//! let url = plugins_url("localhost:9100")?;
//! let report = sync(&SyncOptions::new(url, ".plugins")).await?;
//! println!("{} plugins", report.plugins);
//! # Ok(()) }
//! ```

pub mod apply;
pub mod archive;
pub mod client;
pub mod error;
mod fetch;
pub mod serve;
pub mod serve_set;

pub use error::SyncError;
