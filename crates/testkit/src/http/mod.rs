//! HTTP servers on 127.0.0.1: [`Server`] for any router, [`FileServer`]
//! for artifacts.

mod files;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header::AsHeaderName};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::background::{Background, bind, tokio_listener};

pub use files::FileServer;

/// One request as the server received it, recorded before the router saw
/// it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `HEAD`, ...
    pub method: Method,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The query string, without `?`.
    pub query: Option<String>,
    /// Every request header.
    pub headers: HeaderMap,
}

impl Seen {
    /// A header's value, when present and text.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = testkit::http::Server::start(axum::Router::new());
    /// testkit::http::client().get(server.url()).bearer_auth("t").send().await.unwrap();
    /// assert_eq!(server.requests()[0].header("authorization"), Some("Bearer t"));
    /// # }
    /// ```
    pub fn header(&self, name: impl AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// An axum router served on a loopback port until dropped, recording every
/// request.
///
/// # Examples
///
/// A fixed answer on one route; anything else is a 404, recorded too:
///
/// ```
/// use axum::{Router, http::StatusCode, routing::get};
/// use testkit::http::Server;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Router::new().route("/plugins", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "busy") }));
/// let server = Server::start(app);
/// let client = testkit::http::client();
/// let resp = client.get(format!("{}/plugins?x=1", server.url())).send().await.unwrap();
/// assert_eq!(resp.status(), 503);
/// let resp = client.get(format!("{}/other", server.url())).send().await.unwrap();
/// assert_eq!(resp.status(), 404);
/// let seen = server.requests();
/// assert_eq!((seen[0].path.as_str(), seen[0].query.as_deref()), ("/plugins", Some("x=1")));
/// assert_eq!(seen.len(), 2);
/// # }
/// ```
pub struct Server {
    addr: SocketAddr,
    log: Log,
    _task: Background,
}

impl Server {
    /// Serves `app` on a free port of 127.0.0.1.
    pub fn start(app: Router) -> Self {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), app)
    }

    /// Serves `app` on `addr` (a loopback address, for tests that start a
    /// server late on a port they handed out before; see
    /// [`free_port`](crate::free_port)).
    pub fn bind(addr: SocketAddr, app: Router) -> Self {
        let (listener, addr) = bind(addr);
        let log = Log::default();
        let app = app.layer(middleware::from_fn_with_state(log.clone(), record));
        let task = Background::spawn(async move {
            let _ = axum::serve(tokio_listener(listener), app).await;
        });
        Self {
            addr,
            log,
            _task: task,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:port`, no scheme.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:port`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<Seen> {
        self.log.lock().expect("request log").clone()
    }
}

/// An HTTP client for talking to these servers: never through a proxy a
/// developer or CI may have set (the servers are on loopback).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = testkit::http::Server::start(axum::Router::new());
/// let resp = testkit::http::client().get(server.url()).send().await.unwrap();
/// assert_eq!(resp.status(), 404);
/// # }
/// ```
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

async fn record(State(log): State<Log>, req: Request, next: Next) -> Response {
    log.lock().expect("request log").push(Seen {
        method: req.method().clone(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
        headers: req.headers().clone(),
    });
    next.run(req).await
}
