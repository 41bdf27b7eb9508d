//! A TCP proxy on 127.0.0.1 that injects faults into the connections it
//! forwards.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::background::{Background, bind, tokio_listener};

/// What the proxy does to one connection instead of forwarding it whole.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Forward, but cut the connection after this many response bytes.
    CutAfter(usize),
    /// Forward this many response bytes, then go silent for the duration.
    StallAfter(usize, Duration),
    /// Answer `503 Service Unavailable` with this `Retry-After` (seconds)
    /// without forwarding.
    Status503 {
        /// Seconds.
        retry_after: u64,
    },
    /// Read what the client sends first, then close: a server resetting
    /// connections while it starts.
    Close,
}

/// A loopback TCP proxy in front of `upstream`: the n-th connection it
/// accepts gets the n-th fault of its list, later ones pass through.
///
/// # Examples
///
/// ```
/// use axum::{Router, routing::get};
/// use testkit::http::Server;
/// use testkit::tcp::{Fault, FaultProxy};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = Server::start(Router::new().route("/", get(|| async { "ok" })));
/// let proxy = FaultProxy::start(server.addr(), vec![Fault::Status503 { retry_after: 0 }]);
/// let client = testkit::http::client();
/// let url = format!("http://{}/", proxy.endpoint());
/// assert_eq!(client.get(&url).send().await.unwrap().status(), 503);
/// assert_eq!(client.get(&url).send().await.unwrap().text().await.unwrap(), "ok");
/// assert_eq!((proxy.connections(), proxy.faulted()), (2, 1));
/// # }
/// ```
pub struct FaultProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    faulted: Arc<AtomicUsize>,
    _task: Background,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub fn start(upstream: SocketAddr, faults: Vec<Fault>) -> Self {
        let (listener, addr) = bind(SocketAddr::from(([127, 0, 0, 1], 0)));
        let connections = Arc::new(AtomicUsize::new(0));
        let faulted = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(Mutex::new(faults.into_iter()));
        let (conns, fcount) = (connections.clone(), faulted.clone());
        let task = Background::spawn(async move {
            let listener = tokio_listener(listener);
            while let Ok((client, _)) = listener.accept().await {
                conns.fetch_add(1, Ordering::SeqCst);
                let fault = faults.lock().expect("faults").next();
                if fault.is_some() {
                    fcount.fetch_add(1, Ordering::SeqCst);
                }
                tokio::spawn(handle(client, upstream, fault));
            }
        });
        Self {
            addr,
            connections,
            faulted,
            _task: task,
        }
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:port`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Connections that got a fault so far.
    pub fn faulted(&self) -> usize {
        self.faulted.load(Ordering::SeqCst)
    }
}

async fn read_head(client: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

async fn handle(mut client: TcpStream, upstream: SocketAddr, fault: Option<Fault>) {
    if let Some(Fault::Close) = fault {
        let mut buf = [0u8; 64];
        let _ = client.read(&mut buf).await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (limit, stall) = match fault {
        None => {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            return;
        }
        Some(Fault::Status503 { retry_after }) => {
            read_head(&mut client).await;
            let body = "busy";
            let resp = format!(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {retry_after}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(resp.as_bytes()).await;
            let _ = client.shutdown().await;
            return;
        }
        Some(Fault::CutAfter(limit)) => (limit, None),
        Some(Fault::StallAfter(limit, pause)) => (limit, Some(pause)),
        Some(Fault::Close) => return,
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
    });
    let mut sent = 0usize;
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let want = buf.len().min(limit - sent);
        if want == 0 {
            break;
        }
        match sr.read(&mut buf[..want]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if cw.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                sent += n;
            }
        }
    }
    if let Some(pause) = stall {
        tokio::time::sleep(pause).await;
    }
    up.abort();
}
