//! Where Optimus plugin artifacts come from.
//!
//! A [`Provider`] (built from a provider entry of the manager config, see
//! [`ProviderConfig`], or from a source URL, see [`Source`]) hands out
//! artifacts as byte streams with their metadata, never holding a whole
//! artifact in memory. Transient failures are retried inside the stream
//! (resuming with a range request where the store allows), so callers see one
//! clean stream or one typed [`RepoError`].
//!
//! Providers: http(s) via reqwest; gcs, s3, azure and local folders via
//! object_store.
//!
//! ```no_run
//! # async fn demo() -> Result<(), plugin_repo::RepoError> {
//! use futures::StreamExt;
//! use plugin_repo::{ProviderContext, Source};
//!
//! let ctx = ProviderContext::new("/etc/optimus");
//! let source = Source::parse("https://plugins.example.org/bq2bq.tar.gz?checksum=sha256:00", "/etc/optimus".as_ref())?;
//! let provider = source.provider(&ctx)?;
//! let mut fetched = provider.get(source.path()).await?;
//! while let Some(chunk) = fetched.body.next().await {
//!     let _bytes = chunk?;
//! }
//! # Ok(()) }
//! ```

mod build;
pub mod client;
mod config;
mod context;
pub mod error;
mod http;
mod netrc;
mod resume;
pub mod retry;
mod secret;
mod source;
mod store;

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

pub use build::ProviderSet;
pub use config::{AzureConfig, GcsConfig, HttpConfig, LocalConfig, S3Config};
pub use config::{BasicAuth, HttpAuth, ProviderConfig, ProviderKind, ProviderSettings};
pub use context::{EnvLookup, ProviderContext, RetrySettings, Timeouts};
pub use error::RepoError;
pub use secret::SecretValue;
pub use source::{ArchiveOption, Checksum, Location, Source, SourceOptions};

/// Metadata of one artifact as the store reports it. Used to decide whether
/// an installed artifact is unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArtifactMeta {
    /// Size in bytes, when known before the body is read.
    pub size: Option<u64>,
    /// HTTP / S3 / Azure ETag, when the store gives one.
    pub etag: Option<String>,
    /// GCS generation or S3 version id, when the store gives one.
    pub version: Option<String>,
    /// Last-modified time as RFC 3339, when the store gives one.
    pub last_modified: Option<String>,
}

/// One object found by [`Provider::list`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListedObject {
    /// Path relative to the provider's base, `/`-separated, usable with
    /// [`Provider::get`].
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// The bytes of one artifact, in order. Errors are final (retries already
/// happened inside).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, RepoError>> + Send>>;

/// An artifact being downloaded: its metadata and its body.
pub struct Fetched {
    /// Metadata from the response headers / object head.
    pub meta: ArtifactMeta,
    /// The body.
    pub body: ByteStream,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// One place artifacts come from. Paths are relative to the provider's base
/// (URL, bucket + prefix, or folder), `/`-separated, without a leading `/`.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// The provider's name as used in messages (the config's `name`, or the
    /// source URL without secrets or query string).
    fn name(&self) -> &str;
    /// Metadata only (HEAD). Used for the unchanged check without a download.
    async fn head(&self, path: &str) -> Result<ArtifactMeta, RepoError>;
    /// Starts streaming an artifact. Transient failures, before or during
    /// the body, are retried and resumed inside the returned stream.
    async fn get(&self, path: &str) -> Result<Fetched, RepoError>;
    /// Every object under `prefix` (a folder path relative to the base, `""`
    /// for all), recursively, sorted by path. Providers that cannot list
    /// (http) return [`RepoError::Unsupported`].
    async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, RepoError>;
}

/// An error and its sources on one line, `: `-joined, skipping a source
/// whose text the line already holds (clients such as reqwest hide the
/// useful part, "connection refused", in a source).
///
/// ```
/// let e = std::io::Error::other("disk on fire");
/// assert_eq!(plugin_repo::error_chain(&e), "disk on fire");
/// ```
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}
