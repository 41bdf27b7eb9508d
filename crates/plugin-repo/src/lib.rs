//! Where Optimus plugin artifacts come from.
//!
//! A [`Provider`] (built from a provider entry of the manager config, see
//! [`ProviderConfig`], or from a source URL, see [`Source`]) hands out
//! artifacts as byte streams with their metadata, never holding a whole
//! artifact in memory. Transient failures are retried inside the stream
//! (resuming with a range request where the store allows), so callers see one
//! clean stream or one typed [`RepoError`].
//!
//! Providers: http(s) via reqwest and local folders via tokio's file API,
//! always; gcs, s3 and azure via object_store when their cargo features
//! (`gcs`, `s3`, `azure`, or all three as `cloud`) are on.
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
mod local;
mod netrc;
mod resume;
pub mod retry;
mod secret;
mod source;
#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
mod store;

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

pub use build::ProviderSet;
pub use config::{AzureConfig, GcsConfig, HttpConfig, LocalConfig, S3Config};
pub use config::{BasicAuth, HttpAuth, ProviderConfig, ProviderKind, ProviderSettings};
pub use config::{ProviderEntry, ProviderProblem};
pub use context::{EnvLookup, ProviderContext, RetrySettings, Timeouts};
pub use error::RepoError;
pub use secret::SecretValue;
pub use source::{ArchiveOption, Checksum, Location, Source, SourceOptions};

/// Metadata of one artifact as the store reports it. Used to decide whether
/// an installed artifact is unchanged.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("repo/dir"))?;
/// std::fs::write(dir.path().join("repo/dir/a.bin"), b"hello")?;
/// let config: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: repo\n")?;
/// let provider = config.build(&plugin_repo::ProviderContext::new(dir.path()))?;
/// let rt = tokio::runtime::Runtime::new()?;
/// let meta = rt.block_on(provider.head("dir/a.bin"))?;
/// assert_eq!(meta.size, Some(5));
/// assert!(meta.etag.is_some() && meta.last_modified.is_some());
/// assert_eq!(meta.version, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("repo/dir"))?;
/// std::fs::write(dir.path().join("repo/dir/a.bin"), b"hello")?;
/// let config: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: repo\n")?;
/// let provider = config.build(&plugin_repo::ProviderContext::new(dir.path()))?;
/// let rt = tokio::runtime::Runtime::new()?;
/// let listed = rt.block_on(provider.list("dir"))?;
/// assert_eq!(listed, [plugin_repo::ListedObject { path: "dir/a.bin".into(), size: 5 }]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("repo/dir"))?;
/// std::fs::write(dir.path().join("repo/dir/a.bin"), b"hello")?;
/// let config: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: repo\n")?;
/// let provider = config.build(&plugin_repo::ProviderContext::new(dir.path()))?;
/// let rt = tokio::runtime::Runtime::new()?;
/// use futures::TryStreamExt;
/// let fetched = rt.block_on(provider.get("dir/a.bin"))?;
/// let body: plugin_repo::ByteStream = fetched.body;
/// let chunks: Vec<bytes::Bytes> = rt.block_on(body.try_collect())?;
/// assert_eq!(chunks.concat(), b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, RepoError>> + Send>>;

/// An artifact being downloaded: its metadata and its body.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("repo/dir"))?;
/// std::fs::write(dir.path().join("repo/dir/a.bin"), b"hello")?;
/// let config: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: repo\n")?;
/// let provider = config.build(&plugin_repo::ProviderContext::new(dir.path()))?;
/// let rt = tokio::runtime::Runtime::new()?;
/// use futures::StreamExt;
/// let mut fetched = rt.block_on(provider.get("dir/a.bin"))?;
/// assert_eq!(fetched.meta.size, Some(5));
/// let first = rt.block_on(fetched.body.next()).unwrap()?;
/// assert_eq!(&first[..], b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("repo/dir"))?;
/// std::fs::write(dir.path().join("repo/dir/a.bin"), b"hello")?;
/// let config: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: repo\n")?;
/// let provider = config.build(&plugin_repo::ProviderContext::new(dir.path()))?;
/// let rt = tokio::runtime::Runtime::new()?;
/// assert_eq!(provider.name(), "dev");
/// rt.block_on(async {
///     assert_eq!(provider.head("dir/a.bin").await?.size, Some(5));
///     assert!(provider.get("dir/missing.bin").await.unwrap_err().is_not_found());
///     assert_eq!(provider.list("").await?.len(), 1);
///     Ok::<_, plugin_repo::RepoError>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
