//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong booting a job run. Messages name the setting,
/// key, file or URL at fault and never contain a secret value or file content.
///
/// ```
/// let err = task_boot::InstanceType::parse("job").unwrap_err();
/// assert!(matches!(err, task_boot::BootError::Setting { name: "INSTANCE_TYPE", .. }));
/// assert!(err.to_string().contains("INSTANCE_TYPE"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BootError {
    /// A setting (flag or env var) is missing or malformed. Exit code 2.
    #[error("invalid {name}: {message}")]
    Setting {
        /// The setting, e.g. `SCHEDULED_AT`.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The HTTP client for the REST gateway cannot be set up (the CA
    /// certificates of `--tls-ca-file` are not PEM, a proxy variable is not
    /// a URL, ...). Exit code 2.
    #[error("invalid {name}: {}", plugin_repo::error_chain(source))]
    HttpClient {
        /// The setting at fault, e.g. `OPTIMUS_TLS_CA_FILE`.
        name: &'static str,
        /// plugin-repo's error, naming what is wrong.
        #[source]
        source: plugin_repo::RepoError,
    },
    /// The server refused the request: an HTTP 4xx other than 408/425/429
    /// (or a redirect), or a gRPC status that retrying cannot change
    /// (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED,
    /// UNIMPLEMENTED by every fork, ...). Not retried.
    #[error("the Optimus server refused the request: {target} answered {status}: {message}")]
    Refused {
        /// What was called: the REST URL, or the gRPC origin and method.
        target: String,
        /// `HTTP 404`, or the gRPC status name such as `NOT_FOUND`.
        status: String,
        /// The server's message (from its error body or `grpc-message`).
        message: String,
    },
    /// Transient failures went on until the deadline.
    #[error(
        "no run input from {target} after {attempts} attempt(s) in {:.1}s (deadline {:.0}s): {last}",
        elapsed.as_secs_f64(), deadline.as_secs_f64()
    )]
    GaveUp {
        /// What was called.
        target: String,
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The overall deadline.
        deadline: Duration,
        /// The last failure, typed.
        #[source]
        last: AttemptError,
    },
    /// The server's reply is not the run-input message, or is too big.
    #[error("the Optimus server sent a bad reply from {target}: {problem}")]
    BadReply {
        /// What was called.
        target: String,
        /// What is wrong with it.
        #[source]
        problem: ReplyProblem,
    },
    /// The TLS handshake failed (the server's certificate is not trusted,
    /// names another host, ...). Not retried.
    #[error("no TLS connection to {target}: {reason}")]
    Tls {
        /// The server.
        target: String,
        /// The handshake's own message.
        reason: String,
        /// The transport error holding it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A server-provided file name could escape `in/` or is otherwise unsafe.
    #[error("unsafe file name from the server: {0}")]
    UnsafeName(#[source] safe_fs::PathError),
    /// Two file names collide, or a file uses a reserved name.
    #[error("file name {name:?} from the server {reason}")]
    NameConflict {
        /// The file name (normalised).
        name: String,
        /// Why it cannot be written.
        reason: String,
    },
    /// An env or secret key is not a valid shell variable name.
    #[error("{map} key {key:?} is not a valid shell variable name ([A-Za-z_][A-Za-z0-9_]*)")]
    BadKey {
        /// `envs` or `secrets`.
        map: &'static str,
        /// The key, shown escaped.
        key: String,
    },
    /// A value cannot be represented in a shell variable.
    #[error("{map} value of {key} {reason}")]
    BadValue {
        /// `envs` or `secrets`.
        map: &'static str,
        /// The key whose value is bad (never the value).
        key: String,
        /// Why.
        reason: String,
    },
    /// A limit on file count or size was passed.
    #[error("{what}: {actual} is over the limit of {limit}")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// The limit.
        limit: u64,
        /// What the input had (at least).
        actual: u64,
    },
    /// `--strict` and some values still hold `<no value>` (an unresolved
    /// template on the server).
    #[error("unresolved template value \"<no value>\" in: {}", places.join(", "))]
    NoValue {
        /// Where: `envs.KEY`, `secrets.KEY` or `files/NAME`.
        places: Vec<String>,
    },
    /// An `.env`/`.secret` file could not be read back (exec launcher).
    #[error("{}:{line}: {message}", path.display())]
    EnvFile {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong (never the value).
        message: String,
    },
    /// The optional asset source failed (listing or reading an object).
    #[error("assets from {source_name}: {source}")]
    Assets {
        /// The source, without credentials or query string.
        source_name: String,
        /// The provider's error.
        #[source]
        source: plugin_repo::RepoError,
    },
    /// The asset store listed an object outside the prefix it was asked for.
    #[error("assets from {source_name}: listed object {path:?} is outside the prefix")]
    AssetOutsidePrefix {
        /// The source, without credentials or query string.
        source_name: String,
        /// The object's path as listed.
        path: String,
    },
    /// Publishing the staged `in/` failed (flush, switch, or removing the
    /// old copy).
    #[error("publishing the inputs: {source}")]
    Publish {
        /// What failed, with its path.
        #[source]
        source: safe_fs::publish::PublishError,
    },
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `writing`.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The job dir's volume has no room for the inputs (checked before
    /// writing, or a write failed with `ENOSPC`); the staging folder was
    /// removed and no `in/` was published.
    #[error("{source}; no inputs were written")]
    NoSpace {
        /// The folder, what was needed and what is free.
        #[from]
        source: safe_fs::space::NoSpace,
    },
    /// The init step was cancelled (SIGTERM or SIGINT in the CLI) before
    /// `in/` was published: the request dropped, nothing written.
    #[error("writing the inputs into {} cancelled; no inputs were written", job_dir.display())]
    Cancelled {
        /// The job dir.
        job_dir: PathBuf,
    },
}

