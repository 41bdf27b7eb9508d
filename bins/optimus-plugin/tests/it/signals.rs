//! SIGTERM and SIGINT through the binary: install and sync stopped in the
//! middle of a download from a slow loopback server exit 143 (130) with
//! one line, the download dropped, no staging folder left and the old set
//! as it was; `serve` finishes a request in flight and exits 0.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Method, header};
use axum::response::Response;

use crate::support::{Project, plugin_yaml, snapshot};

/// Bytes a slow download has in all.
const TOTAL: u64 = 4 << 20;
/// One chunk, sent every `PACE`: the whole body would take ~25 s.
const CHUNK: usize = 16 << 10;
const PACE: Duration = Duration::from_millis(100);

/// A loopback server answering every GET with `TOTAL` bytes, slowly;
/// it counts GETs and bytes sent and tells whether a body was dropped by
/// the client before its end.
struct SlowServer {
    addr: String,
    gets: Arc<AtomicUsize>,
    sent: Arc<AtomicU64>,
    dropped: Arc<AtomicBool>,
    _rt: tokio::runtime::Runtime,
}

/// Marks the download as dropped when the body goes away unfinished.
struct Watch {
    sent: Arc<AtomicU64>,
    dropped: Arc<AtomicBool>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.sent.load(Ordering::SeqCst) < TOTAL {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }
}

impl SlowServer {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let gets = Arc::new(AtomicUsize::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicBool::new(false));
        let (g, s, d) = (gets.clone(), sent.clone(), dropped.clone());
        let app = axum::Router::new().fallback(move |method: Method| {
            let (gets, sent, dropped) = (g.clone(), s.clone(), d.clone());
            async move {
                let head = Response::builder()
                    .header(header::CONTENT_LENGTH, TOTAL)
                    .header(header::CONTENT_TYPE, "application/zip");
                if method == Method::HEAD {
                    return head.body(Body::empty()).unwrap();
                }
                gets.fetch_add(1, Ordering::SeqCst);
                let watch = Watch {
                    sent: sent.clone(),
                    dropped,
                };
                let chunks = futures::stream::unfold((0u64, watch), move |(n, w)| {
                    let sent = sent.clone();
                    async move {
                        if n >= TOTAL {
                            return None;
                        }
                        tokio::time::sleep(PACE).await;
                        sent.fetch_add(CHUNK as u64, Ordering::SeqCst);
                        let chunk = Bytes::from(vec![b'x'; CHUNK]);
                        Some((Ok::<_, std::io::Error>(chunk), (n + CHUNK as u64, w)))
                    }
                });
                head.body(Body::from_stream(chunks)).unwrap()
            }
        });
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        rt.spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            gets,
            sent,
            dropped,
            _rt: rt,
        }
    }

    /// Waits until a download is well under way (a few chunks sent).
    fn wait_for_download(&self, child: &mut Child) {
        let start = Instant::now();
        while self.gets.load(Ordering::SeqCst) == 0
            || self.sent.load(Ordering::SeqCst) < 4 * CHUNK as u64
        {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the command ended before the download was under way"
            );
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no download started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn command() -> Command {
    let mut c = crate::sync::bin();
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Sends `signal` (`TERM`, `INT`) to `child`; returns its exit status,
/// stderr and how long it took to stop.
fn signal_and_wait(child: &mut Child, signal: &str) -> (ExitStatus, String, Duration) {
    let sent = Instant::now();
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err, sent.elapsed())
}

/// Names in `root` that a run left behind (staging, temporary, link).
fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.contains("staging")
                || n.contains(".tmp-")
                || n.contains(".sync-")
                || n.contains("link-new")
        })
        .collect()
}

