//! What a library needs from its embedder to build providers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Looks up an environment variable. Libraries never read the process
/// environment themselves: binaries pass `|k| std::env::var(k).ok()`, tests
/// pass a map.
///
/// ```
/// use std::sync::Arc;
/// let env: plugin_repo::EnvLookup = Arc::new(|k: &str| (k == "TOKEN").then(|| "t0k".to_owned()));
/// assert_eq!(env("TOKEN").as_deref(), Some("t0k"));
/// assert_eq!(env("HOME"), None);
/// ```
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Timeouts per phase of a request. None of them limits a whole download:
/// a large artifact on a slow but steady link is never cut.
///
/// ```
/// use std::time::Duration;
/// let t = plugin_repo::Timeouts::default();
/// assert_eq!(t.connect, Duration::from_secs(10));
/// let ctx = plugin_repo::ProviderContext::new("/etc/optimus")
///     .with_timeouts(plugin_repo::Timeouts { idle_read: Duration::from_secs(5), ..t });
/// assert_eq!(ctx.timeouts.idle_read, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// From sending a request to the response headers.
    pub first_byte: Duration,
    /// Longest gap between two chunks of a body.
    pub idle_read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(30),
            idle_read: Duration::from_secs(30),
        }
    }
}

/// Retry schedule for transient failures (connect errors, resets, truncated
/// bodies, 408/425/429/5xx): capped exponential backoff with full jitter,
/// honouring `Retry-After`.
///
/// ```
/// use std::time::Duration;
/// let r = plugin_repo::RetrySettings::default();
/// assert_eq!(r.cap, Duration::from_secs(20));
/// assert!(r.base < r.cap && r.cap < r.deadline);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// First delay ceiling; doubles each attempt.
    pub base: Duration,
    /// Largest delay (also caps `Retry-After`).
    pub cap: Duration,
    /// Per-artifact retry budget: after a failure, retrying stops when the
    /// next attempt would start later than this after the last progress
    /// (the start of the request, or the last byte received).
    pub deadline: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(20),
            deadline: Duration::from_mins(3),
        }
    }
}

/// Everything providers need from their surroundings.
///
/// ```
/// use std::sync::Arc;
/// use plugin_repo::ProviderContext;
///
/// let ctx = ProviderContext::new("/etc/optimus")
///     .with_env(Arc::new(|key: &str| std::env::var(key).ok()));
/// assert_eq!(ctx.config_dir, std::path::Path::new("/etc/optimus"));
/// ```
#[derive(Clone)]
pub struct ProviderContext {
    /// Directory of the config file: relative local paths and secret files
    /// resolve against it.
    pub config_dir: PathBuf,
    /// Environment lookup (secrets given by env var name, `HOME`/`NETRC`
    /// for `.netrc`, proxy variables, cloud credential chains). Defaults to
    /// an empty environment.
    pub env: EnvLookup,
    /// Per-phase timeouts.
    pub timeouts: Timeouts,
    /// Retry schedule.
    pub retry: RetrySettings,
    /// HTTP clients built so far, by their settings. Building a client parses
    /// the system's root certificates (milliseconds each), so providers made
    /// from one context share a client per distinct setting, and sources on
    /// one host share its connections.
    pub(crate) http_clients: HttpClientCache,
}

/// Clients shared between providers built from one context (and its clones).
pub(crate) type HttpClientCache =
    Arc<std::sync::Mutex<std::collections::HashMap<String, reqwest::Client>>>;

impl ProviderContext {
    /// A context with defaults and an empty environment.
    ///
    /// ```
    /// let ctx = plugin_repo::ProviderContext::new("/etc/optimus");
    /// assert_eq!(ctx.config_dir, std::path::Path::new("/etc/optimus"));
    /// assert_eq!(ctx.timeouts, plugin_repo::Timeouts::default());
    /// ```
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            config_dir: config_dir.into(),
            env: Arc::new(|_| None),
            timeouts: Timeouts::default(),
            retry: RetrySettings::default(),
            http_clients: HttpClientCache::default(),
        }
    }

    /// Replaces the environment lookup.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use plugin_repo::{ProviderContext, SecretValue};
    /// let ctx = ProviderContext::new("/").with_env(Arc::new(|k: &str| (k == "TOKEN").then(|| "t0k".into())));
    /// let token = SecretValue::Env("TOKEN".into()).resolve(&ctx, "auth.bearer")?;
    /// assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "t0k");
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn with_env(mut self, env: EnvLookup) -> Self {
        self.env = env;
        self
    }

    /// Replaces the timeouts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use plugin_repo::{ProviderContext, Timeouts};
    /// let t = Timeouts { connect: Duration::from_secs(2), ..Timeouts::default() };
    /// assert_eq!(ProviderContext::new("/").with_timeouts(t).timeouts.connect, Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Replaces the retry schedule.
    ///
    /// ```
    /// use std::time::Duration;
    /// use plugin_repo::{ProviderContext, RetrySettings};
    /// let r = RetrySettings { deadline: Duration::from_secs(10), ..RetrySettings::default() };
    /// assert_eq!(ProviderContext::new("/").with_retry(r).retry.deadline, Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn with_retry(mut self, retry: RetrySettings) -> Self {
        self.retry = retry;
        self
    }

    /// Looks up one variable; empty values count as unset.
    pub(crate) fn var(&self, key: &str) -> Option<String> {
        (self.env)(key).filter(|v| !v.is_empty())
    }

    /// `path` resolved against the config directory.
    pub(crate) fn resolve_path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.config_dir.join(path)
        }
    }
}

impl Default for ProviderContext {
    fn default() -> Self {
        Self::new(".")
    }
}

impl fmt::Debug for ProviderContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderContext")
            .field("config_dir", &self.config_dir)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
