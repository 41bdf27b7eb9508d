//! The behavioural suite every backend runs, and its helpers: a
//! deterministic content generator and an RSS probe; the fault-injecting
//! TCP proxy is testkit's.

#![allow(dead_code, clippy::missing_panics_doc)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use plugin_repo::{Provider, ProviderContext, RepoError, RetrySettings, Source, Timeouts};
pub use testkit::tcp::{Fault, FaultProxy};

/// Byte `i` of every generated artifact: cheap, not periodic over small
/// windows, so a resumed download at the wrong offset is caught.
pub fn byte_at(i: u64) -> u8 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 7);
    (x >> 56) as u8
}

/// `len` bytes of the pattern starting at `offset`.
pub fn pattern(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| byte_at(offset + i)).collect()
}

/// Sentinel secrets: must never appear in any output.
pub const SENTINEL: &str = "SENTINEL-7c1d-do-not-print";

/// Fast retries and short phase timeouts for tests.
pub fn test_ctx(dir: &std::path::Path) -> ProviderContext {
    ProviderContext::new(dir)
        .with_timeouts(Timeouts {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(10),
            idle_read: Duration::from_millis(800),
        })
        .with_retry(RetrySettings {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(1500),
            deadline: Duration::from_secs(8),
        })
}

/// An env lookup over a fixed map (tests never read the process env).
pub fn env_of(pairs: &[(&str, String)]) -> plugin_repo::EnvLookup {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    Arc::new(move |k: &str| map.get(k).cloned())
}

