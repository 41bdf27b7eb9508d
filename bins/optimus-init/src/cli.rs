//! Flags; each one a Kubernetes manifest would set also reads an env var.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Init container of an Optimus job run: fetch the run's inputs \
(env, secrets, files) from the Optimus server and write them to JOB_DIR/in";

const AFTER_HELP: &str = "\
Files written (all at once: JOB_DIR/in appears complete or not at all):
  JOB_DIR/in/<name>    each file of the reply (sub-folders allowed), mode 0640
  JOB_DIR/in/.env      envs as KEY='value' lines, mode 0640
  JOB_DIR/in/.secret   secrets, same format, mode 0640 (never world-readable)

The executor loads them with:
  set -o allexport; . /data/in/.env; . /data/in/.secret; set +o allexport
or, without a shell:
  /data/bin/optimus-init exec -- CMD ARGS...   (needs --install-launcher)

Exit codes: 0 done, 1 the work failed (network after retries, server refused,
unsafe input, no space), 2 bad usage or settings, 143/130 stopped by SIGTERM/SIGINT.

Example (the env upstream's DAG sets; OPTIMUS_HOST is the server's gRPC port):
  OPTIMUS_HOST=optimus:9100 PROJECT=p JOB_NAME=j SCHEDULED_AT=2026-11-23T00:00:00+00:00 \\
  DAG_RUN_ID=scheduled__2026-11-23T00:00:00+00:00 INSTANCE_TYPE=task INSTANCE_NAME=bq2bq \\
  JOB_DIR=/data optimus-init";

