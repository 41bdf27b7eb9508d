//! Optional asset source: every object under a prefix (gs://, s3://, az://,
//! file://) copied into `in/` through plugin-repo, with the same name checks
//! and limits as the server's files.

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use plugin_repo::{Location, Provider, ProviderContext, Source};
use safe_fs::SafeRelPath;

use crate::{BootError, Limits};

/// One asset object, read into memory and checked.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(dir.path().join("job1/sub")).unwrap();
/// std::fs::write(dir.path().join("job1/sub/model.bin"), b"\x00\x01").unwrap();
/// let ctx = plugin_repo::ProviderContext::new(dir.path());
/// let src = task_boot::AssetSource::open(&format!("file://{}/job1/", dir.path().display()), dir.path(), &ctx).unwrap();
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let objects = rt.block_on(task_boot::collect_assets(&src, &task_boot::Limits::default())).unwrap();
/// assert_eq!(objects[0].path.as_str(), "sub/model.bin");
/// assert_eq!(objects[0].content, b"\x00\x01");
/// ```
pub struct AssetObject {
    /// Where it goes, relative to `in/` (its path below the prefix).
    pub path: SafeRelPath,
    /// Its bytes.
    pub content: Vec<u8>,
}

impl std::fmt::Debug for AssetObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.path, self.content.len())
    }
}

/// A parsed `--assets` URL: the provider and the prefix to copy.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(dir.path().join("job1/sub")).unwrap();
/// std::fs::write(dir.path().join("job1/sub/model.bin"), b"\x00\x01").unwrap();
/// let ctx = plugin_repo::ProviderContext::new(dir.path());
/// let src = task_boot::AssetSource::open(&format!("file://{}/job1/", dir.path().display()), dir.path(), &ctx).unwrap();
/// assert_eq!(src.prefix(), "job1");
/// ```
#[derive(Debug, Clone)]
pub struct AssetSource {
    provider: Arc<dyn Provider>,
    prefix: String,
    name: String,
}

impl AssetSource {
    /// Parses `raw` (`gs://bucket/prefix/`, `s3://...`, `az://...`,
    /// `file:///dir`, or a plain folder path relative to `base_dir`) and
    /// builds its provider with `ctx` (credentials come through the context's
    /// env lookup). A bad URL is a [`BootError::Setting`] naming `--assets`.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("job1")).unwrap();
    /// let ctx = plugin_repo::ProviderContext::new(dir.path());
    /// let url = format!("file://{}/job1/", dir.path().display());
    /// let src = task_boot::AssetSource::open(&url, dir.path(), &ctx).unwrap();
    /// assert_eq!(src.prefix(), "job1");
    /// assert!(task_boot::AssetSource::open("ftp://x/y", std::path::Path::new("/"), &ctx).is_err());
    /// ```
    pub fn open(raw: &str, base_dir: &Path, ctx: &ProviderContext) -> Result<Self, BootError> {
        let setting = |message: String| BootError::Setting {
            name: "--assets",
            message,
        };
        let source = Source::parse(raw, base_dir).map_err(|e| setting(e.to_string()))?;
        if matches!(source.location, Location::Http { .. }) {
            return Err(setting(format!(
                "{}: http(s) sources cannot be listed; use gs://, s3://, az:// or file://",
                source.display_name()
            )));
        }
        #[cfg(not(feature = "cloud-assets"))]
        if matches!(
            source.location,
            Location::Gcs { .. } | Location::S3 { .. } | Location::Azure { .. }
        ) {
            return Err(setting(format!(
                "{}: this optimus-init was built without the `cloud-assets` cargo feature, \
                 so it reads file:// assets only; build it with \
                 `cargo build -p optimus-init --features cloud-assets` for gs://, s3:// and az://",
                source.display_name()
            )));
        }
        let provider = source.provider(ctx).map_err(|e| setting(e.to_string()))?;
        let prefix = source.path().trim_end_matches('/').to_owned();
        Ok(Self {
            provider,
            prefix,
            name: source.display_name().to_owned(),
        })
    }

    /// Uses an already built provider (embedders, tests).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("assets")).unwrap();
    /// let source = plugin_repo::Source::parse("assets/x", dir.path()).unwrap();
    /// let provider = source.provider(&plugin_repo::ProviderContext::new(dir.path())).unwrap();
    /// let src = task_boot::AssetSource::from_provider(provider, "job1/");
    /// assert_eq!(src.prefix(), "job1");
    /// assert!(src.name().ends_with("/job1/"), "{}", src.name());
    /// ```
    pub fn from_provider(provider: Arc<dyn Provider>, prefix: &str) -> Self {
        Self {
            name: format!("{}/{}", provider.name(), prefix),
            provider,
            prefix: prefix.trim_end_matches('/').to_owned(),
        }
    }

