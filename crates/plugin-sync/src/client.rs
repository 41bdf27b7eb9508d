//! The client side of sync: download the server's YAML plugin archive and
//! replace the YAML plugins of a local plugin folder with it, atomically.
//!
//! Steps, each a function a test can call alone: [`ClientConfig`] (the
//! upstream client config's `host:`) -> [`plugins_url`] -> fetch (with
//! `If-None-Match`, retries, size cap) -> [`read_archive`] (flat names,
//! limits, plugin-spec validation) -> [`crate::apply`] (a complete new
//! folder built beside the old one, then swapped in with one
//! `renameat2(RENAME_EXCHANGE)`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), plugin_sync::SyncError> {
//! use plugin_sync::client::{plugins_url, sync, SyncOptions};
//!
//! let url = plugins_url("localhost:9100")?; // http://localhost:9100/plugins
//! let report = sync(&SyncOptions::new(url, ".plugins")).await?;
//! println!("{} added, {} updated, {} removed", report.added.len(), report.updated.len(), report.removed.len());
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::apply::{LocalPlugin, SyncState, apply, lock_plugin_dir, read_local};
use crate::archive::{ArchiveLimits, PluginFile, read_archive};
use crate::error::{ConfigError, SyncError};
use crate::fetch::{Fetched, fetch};

/// The part of an Optimus client config (`optimus.yaml`) sync reads: the
/// server's `host`. Every other key is ignored.
///
/// ```
/// use plugin_sync::client::ClientConfig;
/// let c = ClientConfig::from_yaml("version: 1\nhost: localhost:9100\nproject: {name: p}\n", "optimus.yaml")?;
/// assert_eq!(c.host.as_deref(), Some("localhost:9100"));
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
///
/// `Debug` leaves out any `user:password@` of the host.
#[derive(Clone, Default, Deserialize)]
pub struct ClientConfig {
    /// The Optimus server, `host[:port]` or a URL.
    #[serde(default)]
    pub host: Option<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = self.host.as_deref().map(|h| match h.rsplit_once('@') {
            Some((userinfo, rest)) => {
                let scheme = userinfo.split_once("://").map_or("", |(s, _)| s);
                if scheme.is_empty() {
                    rest.to_owned()
                } else {
                    format!("{scheme}://{rest}")
                }
            }
            None => h.to_owned(),
        });
        f.debug_struct("ClientConfig").field("host", &host).finish()
    }
}

impl ClientConfig {
    /// Parses the config text; `origin` names it in messages.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_sync::client::ClientConfig;
    /// let cfg = ClientConfig::from_yaml("host: localhost:9100\n", "client.yaml")?;
    /// assert_eq!(cfg.host.as_deref(), Some("localhost:9100"));
    /// assert!(ClientConfig::from_yaml("", "client.yaml")?.host.is_none());
    /// let err = ClientConfig::from_yaml("host: [1\n", "client.yaml").unwrap_err();
    /// assert!(err.is_config() && err.to_string().contains("client.yaml"), "{err}");
    /// # Ok::<(), plugin_sync::SyncError>(())
    /// ```
    pub fn from_yaml(src: &str, origin: &str) -> Result<Self, SyncError> {
        if src.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_saphyr::from_str::<ClientConfig>(src).map_err(|source| {
            SyncError::Config(ConfigError::Yaml {
                origin: origin.to_owned(),
                source: Box::new(source),
            })
        })
    }

    /// Reads and parses a config file.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_sync::client::ClientConfig;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("client.yaml");
    /// std::fs::write(&path, "host: https://opt.example.org\n").unwrap();
    /// assert_eq!(ClientConfig::load(&path)?.host.as_deref(), Some("https://opt.example.org"));
    /// assert!(ClientConfig::load(&dir.path().join("missing.yaml")).unwrap_err().is_config());
    /// # Ok::<(), plugin_sync::SyncError>(())
    /// ```
    pub fn load(path: &Path) -> Result<Self, SyncError> {
        let src = std::fs::read_to_string(path).map_err(|source| {
            SyncError::Config(ConfigError::Read {
                path: path.to_owned(),
                source,
            })
        })?;
        Self::from_yaml(&src, &path.display().to_string())
    }
}

