//! The crate's one error type, and the typed causes its variants keep.

use std::fmt;

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
    #[error("{provider}: access to {path} denied ({cause})")]
    Denied {
        /// Provider name.
        provider: String,
        /// Artifact path.
        path: String,
        /// The refusal: the status, and the store's error when a store
        /// refused (shown without secrets).
        #[source]
        cause: Cause,
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
    #[error("{provider}: fetching {path} failed: {cause}")]
    Other {
        /// Provider name.
        provider: String,
        /// Artifact path.
        path: String,
        /// What went wrong, typed.
        #[source]
        cause: Cause,
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
    #[error(transparent)]
    Config(ConfigError),
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
    /// assert!(!plugin_repo::RepoError::Unsupported { provider: "web".into(), operation: "list", kind: "http" }.is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(self, RepoError::NotFound { .. })
    }
}

/// Why a request failed for good: the typed cause of [`RepoError::Denied`]
/// and [`RepoError::Other`]. Callers read the status from here, never from
/// a message.
///
/// ```
/// use plugin_repo::error::{AuthSent, Cause};
///
/// let denied = Cause::Status { status: 401, credentials: Some(AuthSent::None) };
/// assert_eq!(denied.to_string(), "HTTP 401 Unauthorized; no credentials configured");
/// assert_eq!(denied.status(), Some(401));
/// assert_eq!(Cause::Changed { http_412: false }.status(), None);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// The http provider's server answered this status.
    #[error("HTTP {status} {}{}", reason(*status), credentials.map_or("", AuthSent::note))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// For 401/403: whether credentials were sent.
        credentials: Option<AuthSent>,
    },
    /// The artifact changed between two parts of one download.
    #[error(
        "the artifact changed on the server during the download{}",
        if *http_412 { " (HTTP 412)" } else { "" }
    )]
    Changed {
        /// Whether the server said so with HTTP 412.
        http_412: bool,
    },
    /// The body went on past the size the server announced.
    #[error("received more bytes than the announced size {size}")]
    LongerThanAnnounced {
        /// The announced size in bytes.
        size: u64,
    },
    /// A redirect without a usable `Location`.
    #[error("HTTP {status} {}: invalid redirect location", reason_or_unknown(*status))]
    BadRedirect {
        /// The redirect's status code.
        status: u16,
    },
    /// A redirect to a scheme other than http(s).
    #[error("redirect to a non-http URL")]
    NonHttpRedirect,
    /// Too many redirects in a row.
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The limit.
        max: usize,
    },
    /// Reading a local file failed (the artifact cache of an install).
    #[error("{0}")]
    Io(#[source] std::io::Error),
    /// An object store (gcs, s3, azure) refused or failed.
    #[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
    #[error("{}", store_text(*refused_by, *status, source))]
    Store {
        /// `Some(kind)` when the store refused the credentials (`gcs`, ...).
        refused_by: Option<&'static str>,
        /// The HTTP status of the store's reply, when it came from one.
        status: Option<u16>,
        /// The store's error.
        #[source]
        source: StoreError,
    },
}

impl Cause {
    /// The HTTP status behind this failure, when there is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Cause::Status { status, .. } | Cause::BadRedirect { status } => Some(*status),
            Cause::Changed { http_412: true } => Some(412),
            #[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
            Cause::Store { status, .. } => *status,
            _ => None,
        }
    }
}

/// Whether a refused request carried credentials ([`Cause::Status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthSent {
    /// None were configured (no auth, no `.netrc` entry).
    None,
    /// Some were sent and the server refused them.
    Refused,
}

impl AuthSent {
    fn note(self) -> &'static str {
        match self {
            AuthSent::None => "; no credentials configured",
            AuthSent::Refused => "; credentials refused",
        }
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn reason_or_unknown(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("<unknown status code>")
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
fn store_text(refused_by: Option<&'static str>, status: Option<u16>, e: &StoreError) -> String {
    match (refused_by, status) {
        (Some(kind), Some(c)) => format!("{kind} refused the request: HTTP {c}"),
        (Some(kind), None) => format!("{kind} refused the request: permission denied"),
        (None, Some(c)) => format!("HTTP {c}"),
        (None, None) => e.to_string(),
    }
}

/// An object store's error, kept for callers to inspect with
/// [`StoreError::get`], but shown (`Display` and `Debug`) without the
/// query strings of the URLs it quotes: they may hold a SAS token or a
/// signature. Its text already holds its sources, so it reports none.
#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
pub struct StoreError(Box<object_store::Error>);

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
impl StoreError {
    pub(crate) fn new(e: object_store::Error) -> Self {
        Self(Box::new(e))
    }

    /// The store's error itself. Its own `Display` may quote request URLs
    /// with their query string: show this wrapper instead.
    pub fn get(&self) -> &object_store::Error {
        &self.0
    }
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::store::short_error(&self.0))
    }
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreError")
            .field(&crate::store::short_error(&self.0))
            .finish()
    }
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
impl std::error::Error for StoreError {}