    /// The folder path below the provider's base whose objects are copied.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir_all(dir.path().join("job1/sub")).unwrap();
    /// std::fs::write(dir.path().join("job1/sub/model.bin"), b"\x00\x01").unwrap();
    /// let ctx = plugin_repo::ProviderContext::new(dir.path());
    /// let src = task_boot::AssetSource::open(&format!("file://{}/job1/", dir.path().display()), dir.path(), &ctx).unwrap();
    /// assert_eq!(src.prefix(), "job1");
    /// ```
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The source as shown in messages (no credentials, no query).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir_all(dir.path().join("job1/sub")).unwrap();
    /// std::fs::write(dir.path().join("job1/sub/model.bin"), b"\x00\x01").unwrap();
    /// let ctx = plugin_repo::ProviderContext::new(dir.path());
    /// let src = task_boot::AssetSource::open(&format!("file://{}/job1/", dir.path().display()), dir.path(), &ctx).unwrap();
    /// assert!(src.name().contains("job1"), "{}", src.name());
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Lists every object under the source's prefix and reads them, checking
/// names with [`SafeRelPath`] and the count and size against `limits`
/// before and during the download. The caller checks the limits again
/// together with the server's files ([`crate::plan_inputs`]).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(dir.path().join("job1/sub")).unwrap();
/// std::fs::write(dir.path().join("job1/sub/model.bin"), b"\x00\x01").unwrap();
/// let ctx = plugin_repo::ProviderContext::new(dir.path());
/// let src = task_boot::AssetSource::open(&format!("file://{}/job1/", dir.path().display()), dir.path(), &ctx).unwrap();
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let too_few = task_boot::Limits { max_files: 0, ..task_boot::Limits::default() };
/// let err = rt.block_on(task_boot::collect_assets(&src, &too_few)).unwrap_err();
/// assert!(err.to_string().contains("number of asset files"), "{err}");
/// ```
pub async fn collect_assets(
    source: &AssetSource,
    limits: &Limits,
) -> Result<Vec<AssetObject>, BootError> {
    let fail = |source_err: plugin_repo::RepoError| BootError::Assets {
        source_name: source.name.clone(),
        source: source_err,
    };
    let listed = source.provider.list(&source.prefix).await.map_err(fail)?;
    if listed.len() as u64 > limits.max_files {
        return Err(BootError::Limit {
            what: "number of asset files",
            limit: limits.max_files,
            actual: listed.len() as u64,
        });
    }
    // Sizes come from the store's listing: a hostile or broken store may
    // claim anything, so the sum saturates instead of overflowing.
    let listed_bytes = listed
        .iter()
        .fold(0u64, |sum, o| sum.saturating_add(o.size));
    if listed_bytes > limits.max_bytes {
        return Err(BootError::Limit {
            what: "total size of asset files in bytes",
            limit: limits.max_bytes,
            actual: listed_bytes,
        });
    }
    let mut out = Vec::with_capacity(listed.len());
    let mut total = 0u64;
    for obj in listed {
        let rel = relative_to(&source.prefix, &obj.path).ok_or_else(|| {
            BootError::AssetOutsidePrefix {
                source_name: source.name.clone(),
                path: obj.path.clone(),
            }
        })?;
        let path = SafeRelPath::new(rel).map_err(BootError::UnsafeName)?;
        let mut fetched = source.provider.get(&obj.path).await.map_err(fail)?;
        let mut content = Vec::with_capacity(usize::try_from(obj.size).unwrap_or(0));
        while let Some(chunk) = fetched.body.next().await {
            let chunk = chunk.map_err(fail)?;
            total = total.saturating_add(chunk.len() as u64);
            if total > limits.max_bytes {
                return Err(BootError::Limit {
                    what: "total size of asset files in bytes",
                    limit: limits.max_bytes,
                    actual: total,
                });
            }
            content.extend_from_slice(&chunk);
        }
        out.push(AssetObject { path, content });
    }
    Ok(out)
}

/// `path` below `prefix` (a folder), or `None` if it is not inside it.
fn relative_to<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    path.strip_prefix(prefix)?.strip_prefix('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three sparse files of 2^63-1 bytes each (tmpfs allows that size)
    /// list as more than u64::MAX bytes in all: the limit check reports it
    /// instead of overflowing, and nothing is read.
    #[tokio::test]
    async fn listed_sizes_beyond_u64_are_a_limit_error_not_an_overflow() {
        let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
            eprintln!("no /dev/shm: sparse-file case not run");
            return;
        };
        let job = dir.path().join("job1");
        std::fs::create_dir(&job).unwrap();
        for name in ["a.bin", "b.bin", "c.bin"] {
            let f = std::fs::File::create(job.join(name)).unwrap();
            f.set_len(u64::MAX >> 1).unwrap();
        }
        let ctx = ProviderContext::new(dir.path());
        let url = format!("file://{}/", job.display());
        let src = AssetSource::open(&url, dir.path(), &ctx).unwrap();
        let err = collect_assets(&src, &Limits::default()).await.unwrap_err();
        assert!(
            matches!(
                err,
                BootError::Limit {
                    actual: u64::MAX,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[cfg(not(feature = "cloud-assets"))]
    #[test]
    fn cloud_assets_without_the_feature_are_a_setting_error_naming_it() {
        let ctx = ProviderContext::new("/");
        for url in ["gs://b/p/", "s3://b/p/", "az://c/p/"] {
            let err = AssetSource::open(url, Path::new("/"), &ctx).unwrap_err();
            assert!(err.is_usage(), "{err}");
            let msg = err.to_string();
            assert!(
                msg.contains("--assets") && msg.contains("`cloud-assets` cargo feature"),
                "{msg}"
            );
        }
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative_to("a/b", "a/b/c.sql"), Some("c.sql"));
        assert_eq!(relative_to("a/b", "a/bc/d"), None);
        assert_eq!(relative_to("", "x/y"), Some("x/y"));
    }
}
