//! The init-container side of an Optimus job run.
//!
//! An Optimus job pod starts with an init container that asks the Optimus
//! server for the run's inputs (env, secrets and asset files compiled for one
//! scheduled time) and writes them to the shared volume, so that any image
//! can be the executor. This crate is that logic; the `optimus-init` binary is
//! a thin front end over it.
//!
//! The data flows one way, each step a function a test can call alone:
//!
//! 1. [`RunRequest::new`] checks the settings (names, RFC 3339 time,
//!    instance type, host).
//! 2. [`fetch_run_input`] calls the run-input API, gRPC `JobRunInput` (each
//!    fork's package in turn) or the REST gateway, with retries (capped
//!    exponential backoff with full jitter, `Retry-After`, one deadline).
//! 3. [`plan_inputs`] checks what the server sent (shell-safe keys, safe file
//!    names, limits, unresolved `<no value>` templates).
//! 4. [`write_inputs`] writes `.env`, `.secret` and the files to a staging
//!    folder inside the job dir and publishes it as `in/` in one step.
//!
//! ```no_run
//! # async fn run() -> Result<(), task_boot::BootError> {
//! use std::path::Path;
//! use std::time::Duration;
//! use task_boot::{Durability, FetchOptions, InstanceType, Limits, RunRequest};
//!
//! let req = RunRequest::new(
//!     "optimus.internal:9100", "my-project", "my-job",
//!     "2026-11-23T00:00:00+00:00", InstanceType::Task, "bq2bq",
//! )?
//! .with_dag_run_id(Some("scheduled__2026-11-23T00:00:00+00:00"))?;
//! let job_dir = Path::new("/data");
//! if task_boot::existing_inputs(job_dir, &req.fingerprint(None))?.is_none() {
//!     let opts = FetchOptions::with_deadline(Duration::from_secs(90));
//!     let (input, _stats) = task_boot::fetch_run_input(&req, &opts).await?;
//!     let plan = task_boot::plan_inputs(&input, Vec::new(), &Limits::default(), false)?;
//!     task_boot::write_inputs(job_dir, &plan, &req.fingerprint(None), Durability::Rename)?;
//! }
//! # Ok(()) }
//! ```

mod assets;
mod boot;
mod client;
mod envfile;
mod error;
mod grpc;
mod input;
mod launcher;
mod plan;
mod proto;
mod request;
mod rest;
mod units;
mod write;

pub use assets::{AssetObject, AssetSource, collect_assets};
pub use boot::{Report, Settings, boot, ms};
pub use client::{FetchOptions, FetchStats, Protocol, fetch_run_input};
pub use envfile::{is_valid_key, parse_env_file, render_env_file};
pub use error::{AttemptError, BootError, ReplyProblem};
pub use grpc::GrpcPackage;
pub use input::{RunInput, SecretMap};
pub use launcher::{install_launcher, load_env_files};
pub use plan::{InputPlan, Limits, PlannedFile, plan_inputs};
pub use request::{InstanceType, RunRequest};
pub use units::{parse_duration, parse_size};
pub use write::{
    DIR_MODE, Durability, ENV_FILE, FILE_MODE, INPUT_DIR, MARKER_FILE, Marker, SECRET_FILE,
    SECRET_MODE, WriteStats, existing_inputs, remove_stale_staging, write_inputs,
};
