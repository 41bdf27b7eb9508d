//! The error type of `sync` and `serve`.

use std::path::PathBuf;

/// Everything that can go wrong building, serving, downloading or applying
/// a YAML plugin archive. Each message names the server URL (without
/// credentials), the archive entry or the local path at fault.
///
/// ```
/// let err = plugin_sync::client::plugins_url("ftp://h").unwrap_err();
/// assert!(err.is_config(), "bad usage: exit code 2 in the CLI");
/// assert!(err.to_string().contains("only http and https"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The client config or the host is unusable (exit code 2 in the CLI).
    #[error(transparent)]
    Config(ConfigError),
    /// Reading or writing a local file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`"reading"`, `"renaming"`, ...).
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server could not be reached or the transfer broke (after retries).
    #[error("cannot download {url}: {cause}{}", after_attempts(*attempts))]
    Network {
        /// The URL asked for.
        url: String,
        /// What failed, typed.
        #[source]
        cause: NetworkError,
        /// Attempts made (0 when the client could not be set up).
        attempts: u32,
    },
    /// The server answered with an error status (after retries for
    /// transient ones).
    #[error("{url} answered HTTP {status}{detail}")]
    Status {
        /// The URL asked for.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// `" <reason>"` plus a short, sanitised excerpt of the body.
        detail: String,
    },
    /// The body is not a zip archive (an HTML page, JSON, ...).
    #[error(
        "{url} did not answer with a zip archive (Content-Type {content_type}; body starts with {start:?})"
    )]
    NotAZip {
        /// The URL asked for.
        url: String,
        /// The Content-Type header, or `none`.
        content_type: String,
        /// The first bytes of the body, made printable.
        start: String,
    },
    /// The body is larger than the download limit.
    #[error("{url}: the archive is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL asked for.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The zip cannot be read (truncated, corrupt, unsupported method).
    #[error("cannot read the plugin archive from {origin}: {detail}")]
    BadArchive {
        /// Where the archive came from.
        origin: String,
        /// What the decoder said.
        detail: String,
    },
    /// An entry is refused: not a flat `optimus-plugin-*.yaml` file, a
    /// duplicate, or over a size limit (zip bomb).
    #[error("unsafe plugin archive from {origin}: entry {entry:?}: {reason}")]
    UnsafeEntry {
        /// Where the archive came from.
        origin: String,
        /// The entry name as found in the archive (escaped).
        entry: String,
        /// Why it was refused.
        reason: String,
    },
    /// A YAML plugin does not parse or validate.
    #[error("invalid YAML plugin {file} from {origin}:\n{detail}")]
    InvalidPlugin {
        /// The file name.
        file: String,
        /// Where it came from.
        origin: String,
        /// plugin-spec's message (one `file:line:col: problem` per line).
        detail: String,
    },
    /// The plugin folder is managed by `optimus-plugin install` (it is a
    /// link to an installed generation or holds install receipts), so sync
    /// refuses it (exit code 2).
    #[error(
        "{} is managed by `optimus-plugin install` ({config}); sync refuses to change it, since the next install would undo it. Sync into another folder (--plugin-dir), or add the plugins to that config",
        plugin_dir.display()
    )]
    ManagedByInstall {
        /// The plugin folder.
        plugin_dir: PathBuf,
        /// `config FILE`, or what marks the folder when the config is not
        /// recorded.
        config: String,
    },
    /// A step shared with install failed: the folder's layout is unusable
    /// (a path without a folder name: a config error; its parent cannot be
    /// made), or another install or sync holds the folder's lock
    /// ([`plugin_manager::Error::Locked`], the one lock both take).
    #[error(transparent)]
    Folder(#[from] plugin_manager::Error),
    /// The plugin folder is missing (serve) or not in a usable shape.
    #[error("{0}")]
    State(String),
    /// The volume holding the plugin folder has no room for the new set
    /// (checked before writing, or a write failed with `ENOSPC`); the
    /// staging folder was removed and the folder is as it was.
    #[error("{source}; the plugin folder was left as it was")]
    NoSpace {
        /// The folder, what was needed and what is free.
        #[from]
        source: safe_fs::space::NoSpace,
    },
    /// The sync was cancelled (SIGTERM or SIGINT in the CLI) before the
    /// switch: the download was dropped and the folder is as it was.
    #[error("sync of {} cancelled; the plugin folder was left as it was", plugin_dir.display())]
    Cancelled {
        /// The plugin folder.
        plugin_dir: PathBuf,
    },
}

