//! The whole init step from its settings: request, fetch, assets, plan,
//! write, with the progress lines an operator reads in the pod's log.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use plugin_repo::{EnvLookup, ProviderContext};

use crate::{
    AssetSource, BootError, Durability, FetchOptions, FetchStats, GrpcPackage, INPUT_DIR,
    InstanceType, Limits, Marker, Protocol, RunRequest, WriteStats,
};

/// Everything one init step needs, as a front end read it from its flags
/// and env. The request fields are checked by [`boot`] (a missing one is a
/// [`BootError::Setting`] naming the env var and the flag).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let mut s = task_boot::Settings::new("/data");
/// s.host = Some("optimus.internal:9100".into());
/// s.deadline = Duration::from_secs(30);
/// assert_eq!(s.protocol, task_boot::Protocol::Grpc);
/// assert_eq!(s.limits, task_boot::Limits::default());
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Settings {
    /// `OPTIMUS_HOST`: `host:port`, `http://host:port` or `https://host:port`.
    pub host: Option<String>,
    /// `PROJECT`.
    pub project: Option<String>,
    /// `JOB_NAME`.
    pub job_name: Option<String>,
    /// `SCHEDULED_AT`, RFC 3339.
    pub scheduled_at: Option<String>,
    /// `INSTANCE_TYPE`: `task` or `hook`.
    pub instance_type: Option<String>,
    /// `INSTANCE_NAME`.
    pub instance_name: Option<String>,
    /// `DAG_RUN_ID`, Airflow's run id.
    pub dag_run_id: Option<String>,
    /// `JOBRUN_ID`, a UUID.
    pub jobrun_id: Option<String>,
    /// `JOB_DIR`, the shared volume; inputs go to `JOB_DIR/in`.
    pub job_dir: PathBuf,
    /// gRPC (default) or REST.
    pub protocol: Protocol,
    /// gRPC only: the one package to call; `None` tries each fork's.
    pub grpc_package: Option<GrpcPackage>,
    /// PEM CA certificates to trust besides the system's.
    pub tls_ca_file: Option<PathBuf>,
    /// The one deadline for fetching, retries included.
    pub deadline: Duration,
    /// `--assets`: a prefix whose objects are copied into `in/` too.
    pub assets: Option<String>,
    /// Limits on files and bytes written.
    pub limits: Limits,
    /// Fail instead of warn on `<no value>`.
    pub strict: bool,
    /// Flush before publishing, or not.
    pub durability: Durability,
    /// The binary to copy to `JOB_DIR/bin/optimus-init` (the launcher for
    /// `optimus-init exec`), if any.
    pub launcher: Option<PathBuf>,
    /// The folder a relative `--assets` path is read against.
    pub work_dir: PathBuf,
    /// How the asset providers look up credentials (the standard cloud
    /// env vars); the front end decides what it may see.
    pub env: EnvLookup,
    /// Cancelling it stops the step before `in/` is published: the
    /// request or the asset download is dropped and [`boot`] returns
    /// [`BootError::Cancelled`] with nothing written.
    pub cancel: tokio_util::sync::CancellationToken,
}

impl Settings {
    /// Settings with the defaults of `optimus-init`'s flags: gRPC, every
    /// package, a 90 s deadline, [`Limits::default`], no assets, no
    /// launcher, no env lookup, `/` as the work dir.
    pub fn new(job_dir: impl Into<PathBuf>) -> Self {
        Self {
            host: None,
            project: None,
            job_name: None,
            scheduled_at: None,
            instance_type: None,
            instance_name: None,
            dag_run_id: None,
            jobrun_id: None,
            job_dir: job_dir.into(),
            protocol: Protocol::Grpc,
            grpc_package: None,
            tls_ca_file: None,
            deadline: Duration::from_secs(90),
            assets: None,
            limits: Limits::default(),
            strict: false,
            durability: Durability::Rename,
            launcher: None,
            work_dir: PathBuf::from("/"),
            env: std::sync::Arc::new(|_: &str| None),
            cancel: tokio_util::sync::CancellationToken::new(),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("project", &self.project)
            .field("job_name", &self.job_name)
            .field("job_dir", &self.job_dir)
            .field("protocol", &self.protocol)
            .field("assets", &self.assets)
            .finish_non_exhaustive()
    }
}

/// What [`boot`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Report {
    /// `in/` was already complete for this very request; nothing fetched.
    AlreadyComplete(Marker),
    /// The inputs were fetched and published.
    Written {
        /// The run-input call.
        fetch: FetchStats,
        /// Number of asset files among those written.
        asset_files: usize,
        /// The write.
        write: WriteStats,
    },
}

