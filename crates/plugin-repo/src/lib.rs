//! Where Optimus plugin artifacts come from.
//!
//! A [`Provider`] (built from a provider entry of the manager config, or from
//! a source URL) hands out artifacts as byte streams with their metadata,
//! never holding a whole artifact in memory. Transient failures are retried
//! inside the stream (resuming with a range request where the store allows),
//! so callers see one clean stream or one typed [`RepoError`].
//!
//! Providers: http(s) via reqwest; gcs, s3, azure and local folders via
//! object_store.

pub mod retry;

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

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
/// (URL, bucket + prefix, or folder).
#[async_trait::async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// The provider's name as used in messages (the config's `name`, or the
    /// source URL without secrets or query string).
    fn name(&self) -> &str;
    /// Metadata only (HEAD). Used for the unchanged check without a download.
    async fn head(&self, path: &str) -> Result<ArtifactMeta, RepoError>;
    /// Starts streaming an artifact.
    async fn get(&self, path: &str) -> Result<Fetched, RepoError>;
}

/// Everything that can go wrong fetching an artifact. Messages name the
/// provider and path, never a secret.
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
    /// The provider or source configuration is invalid.
    #[error("{0}")]
    Config(String),
}