/// The archive URL for a host: `host[:port]` (no scheme means `http://`) or
/// a URL, with `plugins` appended to its path.
///
/// ```
/// use plugin_sync::client::plugins_url;
/// assert_eq!(plugins_url("localhost:9100")?.as_str(), "http://localhost:9100/plugins");
/// assert_eq!(plugins_url("https://opt.example.org/api/")?.as_str(), "https://opt.example.org/api/plugins");
/// assert!(plugins_url("ftp://x").is_err());
/// # Ok::<(), plugin_sync::SyncError>(())
/// ```
pub fn plugins_url(host: &str) -> Result<Url, SyncError> {
    let host = host.trim();
    if host.is_empty() {
        return Err(SyncError::Config(ConfigError::NoHost));
    }
    let with_scheme = if host.contains("://") {
        host.to_owned()
    } else {
        format!("http://{host}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|source| {
        SyncError::Config(ConfigError::BadHost {
            host: host.to_owned(),
            source,
        })
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SyncError::Config(ConfigError::Scheme {
            host: redact(&url),
        }));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(SyncError::Config(ConfigError::NoHostName {
            host: host.to_owned(),
        }));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{path}/plugins"));
    Ok(url)
}

/// The URL without user name and password, for messages.
///
/// # Examples
///
/// ```
/// let url = url::Url::parse("https://me:secret@opt.example.org/plugins").unwrap();
/// let shown = plugin_sync::client::redact(&url);
/// assert!(!shown.contains("secret") && !shown.contains("me:"), "{shown}");
/// assert!(shown.contains("opt.example.org/plugins"), "{shown}");
/// ```
pub fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// What to sync, from where, with which limits.
///
/// `Debug` shows the URL without user info or query (they may hold a
/// password or a signature):
///
/// ```
/// let url = url::Url::parse("https://u:hunter2@h/plugins?sig=abc").unwrap();
/// let opts = plugin_sync::client::SyncOptions::new(url, ".plugins");
/// let shown = format!("{opts:?}");
/// assert!(shown.contains("https://h/plugins") && !shown.contains("hunter2") && !shown.contains("sig=abc"));
/// ```
#[derive(Clone)]
pub struct SyncOptions {
    /// The archive URL (see [`plugins_url`]).
    pub url: Url,
    /// The local plugin folder (created if missing).
    pub plugin_dir: PathBuf,
    /// Download and archive limits.
    pub limits: ArchiveLimits,
    /// Timeout of one HTTP attempt.
    pub timeout: Duration,
    /// Total time allowed for retries.
    pub retry_budget: Duration,
    /// Most HTTP attempts.
    pub max_attempts: u32,
    /// How long to wait for another sync on the same folder.
    pub lock_wait: Duration,
    /// Cancelling it stops the sync before the switch (the download is
    /// dropped; [`sync`] returns [`SyncError::Cancelled`], the folder as
    /// it was).
    pub cancel: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut url = self.url.clone();
        url.set_query(None);
        url.set_fragment(None);
        f.debug_struct("SyncOptions")
            .field("url", &redact(&url))
            .field("plugin_dir", &self.plugin_dir)
            .field("limits", &self.limits)
            .field("timeout", &self.timeout)
            .field("retry_budget", &self.retry_budget)
            .field("max_attempts", &self.max_attempts)
            .field("lock_wait", &self.lock_wait)
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl SyncOptions {
    /// Defaults: 30 s per attempt, 4 attempts within 60 s, default limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use plugin_sync::client::{plugins_url, SyncOptions};
    /// let mut opts = SyncOptions::new(plugins_url("localhost:9100")?, ".plugins");
    /// assert_eq!((opts.timeout, opts.max_attempts), (Duration::from_secs(30), 4));
    /// opts.max_attempts = 1;
    /// assert_eq!(opts.plugin_dir, std::path::Path::new(".plugins"));
    /// # Ok::<(), plugin_sync::SyncError>(())
    /// ```
    pub fn new(url: Url, plugin_dir: impl Into<PathBuf>) -> Self {
        Self {
            url,
            plugin_dir: plugin_dir.into(),
            limits: ArchiveLimits::default(),
            timeout: Duration::from_secs(30),
            retry_budget: Duration::from_mins(1),
            max_attempts: 4,
            lock_wait: Duration::from_secs(30),
            cancel: tokio_util::sync::CancellationToken::new(),
        }
    }
}

/// A plugin added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Plugin name.
    pub name: String,
    /// File name.
    pub file: String,
    /// Version.
    pub version: String,
}

/// A plugin whose file changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    /// Plugin name.
    pub name: String,
    /// File name.
    pub file: String,
    /// Version before.
    pub old_version: String,
    /// Version now.
    pub new_version: String,
}