/// What a backend offers the suite.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// Label in messages.
    fn label(&self) -> String;
    /// Stores `size` pattern bytes at `path` (relative to the provider base).
    async fn put(&self, path: &str, size: u64);
    /// A provider with valid credentials.
    fn provider(&self, ctx: &ProviderContext) -> Arc<dyn Provider>;
    /// The same provider talking to `endpoint` (a fault proxy) instead;
    /// None for backends without a network endpoint.
    fn provider_via(&self, ctx: &ProviderContext, endpoint: &str) -> Option<Arc<dyn Provider>>;
    /// The backend's real endpoint `host:port`, for the proxy.
    fn upstream(&self) -> Option<SocketAddr>;
    /// Providers with wrong and with no credentials (None: the backend
    /// does not check credentials).
    fn wrong_credentials(&self, ctx: &ProviderContext) -> Option<Arc<dyn Provider>>;
    /// See above.
    fn no_credentials(&self, ctx: &ProviderContext) -> Option<Arc<dyn Provider>>;
    /// A form-2 source URL for `path` plus the env its provider needs.
    fn source(&self, path: &str) -> (String, Vec<(&'static str, String)>);
    /// Whether `list` is expected to work.
    fn can_list(&self) -> bool {
        true
    }
    /// Go-getter option names that reached the server (for backends that
    /// record queries).
    fn seen_queries(&self) -> Option<Vec<String>> {
        None
    }
    /// Whether a 503's `Retry-After` reaches our retry loop (object_store
    /// hides response headers of failed requests).
    fn honours_retry_after(&self) -> bool {
        false
    }
}

/// Reads a whole body, checking it against the pattern as it goes; returns
/// the length and the largest RSS growth seen (bytes).
pub async fn drain(provider: &dyn Provider, path: &str) -> Result<(u64, u64), RepoError> {
    let rss0 = rss();
    let mut peak = 0u64;
    let mut fetched = provider.get(path).await?;
    let mut off = 0u64;
    while let Some(chunk) = fetched.body.next().await {
        let chunk = chunk?;
        for (i, b) in chunk.iter().enumerate() {
            assert_eq!(
                *b,
                byte_at(off + i as u64),
                "{path}: wrong byte at {}",
                off + i as u64
            );
        }
        off += chunk.len() as u64;
        if off % (8 << 20) < chunk.len() as u64 {
            peak = peak.max(rss().saturating_sub(rss0));
        }
    }
    Ok((off, peak))
}

/// Resident set size of this process in bytes (Linux).
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

fn assert_clean(text: &str) {
    assert!(!text.contains(SENTINEL), "a secret leaked: {text}");
}

fn check_err(e: &RepoError) -> String {
    let shown = e.to_string();
    assert_clean(&shown);
    assert_clean(&format!("{e:?}"));
    shown
}

/// One serialised large test at a time, so RSS growth is ours.
static LARGE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The suite. `large` is the size of the big artifact.
pub async fn run_suite(b: &dyn Backend, large: u64) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = test_ctx(dir.path());
    let label = b.label();
    let p = b.provider(&ctx);
    assert_clean(&format!("{p:?}"));
    eprintln!("[{label}] fetch");
    b.put("dir/small.bin", 1000).await;
    b.put("dir/sub/two.bin", 10).await;
    let (n, _) = drain(p.as_ref(), "dir/small.bin").await.unwrap();
    assert_eq!(n, 1000, "[{label}] size");

    eprintln!("[{label}] metadata");
    let meta = p.head("dir/small.bin").await.unwrap();
    assert_eq!(meta.size, Some(1000), "[{label}] {meta:?}");
    assert!(meta.last_modified.is_some(), "[{label}] {meta:?}");
    assert!(meta.etag.is_some(), "[{label}] {meta:?}");
    let fetched = p.get("dir/small.bin").await.unwrap();
    assert_eq!(fetched.meta.size, Some(1000));
    assert_eq!(
        fetched.meta.etag, meta.etag,
        "[{label}] same etag from get and head"
    );

    eprintln!("[{label}] not found");
    let e = p.get("dir/missing.bin").await.unwrap_err();
    let shown = check_err(&e);
    assert!(e.is_not_found(), "[{label}] {shown}");
    assert!(
        shown.starts_with(&format!("{}: dir/missing.bin not found", p.name())),
        "[{label}] {shown}"
    );
    let e = p.head("dir/missing.bin").await.unwrap_err();
    assert!(e.is_not_found(), "[{label}] {e}");

    eprintln!("[{label}] list");
    match p.list("dir").await {
        Ok(items) => {
            assert!(b.can_list(), "[{label}] listing should be unsupported");
            let got: Vec<(String, u64)> = items.into_iter().map(|o| (o.path, o.size)).collect();
            assert_eq!(
                got,
                [
                    ("dir/small.bin".to_owned(), 1000),
                    ("dir/sub/two.bin".to_owned(), 10)
                ],
                "[{label}]"
            );
        }
        Err(e) => {
            assert!(!b.can_list(), "[{label}] list failed: {e}");
            assert!(e.to_string().contains("listing is not supported"), "{e}");
        }
    }

    eprintln!("[{label}] auth");
    if let Some(wrong) = b.wrong_credentials(&ctx) {
        assert_clean(&format!("{wrong:?}"));
        let e = wrong.get("dir/small.bin").await.unwrap_err();
        let shown = check_err(&e);
        assert!(matches!(e, RepoError::Denied { .. }), "[{label}] {shown}");
        assert!(
            shown.contains("access to dir/small.bin denied"),
            "[{label}] {shown}"
        );
    } else {
        eprintln!(
            "[{label}] note: backend does not check credentials; wrong-credentials case skipped"
        );
    }
    if let Some(none) = b.no_credentials(&ctx) {
        let e = none.get("dir/small.bin").await.unwrap_err();
        let shown = check_err(&e);
        assert!(matches!(e, RepoError::Denied { .. }), "[{label}] {shown}");
    }

    eprintln!("[{label}] query options");
    let (raw, env) = b.source("dir/small.bin");
    let hex = "ab".repeat(32);
    let with_opts = format!("{raw}?checksum=sha256:{hex}&archive=false&filename=renamed.bin");
    let src = Source::parse(&with_opts, dir.path()).unwrap();
    assert_eq!(src.file_name(), "renamed.bin");
    assert_eq!(
        src.options.checksum,
        Some(plugin_repo::Checksum::Sha256(hex.clone()))
    );
    let sctx = test_ctx(dir.path()).with_env(env_of(&env));
    let sp = src.provider(&sctx).unwrap();
    let (n, _) = drain(sp.as_ref(), src.path()).await.unwrap();
    assert_eq!(n, 1000, "[{label}] source fetch");
    if let Some(seen) = b.seen_queries() {
        assert!(
            seen.iter().all(|q| !q.contains("checksum")
                && !q.contains("filename")
                && !q.contains("archive")),
            "[{label}] go-getter options reached the server: {seen:?}"
        );
    }

    if let Some(up) = b.upstream() {
        run_faults(b, &ctx, up).await;
    } else {
        eprintln!("[{label}] note: no network endpoint; fault cases skipped");
    }

    eprintln!("[{label}] large ({} MiB)", large >> 20);
    let _guard = LARGE.lock().await;
    b.put("big/large.bin", large).await;
    let (n, peak) = drain(p.as_ref(), "big/large.bin").await.unwrap();
    assert_eq!(n, large, "[{label}] large size");
    assert!(
        peak < 64 << 20,
        "[{label}] memory grew by {} MiB while streaming",
        peak >> 20
    );
    let meta = p.head("big/large.bin").await.unwrap();
    assert_eq!(meta.size, Some(large));
}

