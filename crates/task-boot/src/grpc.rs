//! The gRPC call: `/<package>.optimus.core.v1beta1.JobRunService/JobRunInput`
//! over HTTP/2 (plaintext for `host:port` and `http://`, TLS for `https://`).

use std::error::Error as _;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use prost::Message as _;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Status};

use crate::client::{Failure, printable};
use crate::proto::{JobRunInputRequest, JobRunInputResponse};
use crate::{AttemptError, BootError, FetchOptions, ReplyProblem, RunInput, RunRequest};

/// The proto package of the server's `JobRunService`: each fork of Optimus
/// renamed it, keeping the messages and field numbers.
///
/// ```
/// use task_boot::GrpcPackage;
/// let names: Vec<&str> = GrpcPackage::ALL.iter().map(|p| p.name()).collect();
/// assert_eq!(names, ["gotocompany", "raystack", "odpf"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcPackage {
    /// `gotocompany.optimus.core.v1beta1` (goto/optimus).
    Gotocompany,
    /// `raystack.optimus.core.v1beta1` (raystack/optimus).
    Raystack,
    /// `odpf.optimus.core.v1beta1` (odpf/optimus, the oldest).
    Odpf,
}

impl GrpcPackage {
    /// The order tried when none is pinned: the current fork first.
    pub const ALL: [GrpcPackage; 3] = [Self::Gotocompany, Self::Raystack, Self::Odpf];

    /// The short name (`gotocompany`, `raystack`, `odpf`).
    ///
    /// ```
    /// assert_eq!(task_boot::GrpcPackage::Odpf.name(), "odpf");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Gotocompany => "gotocompany",
            Self::Raystack => "raystack",
            Self::Odpf => "odpf",
        }
    }

    /// The method path of `JobRunInput` in this package.
    ///
    /// ```
    /// use task_boot::GrpcPackage;
    /// assert_eq!(GrpcPackage::Raystack.method_path(),
    ///            "/raystack.optimus.core.v1beta1.JobRunService/JobRunInput");
    /// ```
    pub fn method_path(self) -> &'static str {
        match self {
            Self::Gotocompany => "/gotocompany.optimus.core.v1beta1.JobRunService/JobRunInput",
            Self::Raystack => "/raystack.optimus.core.v1beta1.JobRunService/JobRunInput",
            Self::Odpf => "/odpf.optimus.core.v1beta1.JobRunService/JobRunInput",
        }
    }
}

impl FromStr for GrpcPackage {
    type Err = BootError;

    /// `gotocompany` (also `goto`), `raystack` or `odpf`, any case.
    fn from_str(raw: &str) -> Result<Self, BootError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "gotocompany" | "goto" => Ok(Self::Gotocompany),
            "raystack" => Ok(Self::Raystack),
            "odpf" => Ok(Self::Odpf),
            _ => Err(BootError::Setting {
                name: "OPTIMUS_GRPC_PACKAGE",
                message: format!("{raw:?} is not one of: auto, gotocompany, raystack, odpf"),
            }),
        }
    }
}

