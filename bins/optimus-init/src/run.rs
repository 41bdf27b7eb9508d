//! The init container's work: settings -> fetch -> (assets) -> plan -> write.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use task_boot::{BootError, Durability, FetchOptions, InstanceType, Limits, RunRequest};

use crate::cli::Cli;
use crate::termination;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub fn run(cli: &Cli) -> ExitCode {
    let started = Instant::now();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BootError::Io {
            action: "starting the async runtime",
            path: "-".into(),
            source: e,
        })
        .and_then(|rt| rt.block_on(work(cli, started)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.is_usage() { 2 } else { 1 };
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

fn required<'a>(
    value: Option<&'a str>,
    name: &'static str,
    flag: &str,
) -> Result<&'a str, BootError> {
    value.ok_or_else(|| BootError::Setting {
        name,
        message: format!("not set; set {flag} or the {name} env var"),
    })
}

fn request(cli: &Cli) -> Result<RunRequest, BootError> {
    let host = required(cli.host.as_deref(), "OPTIMUS_HOST", "--host")?;
    let project = required(cli.project.as_deref(), "PROJECT", "--project")?;
    let job = required(cli.job_name.as_deref(), "JOB_NAME", "--job-name")?;
    let at = required(
        cli.scheduled_at.as_deref(),
        "SCHEDULED_AT",
        "--scheduled-at",
    )?;
    let ty = InstanceType::parse(required(
        cli.instance_type.as_deref(),
        "INSTANCE_TYPE",
        "--instance-type",
    )?)?;
    let name = required(
        cli.instance_name.as_deref(),
        "INSTANCE_NAME",
        "--instance-name",
    )?;
    RunRequest::new(host, project, job, at, ty, name)?
        .with_jobrun_id(cli.jobrun_id.as_deref())?
        .with_dag_run_id(cli.dag_run_id.as_deref())
}

fn fetch_options(cli: &Cli, limits: &Limits) -> Result<FetchOptions, BootError> {
    let mut opts = FetchOptions::with_deadline(cli.deadline);
    opts.protocol = cli.protocol.into();
    opts.grpc_package = cli.grpc_package.pinned();
    opts.max_reply_bytes = limits.max_reply_bytes();
    if let Some(path) = &cli.tls_ca_file {
        let pem = std::fs::read(path).map_err(|e| BootError::Setting {
            name: "OPTIMUS_TLS_CA_FILE",
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        opts.ca_pem = Some(pem);
    }
    Ok(opts)
}

async fn work(cli: &Cli, started: Instant) -> Result<(), BootError> {
    let req = request(cli)?;
    let limits = Limits {
        max_files: cli.max_files,
        max_bytes: cli.max_bytes,
    };
    let opts = fetch_options(cli, &limits)?;
    let assets = match &cli.assets {
        Some(raw) => {
            let ctx = plugin_context();
            let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
            Some(task_boot::AssetSource::open(raw, &cwd, &ctx)?)
        }
        None => None,
    };
    let job_dir = cli.job_dir.as_path();
    let fingerprint = req.fingerprint(cli.assets.as_deref());
    tracing::info!(
        host = %req.host_url(),
        protocol = %opts.protocol,
        project = req.project(),
        job = req.job(),
        scheduled_at = req.scheduled_at(),
        instance_type = %req.instance_type(),
        instance_name = req.instance_name(),
        dag_run_id = req.dag_run_id().unwrap_or(""),
        jobrun_id = req.jobrun_id().unwrap_or(""),
        job_dir = %job_dir.display(),
        "optimus-init starting"
    );

    if cli.install_launcher {
        let t = Instant::now();
        let exe = std::env::current_exe().map_err(|e| BootError::Io {
            action: "finding the running binary",
            path: "/proc/self/exe".into(),
            source: e,
        })?;
        let dest = job_dir.join("bin").join("optimus-init");
        task_boot::install_launcher(&exe, &dest)?;
        tracing::info!(path = %dest.display(), ms = ms(t.elapsed()), "launcher installed");
    }

    let stale = task_boot::remove_stale_staging(job_dir)?;
    if stale > 0 {
        tracing::info!(
            removed = stale,
            "removed staging folders of an interrupted run"
        );
    }
    if let Some(marker) = task_boot::existing_inputs(job_dir, &fingerprint)? {
        tracing::info!(
            files = marker.files,
            bytes = marker.bytes,
            envs = marker.envs,
            secrets = marker.secrets,
            "inputs for this run are already complete in {}; nothing to do",
            job_dir.join(task_boot::INPUT_DIR).display()
        );
        return Ok(());
    }

    let (input, stats) = task_boot::fetch_run_input(&req, &opts).await?;
    tracing::info!(
        from = %stats.target,
        attempts = stats.attempts,
        reply_bytes = stats.reply_bytes,
        envs = input.envs.len(),
        secrets = input.secrets.len(),
        files = input.files.len(),
        ms = ms(stats.elapsed),
        "fetched run input"
    );

    let asset_objects = match &assets {
        Some(src) => {
            let t = Instant::now();
            let objs = task_boot::collect_assets(src, &limits).await?;
            let bytes: usize = objs.iter().map(|o| o.content.len()).sum();
            tracing::info!(
                source = src.name(),
                files = objs.len(),
                bytes,
                ms = ms(t.elapsed()),
                "fetched assets"
            );
            objs
        }
        None => Vec::new(),
    };

    let plan = task_boot::plan_inputs(&input, asset_objects, &limits, cli.strict)?;
    if !plan.no_value.is_empty() {
        tracing::warn!(
            places = %plan.no_value.join(", "),
            "values hold \"<no value>\" (an unresolved template on the server); use --strict to fail instead"
        );
    }
    let durability = if cli.durable {
        Durability::Sync
    } else {
        Durability::Rename
    };
    let written = task_boot::write_inputs(job_dir, &plan, &fingerprint, durability)?;
    tracing::info!(
        files = written.marker.files,
        bytes = written.marker.bytes,
        envs = written.marker.envs,
        secrets = written.marker.secrets,
        replaced_old = written.replaced,
        ms = ms(written.elapsed),
        "wrote {}",
        job_dir.join(task_boot::INPUT_DIR).display()
    );
    tracing::info!(total_ms = ms(started.elapsed()), "optimus-init done");
    Ok(())
}

/// Provider context for `--assets`: cloud credentials come from the
/// standard env vars, read here because the library never reads them.
fn plugin_context() -> plugin_repo::ProviderContext {
    plugin_repo::ProviderContext::new(std::env::current_dir().unwrap_or_else(|_| "/".into()))
        .with_env(Arc::new(|k: &str| std::env::var(k).ok()))
}
