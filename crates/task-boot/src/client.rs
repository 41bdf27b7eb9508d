//! The run-input API client, with retries under one deadline. The two
//! protocols ([`crate::grpc`], [`crate::rest`]) make one attempt each and
//! say whether a failure is worth another; the workspace's one retry runner
//! ([`plugin_repo::retry::RetryPolicy::run`]) owns the deadline and the
//! backoff.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use plugin_repo::retry::{Class, Classify, RetryPolicy, StopReason};
use tokio::sync::Mutex;

use crate::grpc::{GrpcCall, GrpcPackage};
use crate::{AttemptError, BootError, Limits, RunInput, RunRequest};

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

/// One attempt's failure as the retry runner sees it.
pub(crate) enum Failure {
    /// Worth another attempt.
    Transient(AttemptError),
    /// Retrying cannot change it.
    Fatal(BootError),
}

impl Classify for Failure {
    fn class(&self) -> Class {
        match self {
            Failure::Transient(e) => Class::Transient {
                retry_after: e.retry_after(),
            },
            Failure::Fatal(_) => Class::Permanent,
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
    let transport = Mutex::new(match opts.protocol {
        Protocol::Rest => Transport::Rest(crate::rest::client(opts)?),
        Protocol::Grpc => Transport::Grpc(Box::new(GrpcCall::new(req, opts)?)),
    });
    // Attempts that reached the network, and the attempt after which the
    // last wait started: when the deadline passes during that wait, the
    // message names the failure before it rather than only the deadline.
    let sent = AtomicU32::new(0);
    let mut waited_after = 0;
    let outcome = RetryPolicy::new(opts.base_delay, opts.max_delay, opts.deadline)
        .run(
            |attempt| {
                let (transport, sent) = (&transport, &sent);
                async move {
                    let left = attempt.remaining;
                    if left.is_zero() {
                        return Err(Failure::Transient(AttemptError::DeadlinePassed));
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    let mut transport = transport.lock().await;
                    let one = async {
                        match &mut *transport {
                            Transport::Rest(c) => crate::rest::attempt(c, req, opts, left).await,
                            Transport::Grpc(g) => g.attempt(req, opts, left).await,
                        }
                    };
                    if let Ok(r) = tokio::time::timeout(left, one).await {
                        r
                    } else {
                        if let Transport::Grpc(g) = &mut *transport {
                            g.reset_connection();
                        }
                        Err(Failure::Transient(AttemptError::NoReply { left }))
                    }
                }
            },
            |failure, attempt, wait| {
                if let Failure::Transient(e) = failure {
                    tracing::warn!(
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        error = %e,
                        "run-input request failed; retrying"
                    );
                }
                waited_after = attempt;
            },
        )
        .await;
    let transport = transport.into_inner();
    let attempts = sent.into_inner();
    match outcome {
        Ok((input, reply_bytes)) => Ok((
            input,
            FetchStats {
                attempts,
                elapsed: started.elapsed(),
                reply_bytes,
                target: transport.target(req),
            },
        )),
        Err(gave_up) => {
            let during_wait =
                gave_up.reason == StopReason::Deadline && waited_after == gave_up.attempts;
            match gave_up.last {
                Failure::Fatal(e) => Err(e),
                Failure::Transient(last) => Err(BootError::GaveUp {
                    target: transport.target(req),
                    attempts,
                    elapsed: started.elapsed(),
                    deadline: opts.deadline,
                    last: if during_wait {
                        AttemptError::DeadlinePassedAfter(Box::new(last))
                    } else {
                        last
                    },
                }),
            }
        }
    }
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