fn interrupted_install(signal: &str, code: i32) {
    let server = SlowServer::start();
    let p = Project::new();
    p.artifact(
        "optimus-plugin-a.yaml",
        plugin_yaml("a", "1.0.0").as_bytes(),
    );
    p.local_config(&["optimus-plugin-a.yaml"]);
    p.install().success();
    let old = p.snapshot().unwrap();

    p.write_config(&format!(
        "plugins:\n  plugin_dir: {}\n  providers:\n    - type: local\n      name: dist\n      path: artifacts\n    - type: http\n      name: web\n      url: http://{}/\n  plugins:\n    - {{provider: dist, path: optimus-plugin-a.yaml}}\n    - {{provider: web, path: optimus-slow_linux_amd64}}\n",
        p.plugin_dir().display(),
        server.addr
    ));
    let mut child = command()
        .args(["install", "--no-sync", "-c"])
        .arg(p.config())
        .current_dir(p.root())
        .spawn()
        .unwrap();
    server.wait_for_download(&mut child);
    let (status, err, took) = signal_and_wait(&mut child, signal);

    assert_eq!(status.code(), Some(code), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err}");
    let want = format!(
        "error: interrupted by SIG{signal}: install into {} cancelled; the plugin set was left as it was",
        p.plugin_dir().display()
    );
    assert_eq!(lines[0], want);
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    assert_eq!(p.snapshot().unwrap(), old, "the old set changed");
    assert!(leftovers(p.root()).is_empty(), "{:?}", leftovers(p.root()));
    // The connection was dropped, not read to its end.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.dropped.load(Ordering::SeqCst),
        "the download went on"
    );
    assert!(server.sent.load(Ordering::SeqCst) < TOTAL);
}

#[test]
fn sigterm_mid_download_stops_install_and_keeps_the_old_set() {
    interrupted_install("TERM", 143);
}

#[test]
fn sigint_mid_download_stops_install_with_130() {
    interrupted_install("INT", 130);
}

#[test]
fn sigterm_mid_download_stops_sync_and_keeps_the_folder() {
    let server = SlowServer::start();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("optimus-plugin-a.yaml"), plugin_yaml("a", "1.0.0")).unwrap();
    std::fs::write(dir.join("optimus-a_linux_amd64"), b"\x7fELF").unwrap();
    let before = snapshot(&dir).unwrap();

    let mut child = command()
        .args(["sync", "--host", &server.addr, "--plugin-dir"])
        .arg(&dir)
        .spawn()
        .unwrap();
    server.wait_for_download(&mut child);
    let (status, err, took) = signal_and_wait(&mut child, "TERM");

    assert_eq!(status.code(), Some(143), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err}");
    assert_eq!(
        lines[0],
        format!(
            "error: interrupted by SIGTERM: sync of {} cancelled; the plugin folder was left as it was",
            dir.display()
        )
    );
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    assert_eq!(snapshot(&dir).unwrap(), before);
    assert!(
        leftovers(root.path()).is_empty(),
        "{:?}",
        leftovers(root.path())
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.dropped.load(Ordering::SeqCst),
        "the download went on"
    );
}

/// A plugin whose file is `bytes` long (a long description of varied
/// text, so the served zip stays large).
fn big_plugin(name: &str, bytes: usize) -> String {
    let mut x: u32 = 0x9e37_79b9 ^ u32::from(name.as_bytes()[0]);
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let text: String = (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            char::from(alphabet[(x % 62) as usize])
        })
        .collect();
    format!("{}description: {text}\n", plugin_yaml(name, "1.0.0"))
}

#[test]
fn serve_finishes_a_request_in_flight_on_sigterm_and_exits_0() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        let file = dir.join(format!("optimus-plugin-{name}.yaml"));
        std::fs::write(file, big_plugin(name, 2 << 20)).unwrap();
    }
    let mut child = command()
        .args(["serve", "--addr", "127.0.0.1:0", "--plugin-dir"])
        .arg(&dir)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .last()
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches("/plugins")
        .to_owned();

    // Start a download of the (large) archive and read only its head.
    let mut conn = TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "GET /plugins HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut first = vec![0u8; 4096];
    let n = conn.read(&mut first).unwrap();
    let head_end = first[..n]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the whole head in the first read")
        + 4;
    let head = String::from_utf8_lossy(&first[..head_end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    // SIGTERM while the body is in flight; the rest still arrives.
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "serve quit with a request in flight"
    );
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();

    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    let body_len = n - head_end + rest.len();
    assert!(length > 8 << 20, "the archive should be large: {length}");
    assert_eq!(body_len, length, "the whole archive arrived");

    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // Nothing listens any more.
    assert!(TcpStream::connect(&addr).is_err());
}