async fn run_faults(b: &dyn Backend, ctx: &ProviderContext, upstream: SocketAddr) {
    let label = b.label();
    b.put("faults/mid.bin", 3 << 20).await;

    eprintln!("[{label}] reset mid-body");
    let proxy = FaultProxy::start(
        upstream,
        vec![Fault::CutAfter(1 << 20), Fault::CutAfter(2 << 20)],
    );
    let p = b.provider_via(ctx, &proxy.endpoint()).unwrap();
    let (n, _) = drain(p.as_ref(), "faults/mid.bin").await.unwrap();
    assert_eq!(n, 3 << 20, "[{label}] resumed size");
    assert!(
        proxy.connections() >= 3,
        "[{label}] expected resumed connections"
    );

    eprintln!("[{label}] 503 + Retry-After");
    let proxy = FaultProxy::start(
        upstream,
        vec![
            Fault::Status503 { retry_after: 1 },
            Fault::Status503 { retry_after: 0 },
        ],
    );
    let p = b.provider_via(ctx, &proxy.endpoint()).unwrap();
    let started = std::time::Instant::now();
    let (n, _) = drain(p.as_ref(), "faults/mid.bin").await.unwrap();
    assert_eq!(n, 3 << 20);
    if b.honours_retry_after() {
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "[{label}] Retry-After not honoured"
        );
    }

    eprintln!("[{label}] stalled body");
    let proxy = FaultProxy::start(
        upstream,
        vec![Fault::StallAfter(512 << 10, Duration::from_secs(3))],
    );
    let p = b.provider_via(ctx, &proxy.endpoint()).unwrap();
    let (n, _) = drain(p.as_ref(), "faults/mid.bin").await.unwrap();
    assert_eq!(n, 3 << 20, "[{label}] resumed after idle timeout");

    eprintln!("[{label}] retries exhausted");
    let proxy = FaultProxy::start(upstream, vec![Fault::Status503 { retry_after: 0 }; 1000]);
    let short = ctx.clone().with_retry(RetrySettings {
        base: Duration::from_millis(10),
        cap: Duration::from_millis(100),
        deadline: Duration::from_millis(600),
    });
    let p = b.provider_via(&short, &proxy.endpoint()).unwrap();
    let e = p.get("faults/mid.bin").await.unwrap_err();
    let shown = check_err(&e);
    assert!(
        matches!(e, RepoError::RetriesExhausted { .. }),
        "[{label}] {shown}"
    );
    assert!(
        shown.starts_with(&format!(
            "{}: fetching faults/mid.bin failed after",
            p.name()
        )),
        "[{label}] {shown}"
    );
    assert!(shown.contains("503"), "[{label}] {shown}");

    eprintln!("[{label}] connection refused");
    let addr = testkit::free_port();
    let p = b
        .provider_via(&short, &format!("127.0.0.1:{}", addr.port()))
        .unwrap();
    let e = p.get("faults/mid.bin").await.unwrap_err();
    let shown = check_err(&e);
    assert!(
        matches!(e, RepoError::RetriesExhausted { .. }),
        "[{label}] {shown}"
    );
}