/// Why the archive could not be downloaded ([`SyncError::Network`]). The
/// HTTP client's errors are kept without their URL (the sync URL may hold
/// credentials).
///
/// # Examples
///
/// ```
/// use plugin_sync::client::{plugins_url, sync, SyncOptions};
/// use plugin_sync::error::NetworkError;
/// use plugin_sync::SyncError;
///
/// // A loopback port nobody listens on any more.
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let dir = tempfile::tempdir().unwrap();
/// let mut opts = SyncOptions::new(plugins_url(&format!("127.0.0.1:{port}")).unwrap(), dir.path().join("p"));
/// opts.max_attempts = 1;
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let err = rt.block_on(sync(&opts)).unwrap_err();
/// assert!(matches!(err, SyncError::Network { cause: NetworkError::Request(_), attempts: 1, .. }), "{err:?}");
/// assert!(err.to_string().starts_with(&format!("cannot download http://127.0.0.1:{port}/plugins:")), "{err}");
/// assert!(!dir.path().join("p").exists(), "nothing written");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// The HTTP client could not be set up.
    #[error("{0}")]
    Client(#[source] plugin_repo::RepoError),
    /// The request failed (connection refused or reset, DNS, timeout).
    #[error("{}", plugin_repo::error_chain(.0))]
    Request(#[source] reqwest::Error),
    /// The body broke off.
    #[error(
        "transfer broke after {received} bytes: {}",
        plugin_repo::error_chain(source)
    )]
    Transfer {
        /// Bytes received before it broke.
        received: usize,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
}

/// What is wrong with the client config or the host ([`SyncError::Config`]).
///
/// ```
/// let err = plugin_sync::client::plugins_url("").unwrap_err();
/// assert!(matches!(err, plugin_sync::SyncError::Config(plugin_sync::error::ConfigError::NoHost)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The client config file cannot be read.
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The client config is not valid YAML of the expected shape.
    #[error("{origin}: {source}")]
    Yaml {
        /// The file (or text) it came from.
        origin: String,
        /// The parser's error (names line and column).
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// No host was given.
    #[error("no server host: set `host:` in the client config, --host or OPTIMUS_HOST")]
    NoHost,
    /// The host is not a URL.
    #[error("bad server host {host:?}: {source}")]
    BadHost {
        /// The host as given.
        host: String,
        /// The URL parser's error.
        #[source]
        source: url::ParseError,
    },
    /// The host's scheme is not http or https.
    #[error("bad server host {host:?}: only http and https are supported")]
    Scheme {
        /// The host, without credentials.
        host: String,
    },
    /// The URL has no host name.
    #[error("bad server host {host:?}: no host name")]
    NoHostName {
        /// The host as given.
        host: String,
    },
}

fn after_attempts(attempts: u32) -> String {
    match attempts {
        0 => String::new(),
        1 => " (after 1 attempt)".to_owned(),
        n => format!(" (after {n} attempts)"),
    }
}

impl SyncError {
    /// True when the user's config or flags are at fault (exit code 2),
    /// false when the work failed (exit code 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_sync::client::plugins_url;
    /// let err = plugins_url("ftp://x").unwrap_err();
    /// assert!(err.is_config(), "{err}");
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("plugins");
    /// std::fs::write(&file, "not a folder").unwrap();
    /// let err = plugin_sync::apply::lock_plugin_dir(&file, std::time::Duration::ZERO).unwrap_err();
    /// assert!(!err.is_config(), "{err}");
    /// ```
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            SyncError::Config(_)
                | SyncError::ManagedByInstall { .. }
                | SyncError::Folder(plugin_manager::Error::Config(_))
        )
    }

    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> SyncError {
        let path = path.into();
        move |source| SyncError::Io { what, path, source }
    }
}
