//! Where a test server runs: on the test's own runtime when there is one,
//! else on a one-thread runtime of its own; stopped when dropped.

use std::future::Future;
use std::net::SocketAddr;

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

/// A task serving in the background.
pub(crate) struct Background {
    task: JoinHandle<()>,
    runtime: Option<Runtime>,
}

impl Background {
    /// Runs `serve` on the current runtime, or on a new one when the caller
    /// is not inside a runtime (a plain `#[test]`).
    pub(crate) fn spawn(serve: impl Future<Output = ()> + Send + 'static) -> Self {
        if let Ok(handle) = Handle::try_current() {
            return Self {
                task: handle.spawn(serve),
                runtime: None,
            };
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the test server");
        Self {
            task: runtime.spawn(serve),
            runtime: Some(runtime),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime inside another one panics; this does not.
            runtime.shutdown_background();
        }
    }
}

/// Binds `addr` (loopback only) now, so the port is known and connections
/// queue before the server task first runs.
pub(crate) fn bind(addr: SocketAddr) -> (std::net::TcpListener, SocketAddr) {
    assert!(
        addr.ip().is_loopback(),
        "test servers listen on loopback only, not {addr}"
    );
    let listener = std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let addr = listener.local_addr().expect("local address");
    (listener, addr)
}

/// The tokio listener for a bound std one (inside the server task, where a
/// runtime is current).
pub(crate) fn tokio_listener(listener: std::net::TcpListener) -> tokio::net::TcpListener {
    tokio::net::TcpListener::from_std(listener).expect("listener on the runtime")
}
