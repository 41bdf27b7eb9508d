//! Test servers on 127.0.0.1 for the workspace's integration tests, written
//! once so every crate's `tests/it/` starts them the same way.
//!
//! - [`http::Server`]: any axum [`Router`](axum::Router) on a loopback port,
//!   recording every request it gets (method, path, query, headers).
//! - [`http::FileServer`]: artifacts the way web servers and object stores
//!   hand them out (ETag, Last-Modified, HEAD, `Range`, `If-Match`), with a
//!   bearer token, a redirect, or a death mid-body when a test asks.
//! - [`tcp::FaultProxy`]: a TCP proxy in front of any server that cuts,
//!   stalls, drops or answers 503 to the connections it is told to.
//! - `s3::S3` (feature `s3`): s3s-fs on a temporary folder with one bucket
//!   and explicit credentials.
//! - [`free_port`]: a loopback address nobody listens on, and
//!   [`http::client`]: a client that never goes through a proxy.
//!
//! Every server works from async tests (it runs on the test's runtime) and
//! from plain `#[test]`s that run a binary (it brings a runtime of its own),
//! and stops when dropped. Nothing here listens beyond 127.0.0.1.
//!
//! # Examples
//!
//! ```
//! use axum::{Router, routing::get};
//! use testkit::http::Server;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = Server::start(Router::new().route("/hello", get(|| async { "hi" })));
//! let body = testkit::http::client().get(format!("{}/hello", server.url())).send().await.unwrap().text().await.unwrap();
//! assert_eq!(body, "hi");
//! assert_eq!(server.requests()[0].path, "/hello");
//! # }
//! ```

mod background;
pub mod http;
#[cfg(feature = "s3")]
pub mod s3;
pub mod tcp;

use std::net::SocketAddr;

/// A loopback address that was free a moment ago and that nobody listens
/// on: connecting to it is refused (a server that is down), and a test can
/// start a server on it later (a server that comes up late).
///
/// # Examples
///
/// ```
/// let addr = testkit::free_port();
/// assert!(addr.ip().is_loopback());
/// assert!(std::net::TcpStream::connect(addr).is_err());
/// ```
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address")
}