/// Why one run-input attempt failed in a way another attempt may fix: the
/// `last` of [`BootError::GaveUp`]. Displays as the log line and the error
/// message name it; never holds a reply body or a secret.
///
/// ```
/// use std::time::Duration;
/// use task_boot::AttemptError;
///
/// let e = AttemptError::Status { status: 503, message: "overloaded".into(), retry_after: None };
/// assert_eq!(e.to_string(), "HTTP 503: overloaded");
/// let late = AttemptError::DeadlinePassedAfter(Box::new(e));
/// assert_eq!(late.to_string(), "HTTP 503: overloaded; then the deadline passed");
/// assert_eq!(
///     AttemptError::NoReply { left: Duration::from_millis(1500) }.to_string(),
///     "no complete reply within the 1.5s left"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// No complete reply within the time left before the deadline.
    #[error("no complete reply within the {:.1}s left", left.as_secs_f64())]
    NoReply {
        /// The time the attempt had.
        left: Duration,
    },
    /// The deadline had passed before the first attempt could start.
    #[error("the deadline passed")]
    DeadlinePassed,
    /// The deadline passed during the wait after this failure.
    #[error("{0}; then the deadline passed")]
    DeadlinePassedAfter(#[source] Box<AttemptError>),
    /// The REST gateway answered 408, 425, 429 or 5xx.
    #[error("HTTP {status}: {message}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's message (from its error body), made printable.
        message: String,
        /// The server's `Retry-After`, if it gave one.
        retry_after: Option<Duration>,
    },
    /// The REST request could not be sent (connection refused or reset,
    /// DNS, ...).
    #[error("{}", plugin_repo::error_chain(.0))]
    Request(#[source] reqwest::Error),
    /// The REST reply broke off while its body was read.
    #[error("reading the reply: {}", plugin_repo::error_chain(.0))]
    Body(#[source] reqwest::Error),
    /// A gRPC status worth retrying (UNAVAILABLE, DEADLINE_EXCEEDED,
    /// RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN), or one the
    /// transport made for a broken connection.
    #[error("{}: {message}", crate::grpc::code_name(*code))]
    Grpc {
        /// The status code.
        code: tonic::Code,
        /// The status message, made printable (`(no message)` if empty).
        message: String,
    },
    /// The gRPC connection could not be made (refused, DNS, timeout, ...).
    #[error("{}", plugin_repo::error_chain(.0))]
    Connect(#[source] tonic::transport::Error),
}

impl AttemptError {
    /// The server's requested wait before the next attempt, if any.
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = task_boot::AttemptError::Status {
    ///     status: 429, message: "slow down".into(), retry_after: Some(Duration::from_secs(2)),
    /// };
    /// assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AttemptError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What is wrong with a run-input reply ([`BootError::BadReply`]). Never
/// holds the reply body itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyProblem {
    /// Over the limit, refused by its announced size where the protocol
    /// tells it.
    #[error(
        "the reply is {} (raise --max-bytes)",
        match found {
            Some(n) => format!("{n} bytes, over the limit of {limit} bytes"),
            None => format!("over {limit} bytes"),
        }
    )]
    TooBig {
        /// The limit in bytes.
        limit: u64,
        /// The size the server announced, when known.
        found: Option<u64>,
    },
    /// Not the expected message.
    #[error("not the {what} ({reason})")]
    Undecodable {
        /// The message expected, e.g. `run-input JSON`.
        what: &'static str,
        /// The decoder's message (names a position, never the text).
        reason: String,
        /// The decoder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl BootError {
    /// Whether this is a usage/config problem (exit code 2) rather than the
    /// work failing (exit code 1).
    ///
    /// ```
    /// let err = "soap".parse::<task_boot::Protocol>().unwrap_err();
    /// assert!(err.is_usage(), "a bad setting exits with 2");
    /// ```
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            BootError::Setting { .. } | BootError::HttpClient { .. }
        )
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        BootError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
