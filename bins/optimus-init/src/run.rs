//! The init step: flags into [`task_boot::Settings`], [`task_boot::boot`],
//! then the exit code and the termination summary.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use task_boot::{BootError, Durability, Limits, Report, Settings};

use crate::cli::Cli;
use crate::termination;

pub fn run(cli: &Cli) -> ExitCode {
    let started = Instant::now();
    let mut signal = None;
    let result = settings(cli).and_then(|s| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BootError::Io {
                action: "starting the async runtime",
                path: "-".into(),
                source: e,
            })?;
        let (res, sig) = shutdown::run_cancellable(&rt, &s.cancel, task_boot::boot(&s));
        signal = sig;
        res
    });
    match result {
        Ok(Report::AlreadyComplete(_)) => ExitCode::SUCCESS,
        Ok(_) => {
            tracing::info!(
                total_ms = task_boot::ms(started.elapsed()),
                "optimus-init done"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let (code, e) = match (&e, signal) {
                (BootError::Cancelled { .. }, Some(sig)) => (
                    sig.exit_code(),
                    shutdown::Interrupted::new(sig, e.to_string()).to_string(),
                ),
                _ => (if e.is_usage() { 2 } else { 1 }, e.to_string()),
            };
            tracing::error!(exit_code = code, "{e}");
            let summary = format!(
                "optimus-init failed (exit {code}) after {:.1}s: {e}\n",
                started.elapsed().as_secs_f64()
            );
            termination::write(cli.termination_log.as_deref(), &summary);
            ExitCode::from(code)
        }
    }
}

/// The flags as task-boot's settings. The process's own facts (its binary,
/// its working folder, the cloud credentials in its env) are read here,
/// because the library never reads them.
fn settings(cli: &Cli) -> Result<Settings, BootError> {
    let mut s = Settings::new(&cli.job_dir);
    s.host.clone_from(&cli.host);
    s.project.clone_from(&cli.project);
    s.job_name.clone_from(&cli.job_name);
    s.scheduled_at.clone_from(&cli.scheduled_at);
    s.instance_type.clone_from(&cli.instance_type);
    s.instance_name.clone_from(&cli.instance_name);
    s.dag_run_id.clone_from(&cli.dag_run_id);
    s.jobrun_id.clone_from(&cli.jobrun_id);
    s.protocol = cli.protocol.into();
    s.grpc_package = cli.grpc_package.pinned();
    s.tls_ca_file.clone_from(&cli.tls_ca_file);
    s.deadline = cli.deadline;
    s.assets.clone_from(&cli.assets);
    s.limits = Limits {
        max_files: cli.max_files,
        max_bytes: cli.max_bytes,
    };
    s.strict = cli.strict;
    s.durability = if cli.durable {
        Durability::Sync
    } else {
        Durability::Rename
    };
    if cli.install_launcher {
        s.launcher = Some(std::env::current_exe().map_err(|e| BootError::Io {
            action: "finding the running binary",
            path: "/proc/self/exe".into(),
            source: e,
        })?);
    }
    s.work_dir = std::env::current_dir().unwrap_or_else(|_| "/".into());
    s.env = Arc::new(|k: &str| std::env::var(k).ok());
    Ok(s)
}
