//! The run-input API client, with retries under one deadline. The two
//! protocols ([`crate::grpc`], [`crate::rest`]) make one attempt each; this
//! loop owns the deadline, the backoff and what is worth another attempt.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use plugin_repo::retry::Backoff;

use crate::grpc::{GrpcCall, GrpcPackage};
use crate::{BootError, Limits, RunInput, RunRequest};

/// Which API of the Optimus server to call.
///
/// ```
/// use task_boot::Protocol;
/// assert_eq!(Protocol::default(), Protocol::Grpc);
/// assert_eq!("rest".parse::<Protocol>().unwrap().to_string(), "rest");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `JobRunService.JobRunInput` over gRPC (HTTP/2), as upstream's init
    /// container calls it. The default.
    #[default]
    Grpc,
    /// The REST gateway's `POST .../run_input` (HTTP/1.1 or HTTP/2, JSON).
    Rest,
}

impl FromStr for Protocol {
    type Err = BootError;

    /// `grpc` or `rest` (any case).
    ///
    /// ```
    /// use task_boot::Protocol;
    /// assert_eq!("gRPC".parse::<Protocol>().unwrap(), Protocol::Grpc);
    /// assert!("soap".parse::<Protocol>().is_err());
    /// ```
    fn from_str(raw: &str) -> Result<Self, BootError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "grpc" => Ok(Self::Grpc),
            "rest" | "http" => Ok(Self::Rest),
            _ => Err(BootError::Setting {
                name: "OPTIMUS_PROTOCOL",
                message: format!("{raw:?} is not one of: grpc, rest"),
            }),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Grpc => "grpc",
            Self::Rest => "rest",
        })
    }
}

/// How to call the API.
///
/// ```
/// use std::time::Duration;
/// use task_boot::{FetchOptions, GrpcPackage, Protocol};
/// let opts = FetchOptions {
///     protocol: Protocol::Grpc,
///     grpc_package: Some(GrpcPackage::Raystack),
///     ..FetchOptions::with_deadline(Duration::from_secs(60))
/// };
/// assert_eq!(opts.deadline, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// gRPC (default) or REST.
    pub protocol: Protocol,
    /// gRPC only: the one service package to call. `None` tries
    /// [`GrpcPackage::ALL`] in order, moving on when a server answers
    /// UNIMPLEMENTED.
    pub grpc_package: Option<GrpcPackage>,
    /// PEM certificates trusted for `https://` hosts, besides the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// The one deadline for all attempts and waits together.
    pub deadline: Duration,
    /// First backoff ceiling (doubles per attempt, full jitter).
    pub base_delay: Duration,
    /// Largest wait between attempts (also caps `Retry-After`).
    pub max_delay: Duration,
    /// Largest reply accepted (the gRPC message or the REST body). A bigger
    /// reply is refused by its announced size, before it is read whole.
    pub max_reply_bytes: u64,
}

impl FetchOptions {
    /// Defaults (gRPC, every package, 250 ms first delay, 10 s cap, reply
    /// limit from [`Limits::default`]) with the given deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// let opts = task_boot::FetchOptions::with_deadline(Duration::from_mins(2));
    /// assert_eq!(opts.protocol, task_boot::Protocol::Grpc);
    /// assert_eq!(opts.max_reply_bytes, task_boot::Limits::default().max_reply_bytes());
    /// ```
    pub fn with_deadline(deadline: Duration) -> Self {
        Self {
            protocol: Protocol::Grpc,
            grpc_package: None,
            ca_pem: None,
            deadline,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_reply_bytes: Limits::default().max_reply_bytes(),
        }
    }
}

/// What fetching took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchStats {
    /// Attempts made (1 when the first one worked). Moving to the next gRPC
    /// package after UNIMPLEMENTED is part of the same attempt.
    pub attempts: u32,
    /// Time from the first attempt to the parsed reply.
    pub elapsed: Duration,
    /// Size of the reply (gRPC message or REST body).
    pub reply_bytes: u64,
    /// What answered: the REST URL, or the gRPC origin and method.
    pub target: String,
}