/// Runs the init step: checks the settings, installs the launcher if asked,
/// removes staging left by a killed run, returns early when `in/` is
/// already complete for this request, else fetches the run input (and the
/// assets), checks it and publishes `JOB_DIR/in` in one step. Progress is
/// logged through `tracing`; nothing is printed.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> Result<(), task_boot::BootError> {
/// let mut s = task_boot::Settings::new("/data");
/// s.host = Some("optimus.internal:9100".into());
/// s.project = Some("my-project".into());
/// s.job_name = Some("my-job".into());
/// s.scheduled_at = Some("2026-11-23T00:00:00+00:00".into());
/// s.instance_type = Some("task".into());
/// s.instance_name = Some("bq2bq".into());
/// match task_boot::boot(&s).await? {
///     task_boot::Report::AlreadyComplete(m) => println!("{} files were there", m.files),
///     task_boot::Report::Written { write, .. } => println!("{} files", write.marker.files),
///     _ => {}
/// }
/// # Ok(()) }
/// ```
pub async fn boot(s: &Settings) -> Result<Report, BootError> {
    let req = request(s)?;
    let opts = fetch_options(s)?;
    let assets = match &s.assets {
        Some(raw) => {
            let ctx = ProviderContext::new(&s.work_dir).with_env(s.env.clone());
            Some(AssetSource::open(raw, &s.work_dir, &ctx)?)
        }
        None => None,
    };
    let job_dir = s.job_dir.as_path();
    let fingerprint = req.fingerprint(s.assets.as_deref());
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
    if let Some(exe) = &s.launcher {
        let t = Instant::now();
        let dest = job_dir.join("bin").join("optimus-init");
        crate::install_launcher(exe, &dest)?;
        tracing::info!(path = %dest.display(), ms = ms(t.elapsed()), "launcher installed");
    }
    let stale = crate::remove_stale_staging(job_dir)?;
    if stale > 0 {
        tracing::info!(
            removed = stale,
            "removed staging folders of an interrupted run"
        );
    }
    if let Some(marker) = crate::existing_inputs(job_dir, &fingerprint)? {
        tracing::info!(
            files = marker.files,
            bytes = marker.bytes,
            envs = marker.envs,
            secrets = marker.secrets,
            "inputs for this run are already complete in {}; nothing to do",
            in_dir(job_dir).display()
        );
        return Ok(Report::AlreadyComplete(marker));
    }

    let cancelled = || BootError::Cancelled {
        job_dir: job_dir.to_path_buf(),
    };
    let (input, fetch) = tokio::select! {
        () = s.cancel.cancelled() => return Err(cancelled()),
        got = crate::fetch_run_input(&req, &opts) => got?,
    };
    tracing::info!(
        from = %fetch.target,
        attempts = fetch.attempts,
        reply_bytes = fetch.reply_bytes,
        envs = input.envs.len(),
        secrets = input.secrets.len(),
        files = input.files.len(),
        ms = ms(fetch.elapsed),
        "fetched run input"
    );
    let asset_objects = match &assets {
        Some(src) => {
            let t = Instant::now();
            let objs = tokio::select! {
                () = s.cancel.cancelled() => return Err(cancelled()),
                got = crate::collect_assets(src, &s.limits) => got?,
            };
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
    let asset_files = asset_objects.len();
    let plan = crate::plan_inputs(&input, asset_objects, &s.limits, s.strict)?;
    if !plan.no_value.is_empty() {
        tracing::warn!(
            places = %plan.no_value.join(", "),
            "values hold \"<no value>\" (an unresolved template on the server); use --strict to fail instead"
        );
    }
    if s.cancel.is_cancelled() {
        return Err(cancelled());
    }
    let write = crate::write_inputs(job_dir, &plan, &fingerprint, s.durability)?;
    tracing::info!(
        files = write.marker.files,
        bytes = write.marker.bytes,
        envs = write.marker.envs,
        secrets = write.marker.secrets,
        replaced_old = write.replaced,
        ms = ms(write.elapsed),
        "wrote {}",
        in_dir(job_dir).display()
    );
    Ok(Report::Written {
        fetch,
        asset_files,
        write,
    })
}

/// Milliseconds for a log field.
///
/// ```
/// assert_eq!(task_boot::ms(std::time::Duration::from_secs(2)), 2000);
/// ```
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn in_dir(job_dir: &Path) -> PathBuf {
    job_dir.join(INPUT_DIR)
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

fn request(s: &Settings) -> Result<RunRequest, BootError> {
    let host = required(s.host.as_deref(), "OPTIMUS_HOST", "--host")?;
    let project = required(s.project.as_deref(), "PROJECT", "--project")?;
    let job = required(s.job_name.as_deref(), "JOB_NAME", "--job-name")?;
    let at = required(s.scheduled_at.as_deref(), "SCHEDULED_AT", "--scheduled-at")?;
    let ty = InstanceType::parse(required(
        s.instance_type.as_deref(),
        "INSTANCE_TYPE",
        "--instance-type",
    )?)?;
    let name = required(
        s.instance_name.as_deref(),
        "INSTANCE_NAME",
        "--instance-name",
    )?;
    RunRequest::new(host, project, job, at, ty, name)?
        .with_jobrun_id(s.jobrun_id.as_deref())?
        .with_dag_run_id(s.dag_run_id.as_deref())
}

fn fetch_options(s: &Settings) -> Result<FetchOptions, BootError> {
    let mut opts = FetchOptions::with_deadline(s.deadline);
    opts.protocol = s.protocol;
    opts.grpc_package = s.grpc_package;
    opts.max_reply_bytes = s.limits.max_reply_bytes();
    if let Some(path) = &s.tls_ca_file {
        let pem = std::fs::read(path).map_err(|e| BootError::Setting {
            name: "OPTIMUS_TLS_CA_FILE",
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        opts.ca_pem = Some(pem);
    }
    Ok(opts)
}
