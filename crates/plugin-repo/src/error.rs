//! The crate's one error type.

/// Everything that can go wrong fetching an artifact. Messages name the
/// provider and path, never a secret.
///
/// ```
/// let err = plugin_repo::Source::parse("ftp://host/x", "/".as_ref()).unwrap_err();
/// assert!(matches!(err, plugin_repo::RepoError::Config(_)));
/// let e = plugin_repo::RepoError::NotFound { provider: "dev".into(), path: "a.tgz".into(), status: " (HTTP 404)".into() };
/// assert_eq!(e.to_string(), "dev: a.tgz not found (HTTP 404)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// The artifact does not exist (404 or missing object/file).
    #[error("{provider}: {path} not found{status}")]
    NotFound {
        /// Provider name.
        provider: String,
        /// Artifact path.
        path: String,
        /// `" (HTTP 404)"` or empty.
        status: String,
    },
    /// Credentials missing or refused (401/403).
    #[error("{provider}: access to {path} denied ({detail})")]
    Denied {
        /// Provider name.
        provider: String,
        /// Artifact path.
        path: String,
        /// Status and server message, secrets removed.
        detail: String,
    },
    /// Transient failures went on past the retry budget.
    #[error("{provider}: fetching {path} failed after {attempts} attempt(s): {last}")]
    RetriesExhausted {
        /// Provider name.
        provider: String,
        /// Artifact path.
        path: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// Any other failure that retrying cannot fix.
    #[error("{provider}: fetching {path} failed: {detail}")]
    Other {
        /// Provider name.
        provider: String,
        /// Artifact path.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// The provider cannot do this (e.g. listing over plain http).
    #[error("{provider}: {operation} is not supported by {kind} providers")]
    Unsupported {
        /// Provider name.
        provider: String,
        /// Provider type (`http`, ...).
        kind: &'static str,
        /// What was asked (`listing`).
        operation: &'static str,
    },
    /// The provider or source configuration is invalid (or a secret it
    /// refers to cannot be read). The message names the provider / source
    /// and the key.
    #[error("{0}")]
    Config(String),
    /// The provider's store is not compiled into this build: its cargo
    /// feature was off.
    #[error(
        "{provider}: {kind} providers are not built into this program (plugin-repo feature `{feature}`); use a build with {kind} support, such as optimus-plugin"
    )]
    NotBuilt {
        /// Provider name.
        provider: String,
        /// Provider type (`gcs`, `s3`, `azure`).
        kind: &'static str,
        /// The plugin-repo cargo feature that adds it.
        feature: &'static str,
    },
    /// An HTTP client could not be set up (see
    /// [`ClientSettings::build`](crate::client::ClientSettings::build)).
    #[error("{setting} {problem}")]
    Client {
        /// The setting at fault: `HTTPS_PROXY`, `CA certificates`, `HTTP client`.
        setting: &'static str,
        /// What is wrong with it.
        problem: &'static str,
        /// The client library's error, when it has one worth showing.
        #[source]
        source: Option<reqwest::Error>,
    },
}

impl RepoError {
    /// Whether this error means "the artifact is not there".
    ///
    /// ```
    /// let e = plugin_repo::RepoError::NotFound { provider: "dev".into(), path: "a.tgz".into(), status: String::new() };
    /// assert!(e.is_not_found());
    /// assert!(!plugin_repo::RepoError::Config("bad".into()).is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(self, RepoError::NotFound { .. })
    }
}