/// A configuration problem: the typed content of [`RepoError::Config`].
/// Messages name the source or provider and the key; never a secret.
///
/// ```
/// let err = plugin_repo::Source::parse("ftp://h/x.tgz", "/".as_ref()).unwrap_err();
/// let plugin_repo::RepoError::Config(problem) = &err else { panic!() };
/// assert!(matches!(problem, plugin_repo::error::ConfigError::Source { .. }));
/// assert!(err.to_string().contains("unsupported scheme `ftp://`"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The artifact source is empty.
    #[error("source: empty artifact source")]
    EmptySource,
    /// An artifact source URL or path is unusable.
    #[error("source {shown}: {problem}")]
    Source {
        /// The source as shown in messages (credentials and query removed).
        shown: String,
        /// What is wrong with it.
        #[source]
        problem: SourceProblem,
    },
    /// A provider entry is unusable (its url, endpoint, auth, path, ...).
    #[error("provider {name:?}: {problem}")]
    Provider {
        /// The provider's name.
        name: String,
        /// What is wrong, naming the key.
        problem: String,
    },
    /// A secret the config refers to cannot be read.
    #[error("{what}: {problem}")]
    Secret {
        /// Which secret, e.g. `provider "x": auth.bearer`.
        what: String,
        /// Why it cannot be read.
        #[source]
        problem: SecretProblem,
    },
    /// Two provider entries share a name.
    #[error("two providers are named {name:?}; provider names must be unique")]
    DuplicateProvider {
        /// The name.
        name: String,
    },
    /// A plugin names a provider that is not defined.
    #[error(
        "provider {name:?} is not defined (defined: {})",
        if defined.is_empty() { "none".to_owned() } else { defined.join(", ") }
    )]
    UnknownProvider {
        /// The name asked for.
        name: String,
        /// The names defined.
        defined: Vec<String>,
    },
}

/// What is wrong with an artifact source ([`ConfigError::Source`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceProblem {
    /// A scheme no provider handles.
    #[error("unsupported scheme `{0}://` (use https, http, gs, s3, az, file or a path)")]
    UnsupportedScheme(String),
    /// Not a URL.
    #[error("not a valid URL: {0}")]
    InvalidUrl(#[source] url::ParseError),
    /// An http(s) URL without a host.
    #[error("no host")]
    NoHost,
    /// A gs:// or s3:// URL without a bucket.
    #[error("no bucket")]
    NoBucket,
    /// An az:// URL without a container.
    #[error("no container")]
    NoContainer,
    /// A store URL without an object path.
    #[error("no object path after the bucket")]
    NoObjectPath,
    /// A file:// URL that is no usable path.
    #[error("not a usable file path")]
    NotAFilePath,
    /// `checksum=` without `type:value`.
    #[error("checksum must look like sha256:<64 hex digits>")]
    ChecksumFormat,
    /// `checksum=` of a type other than sha256.
    #[error("checksum type `{0}` is not supported (use sha256)")]
    ChecksumType(String),
    /// `checksum=sha256:` with a value that is not 64 hex digits.
    #[error("checksum sha256 needs 64 hex digits, got {0:?}")]
    ChecksumDigits(String),
    /// An `archive=` value not supported.
    #[error("archive={0} is not supported (false, true, tar.gz, tgz, tar, zip)")]
    Archive(String),
    /// A `filename=` that is not a plain file name.
    #[error("filename={0:?} must be a plain file name")]
    Filename(String),
}

/// Why a secret cannot be read ([`ConfigError::Secret`]). Never holds the
/// value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretProblem {
    /// The environment variable is missing or empty.
    #[error("environment variable {0} is not set or empty")]
    EnvUnset(String),
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{} is empty", .0.display())]
    Empty(std::path::PathBuf),
}

impl RepoError {
    /// A provider entry's configuration problem.
    pub(crate) fn provider_config(name: &str, problem: impl fmt::Display) -> Self {
        RepoError::Config(ConfigError::Provider {
            name: name.to_owned(),
            problem: problem.to_string(),
        })
    }

    /// A source's configuration problem.
    pub(crate) fn source_config(shown: &str, problem: SourceProblem) -> Self {
        RepoError::Config(ConfigError::Source {
            shown: shown.to_owned(),
            problem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
    #[test]
    fn a_store_error_never_shows_a_query_string() {
        let raw = object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "Error performing GET https://acct.blob.core.windows.net/c/x.tgz?sv=1&sig=SENTINEL-sas in 1s".into(),
        };
        let e = RepoError::Other {
            provider: "az".into(),
            path: "x.tgz".into(),
            cause: Cause::Store {
                refused_by: None,
                status: None,
                source: StoreError::new(raw),
            },
        };
        let shown = format!("{e} {e:?} {}", crate::error_chain(&e));
        assert!(!shown.contains("SENTINEL"), "{shown}");
        assert!(
            shown.contains("https://acct.blob.core.windows.net/c/x.tgz"),
            "{shown}"
        );
        let RepoError::Other { cause, .. } = &e else {
            unreachable!()
        };
        assert!(matches!(
            cause,
            Cause::Store { source, .. } if matches!(source.get(), object_store::Error::Generic { .. })
        ));
    }

    #[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
    #[test]
    fn statuses_are_numbers() {
        let c = Cause::Store {
            refused_by: Some("s3"),
            status: Some(403),
            source: StoreError::new(object_store::Error::NotImplemented {
                operation: "x".into(),
                implementer: "y".into(),
            }),
        };
        assert_eq!(c.status(), Some(403));
        assert_eq!(c.to_string(), "s3 refused the request: HTTP 403");
        let r = Cause::BadRedirect { status: 399 };
        assert_eq!(
            r.to_string(),
            "HTTP 399 <unknown status code>: invalid redirect location"
        );
    }
}
