//! A local gRPC Optimus server: `JobRunService.JobRunInput` under the
//! packages of the forks it is told to serve (any other path answers
//! UNIMPLEMENTED, as real servers do), recording every request it gets.
//! The messages are defined here again from the field numbers, so the tests
//! check the client's wire format rather than reuse it. Faults can be queued;
//! a TLS identity can be given. Shared by the task-boot and optimus-init
//! tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use tonic::codegen::{BoxFuture, Context, Poll, Service, http};
use tonic::server::{NamedService, UnaryService};
use tonic::transport::{Identity, ServerTlsConfig};
use tonic::{Code, Status};

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `JobRunInputRequest` as the server reads it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Request {
    #[prost(string, tag = "1")]
    pub project_name: String,
    #[prost(string, tag = "2")]
    pub job_name: String,
    #[prost(message, optional, tag = "4")]
    pub scheduled_at: Option<Timestamp>,
    #[prost(string, tag = "5")]
    pub instance_name: String,
    #[prost(int32, tag = "6")]
    pub instance_type: i32,
    #[prost(string, tag = "7")]
    pub jobrun_id: String,
    #[prost(string, tag = "8")]
    pub dag_run_id: String,
}

/// `JobRunInputResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Reply {
    #[prost(btree_map = "string, string", tag = "1")]
    pub envs: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "2")]
    pub files: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "3")]
    pub secrets: BTreeMap<String, String>,
}

impl Reply {
    pub fn new(envs: &[(&str, &str)], files: &[(&str, &str)], secrets: &[(&str, &str)]) -> Self {
        let map = |m: &[(&str, &str)]| {
            m.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        Self {
            envs: map(envs),
            files: map(files),
            secrets: map(secrets),
        }
    }
}

/// The service packages of the forks.
pub const GOTO: &str = "gotocompany.optimus.core.v1beta1.JobRunService";
pub const RAYSTACK: &str = "raystack.optimus.core.v1beta1.JobRunService";
pub const ODPF: &str = "odpf.optimus.core.v1beta1.JobRunService";
const SERVICES: [&str; 3] = [GOTO, RAYSTACK, ODPF];

/// What the server does with one request instead of answering normally.
#[derive(Debug, Clone)]
pub enum GrpcFault {
    /// Answer this status and message.
    Status(Code, String),
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// Announce a reply of this many bytes and send it slowly, counting what
    /// the client pulled (in `Shared::pulled`).
    Announce(u32),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The service the request was addressed to.
    pub service: &'static str,
    pub request: Request,
    /// The `grpc-timeout` header, if any.
    pub timeout: Option<String>,
}

#[derive(Default)]
pub struct Shared {
    pub reply: Mutex<Reply>,
    pub faults: Mutex<VecDeque<GrpcFault>>,
    pub requests: Mutex<Vec<Recorded>>,
    /// Requests to services this server does not serve.
    pub unimplemented: Mutex<Vec<String>>,
    /// Reply bytes pulled by the transport under `GrpcFault::Announce`.
    pub pulled: AtomicU64,
}

pub struct GrpcServer {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct JobRunService<const P: usize> {
    shared: Arc<Shared>,
}

impl<const P: usize> NamedService for JobRunService<P> {
    const NAME: &'static str = SERVICES[P];
}

struct Handler {
    shared: Arc<Shared>,
    service: &'static str,
}

impl UnaryService<Request> for Handler {
    type Response = Reply;
    type Future = BoxFuture<tonic::Response<Reply>, Status>;