/// `optimus-init` command line.
#[derive(Debug, Parser)]
#[command(name = "optimus-init", version, about = ABOUT, after_help = AFTER_HELP)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Optimus server: host:port or http://host:port (plaintext), or
    /// https://host:port (TLS). For gRPC its gRPC port, for REST its HTTP
    /// port (a base path allowed).
    #[arg(long, env = "OPTIMUS_HOST", value_name = "HOST")]
    pub host: Option<String>,
    /// The API to call: gRPC JobRunService.JobRunInput, as upstream's init
    /// container does, or the REST gateway.
    #[arg(long, env = "OPTIMUS_PROTOCOL", value_enum, default_value_t = ProtocolArg::Grpc)]
    pub protocol: ProtocolArg,
    /// gRPC only: the fork's service package to call; auto tries
    /// gotocompany, raystack, odpf in turn while the server answers
    /// UNIMPLEMENTED.
    #[arg(long = "grpc-package", env = "OPTIMUS_GRPC_PACKAGE", value_enum, default_value_t = PackageArg::Auto)]
    pub grpc_package: PackageArg,
    /// PEM CA certificates to trust for an https:// host, besides the
    /// system's.
    #[arg(long = "tls-ca-file", env = "OPTIMUS_TLS_CA_FILE", value_name = "PATH")]
    pub tls_ca_file: Option<PathBuf>,
    /// Project name.
    #[arg(long, env = "PROJECT")]
    pub project: Option<String>,
    /// Job name.
    #[arg(long = "job-name", env = "JOB_NAME", value_name = "NAME")]
    pub job_name: Option<String>,
    /// Scheduled time of the run, RFC 3339 (e.g. 2026-11-23T00:00:00Z).
    #[arg(long = "scheduled-at", env = "SCHEDULED_AT", value_name = "TIME")]
    pub scheduled_at: Option<String>,
    /// What the pod runs: task or hook.
    #[arg(long = "instance-type", env = "INSTANCE_TYPE", value_name = "TYPE")]
    pub instance_type: Option<String>,
    /// Name of the task or hook (e.g. bq2bq).
    #[arg(long = "instance-name", env = "INSTANCE_NAME", value_name = "NAME")]
    pub instance_name: Option<String>,
    /// Airflow's run id (e.g. scheduled__2026-11-23T00:00:00+00:00), sent
    /// as dag_run_id.
    #[arg(long = "dag-run-id", env = "DAG_RUN_ID", value_name = "ID")]
    pub dag_run_id: Option<String>,
    /// Job run id, a UUID (anything else exits 2), sent as jobrun_id.
    #[arg(long = "jobrun-id", env = "JOBRUN_ID", value_name = "UUID")]
    pub jobrun_id: Option<String>,
    /// The shared volume; inputs go to JOB_DIR/in.
    #[arg(
        long = "job-dir",
        env = "JOB_DIR",
        default_value = "/data",
        value_name = "DIR",
        global = true
    )]
    pub job_dir: PathBuf,
    /// Overall deadline for fetching, retries included (e.g. 90s, 2m, 1500ms).
    #[arg(long, env = "OPTIMUS_INIT_DEADLINE", default_value = "90s", value_parser = task_boot::parse_duration)]
    pub deadline: Duration,
    /// Also copy every object under this prefix into JOB_DIR/in
    /// (gs://bucket/prefix, s3://..., az://..., file:///dir).
    #[arg(long, env = "OPTIMUS_INIT_ASSETS", value_name = "URL")]
    pub assets: Option<String>,
    /// Fail (instead of warn) when a value still holds "<no value>".
    #[arg(long, env = "OPTIMUS_INIT_STRICT")]
    pub strict: bool,
    /// Most files to write (server files plus assets).
    #[arg(
        long = "max-files",
        env = "OPTIMUS_INIT_MAX_FILES",
        default_value_t = 10_000
    )]
    pub max_files: u64,
    /// Most bytes over all files (e.g. 256MiB).
    #[arg(long = "max-bytes", env = "OPTIMUS_INIT_MAX_BYTES", default_value = "256MiB", value_parser = task_boot::parse_size)]
    pub max_bytes: u64,
    /// Where to write a failure summary for `kubectl describe pod`
    /// [default: /dev/termination-log, if it exists].
    #[arg(
        long = "termination-log",
        env = "OPTIMUS_INIT_TERMINATION_LOG",
        value_name = "PATH"
    )]
    pub termination_log: Option<PathBuf>,
    /// Flush the inputs to disk (one syncfs) before publishing them; off by
    /// default, as JOB_DIR is the pod's emptyDir and dies with it.
    #[arg(long, env = "OPTIMUS_INIT_DURABLE")]
    pub durable: bool,
    /// Also copy this binary to JOB_DIR/bin/optimus-init, for
    /// `optimus-init exec` in the executor container.
    #[arg(long = "install-launcher", env = "OPTIMUS_INIT_INSTALL_LAUNCHER")]
    pub install_launcher: bool,
    /// Log format.
    #[arg(long = "log-format", env = "OPTIMUS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log debug details too (-vv: trace, the transport's too).
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
    /// Subcommand; without one, fetch and write the inputs.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run CMD with JOB_DIR/in/.env and .secret loaded into its environment.
    ///
    /// The process is replaced by CMD (signals reach it directly, its exit
    /// code is the exit code). Nothing is printed. Exit 126/127 if CMD
    /// cannot be run, 1 if the env files cannot be read.
    #[command(after_help = "Example: /data/bin/optimus-init exec -- python3 /app/main.py --flag")]
    Exec {
        /// The command and its arguments.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "CMD"
        )]
        command: Vec<OsString>,
    },
}

/// `--protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// gRPC over HTTP/2 (upstream's init container).
    Grpc,
    /// The REST gateway (JSON).
    Rest,
}

impl From<ProtocolArg> for task_boot::Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Grpc => Self::Grpc,
            ProtocolArg::Rest => Self::Rest,
        }
    }
}

/// `--grpc-package`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PackageArg {
    /// Try gotocompany, raystack, odpf in turn.
    Auto,
    /// gotocompany.optimus.core.v1beta1 (goto/optimus).
    Gotocompany,
    /// raystack.optimus.core.v1beta1 (raystack/optimus).
    Raystack,
    /// odpf.optimus.core.v1beta1 (odpf/optimus).
    Odpf,
}

impl PackageArg {
    /// The pinned package, if any.
    pub fn pinned(self) -> Option<task_boot::GrpcPackage> {
        match self {
            Self::Auto => None,
            Self::Gotocompany => Some(task_boot::GrpcPackage::Gotocompany),
            Self::Raystack => Some(task_boot::GrpcPackage::Raystack),
            Self::Odpf => Some(task_boot::GrpcPackage::Odpf),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