impl fmt::Display for GrpcPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One run-input call over gRPC, kept across attempts: the connection (until
/// it fails) and which packages have answered UNIMPLEMENTED.
pub(crate) struct GrpcCall {
    endpoint: Endpoint,
    origin: String,
    channel: Option<Channel>,
    candidates: Vec<GrpcPackage>,
    next: usize,
}

enum Verdict {
    /// This package is not served here; try the next one now.
    NextPackage,
    Fail(Failure),
}

impl GrpcCall {
    pub(crate) fn new(req: &RunRequest, opts: &FetchOptions) -> Result<Self, BootError> {
        let base = req.host_url();
        let setting = |message: String| BootError::Setting {
            name: "OPTIMUS_HOST",
            message,
        };
        if !matches!(base.path(), "" | "/") {
            return Err(setting(format!(
                "{base}: a gRPC server is host:port without a path; \
                 a REST gateway base URL needs --protocol rest"
            )));
        }
        let host = base.host_str().unwrap_or_default();
        let port = base.port_or_known_default().unwrap_or(80);
        let origin = format!("{}://{host}:{port}", base.scheme());
        let mut endpoint = Endpoint::from_shared(origin.clone())
            .map_err(|e| setting(format!("{origin}: {}", plugin_repo::error_chain(&e))))?
            .connect_timeout(opts.deadline.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .user_agent(concat!("optimus-init/", env!("CARGO_PKG_VERSION")))
            .map_err(|e| setting(plugin_repo::error_chain(&e)))?;
        if base.scheme() == "https" {
            endpoint = endpoint
                .tls_config(tls_config(opts)?)
                .map_err(|e| BootError::Setting {
                    name: "OPTIMUS_TLS_CA_FILE",
                    message: plugin_repo::error_chain(&e),
                })?;
        }
        Ok(Self {
            endpoint,
            origin,
            channel: None,
            candidates: opts
                .grpc_package
                .map_or_else(|| GrpcPackage::ALL.to_vec(), |p| vec![p]),
            next: 0,
        })
    }

    /// The server and the method tried now.
    pub(crate) fn target(&self) -> String {
        format!(
            "{} (gRPC {})",
            self.origin,
            self.candidates[self.next].method_path()
        )
    }

    /// Forgets the connection, so the next attempt dials anew.
    pub(crate) fn reset_connection(&mut self) {
        self.channel = None;
    }

    pub(crate) async fn attempt(
        &mut self,
        req: &RunRequest,
        opts: &FetchOptions,
        left: Duration,
    ) -> Result<(RunInput, u64), Failure> {
        let channel = if let Some(c) = &self.channel {
            c.clone()
        } else {
            let c = self
                .endpoint
                .connect()
                .await
                .map_err(|e| self.transport_failure(e))?;
            self.channel = Some(c.clone());
            c
        };
        let limit = usize::try_from(opts.max_reply_bytes).unwrap_or(usize::MAX);
        let message = JobRunInputRequest::from(req);
        loop {
            let package = self.candidates[self.next];
            let mut grpc = tonic::client::Grpc::new(channel.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(usize::MAX);
            if let Err(e) = grpc.ready().await {
                self.channel = None;
                return Err(self.transport_failure(e));
            }
            let mut request = tonic::Request::new(message.clone());
            request.set_timeout(left);
            let codec =
                tonic_prost::ProstCodec::<JobRunInputRequest, JobRunInputResponse>::default();
            let path = PathAndQuery::from_static(package.method_path());
            match grpc.unary(request, path, codec).await {
                Ok(reply) => {
                    let reply = reply.into_inner();
                    let bytes = reply.encoded_len() as u64;
                    if self.next > 0 {
                        tracing::info!(
                            package = package.name(),
                            "the server speaks this fork's API"
                        );
                    }
                    return Ok((reply.into(), bytes));
                }
                Err(status) => match self.verdict(&status, opts) {
                    Verdict::NextPackage => {
                        tracing::debug!(
                            package = package.name(),
                            "UNIMPLEMENTED; trying the next fork's package"
                        );
                        self.next += 1;
                    }
                    Verdict::Fail(f) => return Err(f),
                },
            }
        }
    }

    fn verdict(&mut self, status: &Status, opts: &FetchOptions) -> Verdict {
        let code = status.code();
        let text = if status.message().is_empty() {
            "(no message)".to_owned()
        } else {
            printable(status.message())
        };
        // A status with a source was made here from a transport error (the
        // connection failed, was reset, ...); the server's own answers come
        // from its trailers and have none.
        if status.source().is_some() {
            self.channel = None;
            if let Some(reason) = tls_reason(status) {
                return Verdict::Fail(Failure::Fatal(BootError::Tls {
                    target: self.origin.clone(),
                    reason,
                    source: Box::new(status.clone()),
                }));
            }
            return Verdict::Fail(Failure::Transient(AttemptError::Grpc {
                code,
                message: text,
            }));
        }
        // Made by tonic's decoder from the length prefix, before the body
        // is read: the reply is too big.
        if code == Code::OutOfRange
            && status
                .message()
                .starts_with("Error, decoded message length too large")
        {
            let found = status
                .message()
                .split("found ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|n| n.parse().ok());
            return Verdict::Fail(Failure::Fatal(BootError::BadReply {
                target: self.target(),
                problem: ReplyProblem::TooBig {
                    limit: opts.max_reply_bytes,
                    found,
                },
            }));
        }
        if code == Code::Internal
            && status
                .message()
                .starts_with("failed to decode Protobuf message")
        {
            return Verdict::Fail(Failure::Fatal(BootError::BadReply {
                target: self.target(),
                problem: ReplyProblem::Undecodable {
                    what: "JobRunInputResponse message",
                    reason: text,
                    source: Box::new(status.clone()),
                },
            }));
        }
        match code {
            Code::Unimplemented if self.next + 1 < self.candidates.len() => Verdict::NextPackage,
            Code::Unimplemented => {
                let tried: Vec<&str> = self.candidates.iter().map(|p| p.name()).collect();
                Verdict::Fail(Failure::Fatal(BootError::Refused {
                    target: self.target(),
                    status: code_name(code).to_owned(),
                    message: format!(
                        "{text} (no JobRunService of package {} here: is OPTIMUS_HOST the \
                         server's gRPC port? a REST gateway needs --protocol rest)",
                        tried.join(", ")
                    ),
                }))
            }
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::Internal
            | Code::Unknown => Verdict::Fail(Failure::Transient(AttemptError::Grpc {
                code,
                message: text,
            })),
            _ => Verdict::Fail(Failure::Fatal(BootError::Refused {
                target: self.target(),
                status: code_name(code).to_owned(),
                message: text,
            })),
        }
    }

    /// A failed connect or transport error: TLS refusals are final, the rest
    /// (refused, reset, DNS, timeout) worth another attempt.
    fn transport_failure(&self, e: tonic::transport::Error) -> Failure {
        match tls_reason(&e) {
            Some(reason) => Failure::Fatal(BootError::Tls {
                target: self.origin.clone(),
                reason,
                source: Box::new(e),
            }),
            None => Failure::Transient(AttemptError::Connect(e)),
        }
    }
}

/// The TLS settings for `https://`: the system's roots (when there are
/// any) plus the given PEM certificates.
fn tls_config(opts: &FetchOptions) -> Result<ClientTlsConfig, BootError> {
    let mut tls = ClientTlsConfig::new();
    let system = !rustls_native_certs::load_native_certs().certs.is_empty();
    if system {
        tls = tls.with_native_roots();
    }
    match &opts.ca_pem {
        Some(pem) => tls = tls.ca_certificate(Certificate::from_pem(pem)),
        None if !system => {
            return Err(BootError::Setting {
                name: "OPTIMUS_HOST",
                message: "https:// needs trusted CA certificates: none were found on the \
                          system (install ca-certificates or set --tls-ca-file)"
                    .into(),
            });
        }
        None => {}
    }
    Ok(tls)
}

/// The message of a TLS handshake failure in the error chain (tokio-rustls
/// reports them as `InvalidData`): the certificate will not change by
/// retrying.
fn tls_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::InvalidData
        {
            return Some(io.to_string());
        }
        cur = err.source();
    }
    None
}

/// The canonical name of a status code, as gRPC documents them.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
