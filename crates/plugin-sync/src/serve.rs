//! The server side of sync: an axum [`Router`] serving the YAML plugins of a
//! plugin folder.
//!
//! * `GET /plugins`: the zip of every `optimus-plugin-*.yaml` in the folder
//!   (deterministic bytes, strong `ETag`, `304 Not Modified` on a matching
//!   `If-None-Match`);
//! * `GET /plugins/index.json`: name, version, sha256 and size of each;
//! * `GET /healthz`: `{"status":"ok", ...}` with request counters, and the
//!   files left out (`"status":"degraded"`, see [`crate::serve_set`]).
//!
//! Files are served in the classic format upstream's sync client reads
//! (design and v0.20.7+ files rewritten); a file that does not load is left
//! out or its last good version kept, and the rest is still served.
//!
//! The folder is re-read when it changes (a cheap listing and `stat` per
//! request decides), so a newly installed set is served without a restart.
//! Any Rust service (or the Optimus server's sidecar) can mount the router:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = plugin_sync::serve::PluginServer::new(".plugins");
//! let app = plugin_sync::serve::router(server);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9100").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::archive::{PluginArchive, PluginEntry, PluginFile, build_archive};
use crate::error::SyncError;
use crate::serve_set::LeftOut;

/// The last archive built and what it was built from.
#[derive(Debug)]
struct Cached {
    fingerprint: Fingerprint,
    archive: Arc<PluginArchive>,
    files: Vec<PluginFile>,
    left_out: Vec<LeftOut>,
}

/// What identifies the folder's content cheaply: the real path of the
/// folder (a generation switch changes it) and, per YAML plugin, its name,
/// size, inode, mtime and ctime.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    real_dir: PathBuf,
    files: Vec<(String, u64, u64, i64, i64, i64, i64)>,
}

/// Request counters, for `/healthz`, logs and tests.
#[derive(Debug, Default)]
pub struct ServeStats {
    /// `GET /plugins` answered with the full zip.
    pub full: AtomicU64,
    /// `GET /plugins` answered `304 Not Modified`.
    pub not_modified: AtomicU64,
    /// Requests answered with an error status.
    pub errors: AtomicU64,
    /// Times the archive was (re)built from the folder.
    pub rebuilds: AtomicU64,
}

/// Serves the YAML plugins of one plugin folder; shared by the handlers.
#[derive(Debug)]
pub struct PluginServer {
    plugin_dir: PathBuf,
    cache: Mutex<Option<Cached>>,
    stats: ServeStats,
}

impl PluginServer {
    /// A server for `plugin_dir` (read at each request, not now).
    pub fn new(plugin_dir: impl Into<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            plugin_dir: plugin_dir.into(),
            cache: Mutex::new(None),
            stats: ServeStats::default(),
        })
    }

    /// The folder served.
    pub fn plugin_dir(&self) -> &Path {
        &self.plugin_dir
    }

    /// The request counters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
    ///     "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n")?;
    /// let server = plugin_sync::serve::PluginServer::new(dir.path());
    /// assert_eq!(server.plugin_dir(), dir.path());
    /// server.current()?;
    /// server.current()?;
    /// assert_eq!(server.stats().rebuilds.load(Ordering::Relaxed), 1, "unchanged folder: built once");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> &ServeStats {
        &self.stats
    }

    /// The archive of the folder's current YAML plugins, rebuilt only when
    /// the folder changed since the last call. A missing folder is an error,
    /// and so is a folder whose plugin files all fail to load (an empty
    /// archive would make clients delete their plugins).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
    ///     "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n")?;
    /// let server = plugin_sync::serve::PluginServer::new(dir.path());
    /// let archive = server.current()?;
    /// assert_eq!(archive.plugins.len(), 1);
    /// assert!(std::sync::Arc::ptr_eq(&archive, &server.current()?), "unchanged folder: same archive");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current(&self) -> Result<Arc<PluginArchive>, SyncError> {
        let fp = fingerprint(&self.plugin_dir)?;
        let previous = {
            let cache = self.lock_cache();
            match cache.as_ref() {
                Some(c) if c.fingerprint == fp => return Ok(Arc::clone(&c.archive)),
                Some(c) => c.files.clone(),
                None => Vec::new(),
            }
        };
        let set = crate::serve_set::collect(&fp.real_dir, &previous)?;
        if set.files.is_empty()
            && let Some(first) = set.left_out.first()
        {
            return Err(SyncError::State(format!(
                "none of the {} plugin files of {} can be served; the first: {}",
                set.left_out.len(),
                fp.real_dir.display(),
                first.reason
            )));
        }
        let archive = Arc::new(build_archive(set.files.clone())?);
        self.stats.rebuilds.fetch_add(1, Ordering::Relaxed);
        // Store under the fingerprint taken before reading: if the folder
        // changed meanwhile, the next request sees a different one and
        // rebuilds.
        *self.lock_cache() = Some(Cached {
            fingerprint: fp,
            archive: Arc::clone(&archive),
            files: set.files,
            left_out: set.left_out,
        });
        Ok(archive)
    }

    /// The files of the folder left out of (or served stale in) the last
    /// archive built.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
    ///     "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n")?;
    /// std::fs::write(dir.path().join("optimus-plugin-bad.yaml"), "name: [\n")?;
    /// let server = plugin_sync::serve::PluginServer::new(dir.path());
    /// assert!(server.left_out().is_empty(), "nothing built yet");
    /// assert_eq!(server.current()?.plugins.len(), 1);
    /// let left = server.left_out();
    /// assert_eq!(left[0].file, "optimus-plugin-bad.yaml");
    /// assert!(!left[0].kept_previous);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn left_out(&self) -> Vec<LeftOut> {
        self.lock_cache()
            .as_ref()
            .map(|c| c.left_out.clone())
            .unwrap_or_default()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn fingerprint(dir: &Path) -> Result<Fingerprint, SyncError> {
    let real_dir = match std::fs::canonicalize(dir) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SyncError::State(format!(
                "plugin folder {} does not exist (yet); install plugins first",
                dir.display()
            )));
        }
        Err(e) => return Err(SyncError::io("resolving", dir)(e)),
    };
    let mut files = Vec::new();
    let found =
        plugin_spec::files::discover(&real_dir).map_err(SyncError::io("listing", &real_dir))?;
    let listed = found.files.into_iter().chain(
        found
            .skipped
            .into_iter()
            .map(|(n, _)| (n.clone(), real_dir.join(n))),
    );
    for (name, path) in listed {
        let m = std::fs::metadata(&path).map_err(SyncError::io("reading", &path))?;
        files.push((
            name,
            m.len(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec(),
        ));
    }
    Ok(Fingerprint { real_dir, files })
}

