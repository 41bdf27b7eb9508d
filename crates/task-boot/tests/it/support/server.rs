//! A local Optimus server implementing the run-input contract exactly:
//! `POST /api/v1beta1/project/{project}/job/{job}/run_input` with JSON
//! `{scheduled_at, instance_name, instance_type: TYPE_TASK|TYPE_HOOK,
//! jobrun_id?, dag_run_id?}` (unknown fields refused), answering `{envs, files, secrets}`.
//! Faults can be queued for the next requests. Shared by the task-boot and
//! optimus-init tests.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;

/// What the server does with one request instead of answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status with this body, and `Retry-After` if given.
    Status {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    /// Start a 200 reply, send part of the body, then drop the connection.
    ResetMidBody,
    /// Wait this long, then answer normally.
    Slow(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub project: String,
    pub job: String,
    pub content_type: String,
    pub body: serde_json::Value,
}

#[derive(Default)]
pub struct Shared {
    pub reply: Mutex<Bytes>,
    pub faults: Mutex<VecDeque<Fault>>,
    pub requests: Mutex<Vec<Recorded>>,
}

pub struct RunInputServer {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    _server: testkit::http::Server,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body_ {
    scheduled_at: String,
    instance_name: String,
    instance_type: String,
    #[serde(default)]
    jobrun_id: Option<String>,
    #[serde(default)]
    dag_run_id: Option<String>,
}

fn gateway_error(status: StatusCode, code: u32, message: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({"code": code, "message": message, "details": []}).to_string(),
        ))
        .expect("valid response")
}

async fn run_input(
    State(shared): State<Arc<Shared>>,
    Path((project, job)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    shared.requests.lock().unwrap().push(Recorded {
        project: project.clone(),
        job: job.clone(),
        content_type: content_type.clone(),
        body: value,
    });
    if content_type != "application/json" {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            3,
            "content-type must be application/json",
        );
    }
    let parsed: Body_ = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return gateway_error(StatusCode::BAD_REQUEST, 3, &format!("bad body: {e}")),
    };
    if parsed.scheduled_at.parse::<jiff::Timestamp>().is_err() {
        return gateway_error(StatusCode::BAD_REQUEST, 3, "scheduled_at is not RFC 3339");
    }
    if parsed.instance_name.is_empty() {
        return gateway_error(StatusCode::BAD_REQUEST, 3, "instance_name is empty");
    }
    if !matches!(parsed.instance_type.as_str(), "TYPE_TASK" | "TYPE_HOOK") {
        return gateway_error(StatusCode::BAD_REQUEST, 3, "unknown instance_type");
    }
    if parsed.jobrun_id.as_deref() == Some("") || parsed.dag_run_id.as_deref() == Some("") {
        return gateway_error(StatusCode::BAD_REQUEST, 3, "empty run ids must be left out");
    }
    let fault = shared.faults.lock().unwrap().pop_front();
    let reply = shared.reply.lock().unwrap().clone();
    match fault {
        None => ok(reply),
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            ok(reply)
        }
        Some(Fault::Status {
            status,
            retry_after,
            body,
        }) => {
            let mut b = Response::builder().status(status);
            if let Some(r) = retry_after {
                b = b.header(header::RETRY_AFTER, r);
            }
            b.body(Body::from(body)).expect("valid response")
        }
        Some(Fault::ResetMidBody) => {
            let half = reply.slice(..reply.len() / 2);
            let stream = futures::stream::iter(vec![
                Ok::<Bytes, std::io::Error>(half),
                Err(std::io::Error::other("reset by the test server")),
            ]);
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(stream))
                .expect("valid response")
        }
    }
}

fn ok(reply: Bytes) -> Response {
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(reply))
        .expect("valid response")
}

async fn not_found() -> Response {
    gateway_error(StatusCode::NOT_FOUND, 5, "Not Found")
}

impl RunInputServer {
    /// Starts on a free loopback port.
    pub fn start(reply: serde_json::Value) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), reply)
    }

    /// Starts on `addr` (tests that keep the port closed for a while).
    #[expect(
        clippy::needless_pass_by_value,
        reason = "callers hand over a fresh json!() value"
    )]
    pub fn start_on(addr: SocketAddr, reply: serde_json::Value) -> Self {
        let shared = Arc::new(Shared::default());
        *shared.reply.lock().unwrap() = Bytes::from(reply.to_string());
        let app = axum::Router::new()
            .route(
                "/api/v1beta1/project/{project}/job/{job}/run_input",
                post(run_input),
            )
            .fallback(not_found)
            .with_state(shared.clone());
        let server = testkit::http::Server::bind(addr, app);
        Self {
            addr: server.addr(),
            shared,
            _server: server,
        }
    }

    /// `host:port`, no scheme (as OPTIMUS_HOST usually is).
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn push_fault(&self, f: Fault) {
        self.shared.faults.lock().unwrap().push_back(f);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}
