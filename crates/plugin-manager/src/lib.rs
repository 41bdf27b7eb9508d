//! Declarative, verified, atomic installation of Optimus plugins.
//!
//! The data flows one way, one module per step:
//! [`config`] (both config forms) -> [`resolve`] (providers, formats, pins)
//! -> [`plan`] (add / update / remove / unchanged) -> [`fetch`] (stream,
//! hash) -> [`extract`] (safe unpacking) -> [`layout`] (atomic publish of the
//! whole set, rollback, lock) with [`receipt`]s recording what is installed.
//! [`install()`] runs the whole pipeline; [`verify()`] checks an installed
//! set against its receipts.
//!
//! ```no_run
//! # async fn demo() -> Result<(), plugin_manager::Error> {
//! use std::sync::Arc;
//! use plugin_manager::{install, plugin_dir_for, InstallOptions, ManagerConfig, Silent};
//! use plugin_repo::ProviderContext;
//!
//! let cfg = ManagerConfig::load("optimus.yaml".as_ref())?;
//! let ctx = ProviderContext::new(cfg.base_dir.clone());
//! let dir = plugin_dir_for(&cfg, None);
//! let report = install(&cfg, &dir, &ctx, None, &InstallOptions::default(), Arc::new(Silent)).await?;
//! println!("{} plugins", report.plugins.len());
//! # Ok(()) }
//! ```

pub mod config;
pub mod digest;
pub mod drift;
mod error;
pub mod extract;
pub mod fetch;
pub mod install;
pub mod layout;
pub mod lockfile;
pub mod plan;
pub mod receipt;
pub mod resolve;
pub mod sync_state;
pub mod verify;

pub use config::{ArtifactEntry, ArtifactSource, LOCK_FILE_NAME, ManagerConfig};
pub use error::{Error, Result};
pub use extract::{Format, Limits};
pub use fetch::Pin;
pub use install::{
    Event, InstallOptions, InstallReport, Reporter, Silent, install, plugin_dir_for, resolve_lock,
    rollback,
};
pub use layout::Layout;
pub use lockfile::{LockFile, LockedArtifact};
pub use plan::{Action, Plan, PlanItem, decide};
pub use receipt::{ArtifactReceipt, FileReceipt, FileStat, PluginInfo, RECEIPTS_FILE, Receipts};
pub use verify::{VerifyReport, installed_yaml_plugins, verify};