    fn call(&mut self, req: tonic::Request<Request>) -> Self::Future {
        let shared = self.shared.clone();
        let service = self.service;
        Box::pin(async move {
            let timeout = req
                .metadata()
                .get("grpc-timeout")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let request = req.into_inner();
            shared.requests.lock().unwrap().push(Recorded {
                service,
                request: request.clone(),
                timeout,
            });
            // What a real server checks before anything else.
            if request.scheduled_at.is_none() {
                return Err(Status::invalid_argument("invalid scheduled_at"));
            }
            if !matches!(request.instance_type, 1 | 2) {
                return Err(Status::invalid_argument("unknown instance type"));
            }
            let fault = shared.faults.lock().unwrap().pop_front();
            match fault {
                None | Some(GrpcFault::Announce(_)) => {}
                Some(GrpcFault::Slow(d)) => tokio::time::sleep(d).await,
                Some(GrpcFault::Status(code, msg)) => return Err(Status::new(code, msg)),
            }
            let reply = shared.reply.lock().unwrap().clone();
            Ok(tonic::Response::new(reply))
        })
    }
}

type Body = tonic::body::Body;

impl<const P: usize> Service<http::Request<Body>> for JobRunService<P> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move {
            if req.uri().path() != format!("/{}/JobRunInput", SERVICES[P]) {
                return Ok(
                    Status::unimplemented(format!("unknown method {}", req.uri().path()))
                        .into_http(),
                );
            }
            let announce = match shared.faults.lock().unwrap().front() {
                Some(GrpcFault::Announce(n)) => Some(*n),
                _ => None,
            };
            if let Some(len) = announce {
                shared.faults.lock().unwrap().pop_front();
                shared.requests.lock().unwrap().push(Recorded {
                    service: SERVICES[P],
                    request: Request::default(),
                    timeout: None,
                });
                return Ok(announced(len, shared));
            }
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default())
                .max_encoding_message_size(usize::MAX);
            let handler = Handler {
                shared,
                service: SERVICES[P],
            };
            Ok(grpc.unary(handler, req).await)
        })
    }
}

/// A reply whose length prefix says `len` bytes, its body made lazily in
/// 64 KiB pieces, each counted when the transport pulls it.
fn announced(len: u32, shared: Arc<Shared>) -> http::Response<Body> {
    let mut head = vec![0u8];
    head.extend_from_slice(&len.to_be_bytes());
    let chunks = futures::stream::iter(std::iter::once(Bytes::from(head)).chain(
        std::iter::repeat_n(Bytes::from(vec![0u8; 64 << 10]), (len as usize >> 16) + 1),
    ))
    .map(move |b| {
        shared.pulled.fetch_add(b.len() as u64, Ordering::SeqCst);
        Ok::<_, std::io::Error>(b)
    });
    let body = axum::body::Body::from_stream(chunks);
    http::Response::builder()
        .status(200)
        .header("content-type", "application/grpc")
        .body(Body::new(body))
        .expect("valid response")
}

impl GrpcServer {
    /// Serves the given services (of [`GOTO`], [`RAYSTACK`], [`ODPF`]) on a
    /// free loopback port.
    pub async fn start(services: &[&str], reply: Reply) -> Self {
        Self::start_with(services, reply, "127.0.0.1:0".parse().unwrap(), None).await
    }

    /// Serves over TLS on a free loopback port, with a certificate for
    /// `localhost` from a fresh CA; returns the CA's PEM too.
    pub async fn start_tls(services: &[&str], reply: Reply) -> (Self, String) {
        let (ca, cert, key) = test_ca();
        let addr = "127.0.0.1:0".parse().unwrap();
        let srv = Self::start_with(services, reply, addr, Some((cert, key))).await;
        (srv, ca)
    }

    /// Serves on `addr`, with TLS when `tls` holds a PEM cert and key.
    pub async fn start_with(
        services: &[&str],
        reply: Reply,
        addr: SocketAddr,
        tls: Option<(String, String)>,
    ) -> Self {
        let shared = Arc::new(Shared::default());
        *shared.reply.lock().unwrap() = reply;
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let mut builder = tonic::transport::Server::builder();
        if let Some((cert, key)) = tls {
            builder = builder
                .tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))
                .expect("tls config");
        }
        let on = |name: &str| services.contains(&name);
        let router = builder
            .add_optional_service(on(GOTO).then(|| JobRunService::<0> {
                shared: shared.clone(),
            }))
            .add_optional_service(on(RAYSTACK).then(|| JobRunService::<1> {
                shared: shared.clone(),
            }))
            .add_optional_service(on(ODPF).then(|| JobRunService::<2> {
                shared: shared.clone(),
            }));
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        let task = tokio::spawn(async move {
            router.serve_with_incoming(incoming).await.expect("serve");
        });
        Self { addr, shared, task }
    }

    /// `host:port`, no scheme, as upstream's DAG sets OPTIMUS_HOST.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn push_fault(&self, f: GrpcFault) {
        self.shared.faults.lock().unwrap().push_back(f);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

/// A CA and a server certificate for `localhost` and 127.0.0.1 signed by
/// it: `(ca_pem, server_cert_pem, server_key_pem)`.
pub fn test_ca() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "optimus-init test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}