/// The router: `GET /plugins`, `GET /plugins/index.json`, `GET /healthz`
/// (`HEAD` too).
///
/// # Examples
///
/// ```
/// use plugin_sync::serve::{router, PluginServer};
/// let dir = tempfile::tempdir()?;
/// let rt = tokio::runtime::Runtime::new()?;
/// let body = rt.block_on(async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     tokio::spawn(async move { axum::serve(listener, router(PluginServer::new(dir.path()))).await });
///     let body = reqwest::get(format!("http://{addr}/healthz")).await?.error_for_status()?.text().await?;
///     Ok::<_, Box<dyn std::error::Error>>(body)
/// })?;
/// assert!(body.contains("\"served_full\":0"), "{body}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn router(server: Arc<PluginServer>) -> Router {
    Router::new()
        .route("/plugins", get(get_plugins))
        .route("/plugins/index.json", get(get_index))
        .route("/healthz", get(get_health))
        .with_state(server)
}

async fn load(server: &Arc<PluginServer>) -> Result<Arc<PluginArchive>, Response> {
    let s = Arc::clone(server);
    let res = tokio::task::spawn_blocking(move || s.current()).await;
    match res {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(e)) => {
            server.stats.errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "cannot build the plugin archive");
            let status = if matches!(e, SyncError::State(_)) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            Err((status, format!("{e}\n")).into_response())
        }
        Err(e) => {
            server.stats.errors.fetch_add(1, Ordering::Relaxed);
            Err((StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response())
        }
    }
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as
/// RFC 9110 asks for this header).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let want = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == want)
}

async fn get_plugins(State(server): State<Arc<PluginServer>>, headers: HeaderMap) -> Response {
    let archive = match load(&server).await {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let Ok(etag) = HeaderValue::from_str(&archive.etag) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "bad etag\n").into_response();
    };
    if none_match(&headers, &archive.etag) {
        server.stats.not_modified.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            status = 304,
            plugins = archive.plugins.len(),
            "GET /plugins"
        );
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
        )
            .into_response();
    }
    server.stats.full.fetch_add(1, Ordering::Relaxed);
    tracing::info!(
        status = 200,
        plugins = archive.plugins.len(),
        bytes = archive.zip.len(),
        "GET /plugins"
    );
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"plugins.zip\""),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        archive.zip.clone(),
    )
        .into_response()
}

/// The body of `GET /plugins/index.json`.
#[derive(Debug, Serialize)]
struct Index<'a> {
    etag: &'a str,
    plugins: &'a [PluginEntry],
}

async fn get_index(State(server): State<Arc<PluginServer>>) -> Response {
    match load(&server).await {
        Ok(a) => {
            tracing::info!(status = 200, "GET /plugins/index.json");
            axum::Json(Index {
                etag: &a.etag,
                plugins: &a.plugins,
            })
            .into_response()
        }
        Err(resp) => resp,
    }
}

async fn get_health(State(server): State<Arc<PluginServer>>) -> Response {
    // Bring the report up to date with the folder (a cheap check when it
    // has not changed); a failure shows in the counters and the log.
    let s = Arc::clone(&server);
    let _ = tokio::task::spawn_blocking(move || s.current()).await;
    let s = &server.stats;
    let left_out = server.left_out();
    axum::Json(serde_json::json!({
        "status": if left_out.is_empty() { "ok" } else { "degraded" },
        "left_out": left_out,
        "plugin_dir": server.plugin_dir.display().to_string(),
        "served_full": s.full.load(Ordering::Relaxed),
        "served_not_modified": s.not_modified.load(Ordering::Relaxed),
        "errors": s.errors.load(Ordering::Relaxed),
        "rebuilds": s.rebuilds.load(Ordering::Relaxed),
    }))
    .into_response()
}

/// Serves [`router`] on `listener` until `shutdown` completes, then lets
/// open requests finish.
///
/// # Examples
///
/// ```
/// use plugin_sync::serve::{run_until, PluginServer};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 1.0.0\nimage: example/neo:1\nentrypoint:\n  script: run\n")?;
/// let rt = tokio::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
///     let task = tokio::spawn(run_until(listener, PluginServer::new(dir.path()), async {
///         let _ = stopped.await;
///     }));
///     let zip = reqwest::get(format!("http://{addr}/plugins")).await?.error_for_status()?.bytes().await?;
///     assert!(zip.starts_with(b"PK"), "a zip archive");
///     let _ = stop.send(());
///     task.await??;
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn run_until(
    listener: tokio::net::TcpListener,
    server: Arc<PluginServer>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(server))
        .with_graceful_shutdown(shutdown)
        .await
}