/// What a sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The archive URL (without credentials).
    pub url: String,
    /// The local plugin folder.
    pub plugin_dir: PathBuf,
    /// HTTP status of the final answer (200 or 304).
    pub http_status: u16,
    /// Body bytes downloaded (0 on 304).
    pub downloaded_bytes: u64,
    /// The server's ETag, when it sent one.
    pub etag: Option<String>,
    /// Plugins now present that were not.
    pub added: Vec<Change>,
    /// Plugins whose file changed.
    pub updated: Vec<Update>,
    /// Plugins gone.
    pub removed: Vec<Change>,
    /// Plugins unchanged.
    pub unchanged: usize,
    /// YAML plugins in the folder now.
    pub plugins: usize,
}

impl SyncReport {
    /// Whether the local folder changed.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_sync::client::{Change, SyncReport};
    /// let mut report = SyncReport { url: "http://h/plugins".into(), plugin_dir: ".plugins".into(),
    ///     http_status: 304, downloaded_bytes: 0, etag: None, added: Vec::new(), updated: Vec::new(),
    ///     removed: Vec::new(), unchanged: 2, plugins: 2 };
    /// assert!(!report.changed());
    /// report.removed.push(Change { name: "neo".into(), file: "optimus-plugin-neo.yaml".into(), version: "1".into() });
    /// assert!(report.changed());
    /// ```
    pub fn changed(&self) -> bool {
        !(self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty())
    }
}