pub(crate) enum Failure {
    /// Worth another attempt; `retry_after` from the server if it said so.
    Transient {
        what: String,
        retry_after: Option<Duration>,
    },
    Fatal(BootError),
}

impl Failure {
    pub(crate) fn transient(what: impl Into<String>) -> Self {
        Self::Transient {
            what: what.into(),
            retry_after: None,
        }
    }
}

enum Transport {
    Rest(reqwest::Client),
    Grpc(Box<GrpcCall>),
}

impl Transport {
    fn target(&self, req: &RunRequest) -> String {
        match self {
            Self::Rest(_) => req.url().to_owned(),
            Self::Grpc(g) => g.target(),
        }
    }
}

/// Calls the run-input API until it works, a failure that retrying cannot
/// change happens, or the deadline passes.
///
/// gRPC retries UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
/// ABORTED, INTERNAL and UNKNOWN, connection errors and resets; any other
/// status fails at once naming the status and the server's message. REST
/// retries connection and DNS errors, resets and timeouts, HTTP 408, 425,
/// 429 and 5xx (honouring `Retry-After`); any other non-2xx status fails at
/// once. Each attempt's timeout is the time left; no wait is started that
/// would end past the deadline.
pub async fn fetch_run_input(
    req: &RunRequest,
    opts: &FetchOptions,
) -> Result<(RunInput, FetchStats), BootError> {
    let started = Instant::now();
    let mut transport = match opts.protocol {
        Protocol::Rest => Transport::Rest(crate::rest::client(opts)?),
        Protocol::Grpc => Transport::Grpc(Box::new(GrpcCall::new(req, opts)?)),
    };
    let mut backoff = Backoff::new(opts.base_delay, opts.max_delay, opts.deadline);
    let mut attempts = 0u32;
    // The cause of the last failed attempt: when the deadline passes during
    // a backoff wait, the message names it rather than only the deadline.
    let mut last_cause: Option<String> = None;
    loop {
        let left = backoff.remaining();
        let outcome = if left.is_zero() {
            Err(Failure::transient(match last_cause.take() {
                Some(cause) => format!("{cause}; then the deadline passed"),
                None => "the deadline passed".to_owned(),
            }))
        } else {
            attempts += 1;
            let one = async {
                match &mut transport {
                    Transport::Rest(c) => crate::rest::attempt(c, req, opts, left).await,
                    Transport::Grpc(g) => g.attempt(req, opts, left).await,
                }
            };
            if let Ok(r) = tokio::time::timeout(left, one).await {
                r
            } else {
                if let Transport::Grpc(g) = &mut transport {
                    g.reset_connection();
                }
                Err(Failure::transient(no_reply_within(left)))
            }
        };
        match outcome {
            Ok((input, reply_bytes)) => {
                return Ok((
                    input,
                    FetchStats {
                        attempts,
                        elapsed: started.elapsed(),
                        reply_bytes,
                        target: transport.target(req),
                    },
                ));
            }
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Transient { what, retry_after }) => {
                let give_up = |last: String| BootError::GaveUp {
                    target: transport.target(req),
                    attempts,
                    elapsed: started.elapsed(),
                    deadline: opts.deadline,
                    last,
                };
                if backoff.remaining().is_zero() {
                    return Err(give_up(what));
                }
                let Some(wait) = backoff.next_delay(retry_after) else {
                    return Err(give_up(what));
                };
                tracing::warn!(
                    attempt = attempts,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %what,
                    "run-input request failed; retrying"
                );
                last_cause = Some(what);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

pub(crate) fn no_reply_within(left: Duration) -> String {
    format!(
        "no complete reply within the {:.1}s left",
        left.as_secs_f64()
    )
}

/// A server's text for a message: control characters escaped, cut to 500
/// characters.
pub(crate) fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(500)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > 500 {
        out.push_str("...");
    }
    out
}