/// Downloads the archive and replaces the YAML plugins of
/// `opts.plugin_dir` with its content. On any error the folder is left as
/// it was.
///
/// # Examples
///
/// ```
/// use plugin_sync::client::{plugins_url, sync, SyncOptions};
/// use plugin_sync::serve::{run_until, PluginServer};
///
/// let served = tempfile::tempdir()?;
/// std::fs::write(
///     served.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: neo:0.1.0\nentrypoint:\n  script: neo run\n",
/// )?;
/// let local = tempfile::tempdir()?;
/// let rt = tokio::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     let url = plugins_url(&listener.local_addr()?.to_string())?;
///     let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
///     let server = tokio::spawn(run_until(listener, PluginServer::new(served.path()), async {
///         let _ = stopped.await;
///     }));
///     let opts = SyncOptions::new(url, local.path().join("plugins"));
///     let first = sync(&opts).await?;
///     assert_eq!((first.http_status, first.added[0].name.as_str()), (200, "neo"));
///     assert!(local.path().join("plugins/optimus-plugin-neo.yaml").is_file());
///     // The second run is answered 304 and changes nothing.
///     let second = sync(&opts).await?;
///     assert_eq!(second.http_status, 304);
///     assert!(!second.changed());
///     let _ = stop.send(());
///     server.await??;
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn sync(opts: &SyncOptions) -> Result<SyncReport, SyncError> {
    let shown = redact(&opts.url);
    let plugin_dir = std::path::absolute(&opts.plugin_dir)
        .map_err(SyncError::io("resolving", &opts.plugin_dir))?;

    let dir = plugin_dir.clone();
    let wait = opts.lock_wait;
    let (lock, local, state) = blocking(move || {
        let lock = lock_plugin_dir(&dir, wait)?;
        let (local, state) = read_local(lock.real_dir())?;
        Ok((lock, local, state))
    })
    .await?;

    // Ask with the ETag only when the folder still holds what that ETag
    // delivered; anything else (a hand edit, a lost file) needs the body.
    let etag = state
        .as_ref()
        .filter(|s| s.url == shown && s.files == local_digests(&local))
        .and_then(|s| s.etag.clone());

    let cancelled = || SyncError::Cancelled {
        plugin_dir: plugin_dir.clone(),
    };
    let fetched = tokio::select! {
        () = opts.cancel.cancelled() => return Err(cancelled()),
        f = fetch(opts, &shown, etag.as_deref()) => f?,
    };
    let (body, new_etag) = match fetched {
        Fetched::NotModified => {
            let count = local.len();
            return Ok(SyncReport {
                url: shown,
                plugin_dir,
                http_status: 304,
                downloaded_bytes: 0,
                etag,
                added: Vec::new(),
                updated: Vec::new(),
                removed: Vec::new(),
                unchanged: count,
                plugins: count,
            });
        }
        Fetched::Body { bytes, etag } => (bytes, etag),
    };
    let downloaded = body.len() as u64;
    let limits = opts.limits;
    let origin = shown.clone();
    let new_set = blocking(move || read_archive(&body, &limits, &origin)).await?;

    let (added, updated, removed, unchanged) = diff(&local, &new_set);
    let new_state = SyncState {
        url: shown.clone(),
        etag: new_etag.clone(),
        files: new_set
            .iter()
            .map(|f| (f.entry.file.clone(), f.entry.sha256.clone()))
            .collect(),
    };
    let changed = !(added.is_empty() && updated.is_empty() && removed.is_empty());
    let plugins = new_set.len();
    // Same files and the same state (a server without ETags, or one that
    // ignored If-None-Match): nothing to write, not even the state file.
    if opts.cancel.is_cancelled() {
        return Err(cancelled());
    }
    if changed || state.as_ref() != Some(&new_state) {
        blocking(move || {
            let res = apply(&lock, &new_set, &new_state, changed);
            drop(lock);
            res
        })
        .await?;
    }

    Ok(SyncReport {
        url: shown,
        plugin_dir,
        http_status: 200,
        downloaded_bytes: downloaded,
        etag: new_etag,
        added,
        updated,
        removed,
        unchanged,
        plugins,
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::State(format!("internal task failed: {e}")))?
}

fn local_digests(local: &[LocalPlugin]) -> BTreeMap<String, String> {
    local
        .iter()
        .map(|p| (p.file.clone(), p.sha256.clone()))
        .collect()
}

fn diff(
    local: &[LocalPlugin],
    new_set: &[PluginFile],
) -> (Vec<Change>, Vec<Update>, Vec<Change>, usize) {
    let old: BTreeMap<&str, &LocalPlugin> = local.iter().map(|p| (p.file.as_str(), p)).collect();
    let new: BTreeMap<&str, &PluginFile> =
        new_set.iter().map(|p| (p.entry.file.as_str(), p)).collect();
    let mut added = Vec::new();
    let mut updated = Vec::new();
    let mut unchanged = 0;
    for (file, n) in &new {
        match old.get(file) {
            None => added.push(Change {
                name: n.entry.name.clone(),
                file: (*file).to_owned(),
                version: n.entry.version.clone(),
            }),
            Some(o) if o.sha256 == n.entry.sha256 => unchanged += 1,
            Some(o) => updated.push(Update {
                name: n.entry.name.clone(),
                file: (*file).to_owned(),
                old_version: o.name_and_version().1,
                new_version: n.entry.version.clone(),
            }),
        }
    }
    let removed = old
        .iter()
        .filter(|(f, _)| !new.contains_key(*f))
        .map(|(f, o)| {
            let (name, version) = o.name_and_version();
            Change {
                name,
                file: (*f).to_owned(),
                version,
            }
        })
        .collect();
    (added, updated, removed, unchanged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_forms() {
        assert_eq!(
            plugins_url("127.0.0.1:9100").unwrap().as_str(),
            "http://127.0.0.1:9100/plugins"
        );
        assert_eq!(
            plugins_url("http://h:1/").unwrap().as_str(),
            "http://h:1/plugins"
        );
        assert!(plugins_url("").unwrap_err().is_config());
        assert!(plugins_url("ftp://h").unwrap_err().is_config());
        let u = plugins_url("http://user:sentinel-pw@h:1").unwrap();
        assert!(!redact(&u).contains("sentinel-pw"));
    }

    #[test]
    fn debug_never_shows_url_credentials() {
        let c = ClientConfig {
            host: Some("https://user:sentinel-pw@h:1".into()),
        };
        assert_eq!(
            format!("{c:?}"),
            r#"ClientConfig { host: Some("https://h:1") }"#
        );
        let mut url = plugins_url("http://user:sentinel-pw@h:1").unwrap();
        url.set_query(Some("sig=sentinel-sig"));
        let shown = format!("{:?}", SyncOptions::new(url, "p"));
        assert!(shown.contains("http://h:1/plugins"), "{shown}");
        assert!(!shown.contains("sentinel"), "{shown}");
    }

    #[test]
    fn config_reads_host_and_ignores_the_rest() {
        let c = ClientConfig::from_yaml(
            "version: 1\nlog:\n  level: info\nhost: h:9100\nnamespaces: []\n",
            "c.yaml",
        )
        .unwrap();
        assert_eq!(c.host.as_deref(), Some("h:9100"));
        let err = ClientConfig::from_yaml("host: [\n", "c.yaml").unwrap_err();
        assert!(err.is_config());
        assert!(err.to_string().starts_with("c.yaml:"), "{err}");
    }
}
