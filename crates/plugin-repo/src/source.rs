//! Form-2 sources: one URL or path per artifact, go-getter style.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::RepoError;
use crate::error::{ConfigError, SourceProblem};

/// Where a source's bytes live.
///
/// ```
/// use plugin_repo::{Location, Source};
/// let s = Source::parse("gs://team-bucket/plugins/x.tar.gz", "/".as_ref())?;
/// assert_eq!(s.location, Location::Gcs { bucket: "team-bucket".into(), key: "plugins/x.tar.gz".into() });
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// `http://` or `https://` URL, go-getter options removed, the rest of
    /// the query (e.g. a presigned signature) kept.
    Http {
        /// The URL to fetch.
        url: Url,
    },
    /// `gs://bucket/key`.
    Gcs {
        /// Bucket.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// `s3://bucket/key`.
    S3 {
        /// Bucket.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// `az://container/key` or `az://container@account/key` (the account
    /// otherwise comes from `AZURE_STORAGE_ACCOUNT_NAME`).
    Azure {
        /// Storage account, when given in the URL.
        account: Option<String>,
        /// Container.
        container: String,
        /// Blob name.
        key: String,
    },
    /// `file://` URL or plain path, made absolute.
    Local {
        /// Absolute path.
        path: PathBuf,
    },
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The query may hold a signature: print only the redacted form.
            Location::Http { url } => f
                .debug_struct("Http")
                .field("url", &redacted_url(url))
                .finish(),
            Location::Gcs { bucket, key } => f
                .debug_struct("Gcs")
                .field("bucket", bucket)
                .field("key", key)
                .finish(),
            Location::S3 { bucket, key } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("key", key)
                .finish(),
            Location::Azure {
                account,
                container,
                key,
            } => f
                .debug_struct("Azure")
                .field("account", account)
                .field("container", container)
                .field("key", key)
                .finish(),
            Location::Local { path } => f.debug_struct("Local").field("path", path).finish(),
        }
    }
}

/// An expected checksum (`?checksum=sha256:<hex>`).
///
/// ```
/// let hex = "0f".repeat(32);
/// let s = plugin_repo::Source::parse(&format!("/dist/x.tar.gz?checksum=sha256:{hex}"), "/".as_ref())?;
/// assert_eq!(s.options.checksum, Some(plugin_repo::Checksum::Sha256(hex)));
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// SHA-256, 64 lowercase hex digits.
    Sha256(String),
}

/// Go-getter options parsed off a source; never sent to a server.
///
/// ```
/// use plugin_repo::{ArchiveOption, Source};
/// let s = Source::parse("https://h/dl?id=7&archive=false&filename=neo.yaml", "/".as_ref())?;
/// assert_eq!(s.options.archive, Some(ArchiveOption::Disabled));
/// assert_eq!(s.options.filename.as_deref(), Some("neo.yaml"));
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOptions {
    /// `?checksum=sha256:<hex>`.
    pub checksum: Option<Checksum>,
    /// `?archive=false` (install as one file) / `?archive=true` (or a
    /// format name such as `tar.gz`, `zip`: extract).
    pub archive: Option<ArchiveOption>,
    /// `?filename=NAME`: install under this name.
    pub filename: Option<String>,
}

/// The `?archive=` option.
///
/// ```
/// use plugin_repo::{ArchiveOption, Source};
/// let s = Source::parse("https://h/bundle?archive=zip", "/".as_ref())?;
/// assert_eq!(s.options.archive, Some(ArchiveOption::Format("zip".into())));
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveOption {
    /// `archive=false`: never extract.
    Disabled,
    /// `archive=true` or empty: extract by the file name's extension.
    Auto,
    /// `archive=<format>` (`tar.gz`, `tgz`, `tar`, `zip`): extract as that.
    Format(String),
}

/// One form-2 source: where the artifact is and the go-getter options.
///
/// ```
/// use std::path::Path;
/// use plugin_repo::{Checksum, Location, Source};
///
/// let s = Source::parse("s3://team-bucket/plugins/x.tar.gz", Path::new("/etc/optimus")).unwrap();
/// assert_eq!(s.location, Location::S3 { bucket: "team-bucket".into(), key: "plugins/x.tar.gz".into() });
///
/// let hex = "ab".repeat(32);
/// let s = Source::parse(&format!("https://h/p/a.tgz?X-Sig=1&checksum=sha256:{hex}"), Path::new("/")).unwrap();
/// assert_eq!(s.options.checksum, Some(Checksum::Sha256(hex)));
/// assert_eq!(s.file_name(), "a.tgz");
///
/// let s = Source::parse("../dist/optimus-plugin-bq.yaml", Path::new("/etc/optimus")).unwrap();
/// assert_eq!(s.location, Location::Local { path: "/etc/dist/optimus-plugin-bq.yaml".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where the bytes are.
    pub location: Location,
    /// Go-getter options.
    pub options: SourceOptions,
    display: String,
}

const OPTION_KEYS: [&str; 3] = ["checksum", "archive", "filename"];

impl Source {
    /// Parses a source: `https://`, `http://`, `gs://`, `s3://`, `az://`,
    /// `file://` URLs, or a plain path (relative ones resolve against
    /// `base_dir`, the config file's directory).
    ///
    /// ```
    /// use plugin_repo::{Location, Source};
    /// let s = Source::parse("file:///opt/plugins/x.tar.gz", "/etc".as_ref())?;
    /// assert_eq!(s.location, Location::Local { path: "/opt/plugins/x.tar.gz".into() });
    /// assert!(Source::parse("ftp://host/x.tar.gz", "/".as_ref()).is_err());
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn parse(raw: &str, base_dir: &Path) -> Result<Source, RepoError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(RepoError::Config(ConfigError::EmptySource));
        }
        // go-getter's forced getter prefix, e.g. `s3::https://...`: not supported.
        let scheme = trimmed
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            None => Self::parse_plain_path(trimmed, base_dir),
            Some("http" | "https" | "gs" | "s3" | "az" | "file") => {
                Self::parse_url(trimmed, base_dir)
            }
            Some(other) => Err(RepoError::source_config(
                &redact_raw(trimmed),
                SourceProblem::UnsupportedScheme(other.to_owned()),
            )),
        }
    }

    fn parse_plain_path(raw: &str, base_dir: &Path) -> Result<Source, RepoError> {
        // A query on a plain path counts only when it holds go-getter options.
        let (path_part, options) = match raw.rsplit_once('?') {
            Some((p, q))
                if q.split('&')
                    .all(|kv| OPTION_KEYS.contains(&kv.split_once('=').map_or(kv, |(k, _)| k))) =>
            {
                let pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                (p, parse_options(raw, pairs)?.0)
            }
            _ => (raw, SourceOptions::default()),
        };
        let path = Path::new(path_part);
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            base_dir.join(path)
        };
        Ok(Source {
            display: path_part.to_owned(),
            location: Location::Local {
                path: normalize(&full),
            },
            options,
        })
    }

    fn parse_url(raw: &str, base_dir: &Path) -> Result<Source, RepoError> {
        let shown = redact_raw(raw);
        let mut url = Url::parse(raw)
            .map_err(|e| RepoError::source_config(&shown, SourceProblem::InvalidUrl(e)))?;
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let (options, rest) = parse_options(&shown, pairs)?;
        if rest.is_empty() {
            url.set_query(None);
        } else {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(rest.iter())
                .finish();
            // Keep the original encoding when nothing was removed (presigned
            // URLs are signed over their exact query).
            let original = url.query().unwrap_or("").to_owned();
            let removed_any = url.query_pairs().count() != rest.len();
            url.set_query(Some(if removed_any { &q } else { &original }));
        }
        let host = url.host_str().unwrap_or("").to_owned();
        let key = || -> String {
            percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
                .decode_utf8_lossy()
                .into_owned()
        };
        let need_key = |k: &str| -> Result<(), RepoError> {
            if k.is_empty() || k.ends_with('/') && k.len() == 1 {
                return Err(RepoError::source_config(
                    &shown,
                    SourceProblem::NoObjectPath,
                ));
            }
            Ok(())
        };
        let location = match url.scheme() {
            "http" | "https" => {
                if host.is_empty() {
                    return Err(RepoError::source_config(&shown, SourceProblem::NoHost));
                }
                Location::Http { url: url.clone() }
            }
            "gs" | "s3" => {
                if host.is_empty() {
                    return Err(RepoError::source_config(&shown, SourceProblem::NoBucket));
                }
                let k = key();
                need_key(&k)?;
                if url.scheme() == "gs" {
                    Location::Gcs {
                        bucket: host,
                        key: k,
                    }
                } else {
                    Location::S3 {
                        bucket: host,
                        key: k,
                    }
                }
            }
            "az" => {
                let container = if url.username().is_empty() {
                    host.clone()
                } else {
                    url.username().to_owned()
                };
                let account = (!url.username().is_empty()).then(|| host.clone());
                if container.is_empty() {
                    return Err(RepoError::source_config(&shown, SourceProblem::NoContainer));
                }
                let k = key();
                need_key(&k)?;
                Location::Azure {
                    account,
                    container,
                    key: k,
                }
            }
            "file" => {
                // file:///abs/path, or file://./rel as go-getter allows.
                let path = if host.is_empty() || host == "localhost" {
                    url.to_file_path().map_err(|()| {
                        RepoError::source_config(&shown, SourceProblem::NotAFilePath)
                    })?
                } else {
                    let rest = raw
                        .split_once("://")
                        .map_or(raw, |(_, r)| r)
                        .split('?')
                        .next()
                        .unwrap_or_default();
                    base_dir.join(rest)
                };
                Location::Local {
                    path: normalize(&path),
                }
            }
            _ => unreachable!("scheme checked by the caller"),
        };
        let display = match &location {
            Location::Http { url } => redacted_url(url),
            Location::Azure {
                account: Some(account),
                container,
                key,
            } => format!("az://{container}@{account}/{key}"),
            _ => shown,
        };
        Ok(Source {
            location,
            options,
            display,
        })
    }

    /// The path to pass to the provider built by [`Source::provider`]: the
    /// object key for buckets, the file name for local files and URLs.
    ///
    /// ```
    /// let s = plugin_repo::Source::parse("s3://bucket/plugins/x.tar.gz", "/".as_ref())?;
    /// assert_eq!(s.path(), "plugins/x.tar.gz");
    /// let s = plugin_repo::Source::parse("/dist/x.tar.gz", "/".as_ref())?;
    /// assert_eq!(s.path(), "x.tar.gz");
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn path(&self) -> &str {
        match &self.location {
            Location::Gcs { key, .. } | Location::S3 { key, .. } | Location::Azure { key, .. } => {
                key
            }
            Location::Http { .. } | Location::Local { .. } => self.last_segment(),
        }
    }

    fn last_segment(&self) -> &str {
        match &self.location {
            Location::Http { url } => url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or(""),
            Location::Local { path } => path.file_name().and_then(|s| s.to_str()).unwrap_or(""),
            Location::Gcs { key, .. } | Location::S3 { key, .. } | Location::Azure { key, .. } => {
                key.rsplit('/').next().unwrap_or(key)
            }
        }
    }

    /// The name to install the artifact under: `?filename=` or the last
    /// path segment (percent-decoded).
    ///
    /// ```
    /// let s = plugin_repo::Source::parse("https://h/a%20b.tgz", "/".as_ref())?;
    /// assert_eq!(s.file_name(), "a b.tgz");
    /// let s = plugin_repo::Source::parse("https://h/a.tgz?filename=b.tgz", "/".as_ref())?;
    /// assert_eq!(s.file_name(), "b.tgz");
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn file_name(&self) -> String {
        if let Some(f) = &self.options.filename {
            return f.clone();
        }
        let seg = self.last_segment();
        percent_encoding::percent_decode_str(seg)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// The source as shown in messages: no password, no query string.
    ///
    /// ```
    /// let s = plugin_repo::Source::parse("https://user:hunter2@h/a.tgz?X-Sig=abc", "/".as_ref())?;
    /// assert!(!s.display_name().contains("hunter2"));
    /// assert!(!s.display_name().contains("X-Sig"));
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn display_name(&self) -> &str {
        &self.display
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

type Pairs = Vec<(String, String)>;

fn parse_options(shown: &str, pairs: Pairs) -> Result<(SourceOptions, Pairs), RepoError> {
    let mut options = SourceOptions::default();
    let mut rest = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "checksum" => {
                let (algo, hex) = v.split_once(':').ok_or_else(|| {
                    RepoError::source_config(shown, SourceProblem::ChecksumFormat)
                })?;
                if !algo.eq_ignore_ascii_case("sha256") {
                    return Err(RepoError::source_config(
                        shown,
                        SourceProblem::ChecksumType(algo.to_owned()),
                    ));
                }
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(RepoError::source_config(
                        shown,
                        SourceProblem::ChecksumDigits(hex.to_owned()),
                    ));
                }
                options.checksum = Some(Checksum::Sha256(hex.to_ascii_lowercase()));
            }
            "archive" => {
                options.archive = Some(match v.to_ascii_lowercase().as_str() {
                    "false" => ArchiveOption::Disabled,
                    "" | "true" => ArchiveOption::Auto,
                    "tar.gz" | "tgz" | "tar" | "zip" => {
                        ArchiveOption::Format(v.to_ascii_lowercase())
                    }
                    other => {
                        return Err(RepoError::source_config(
                            shown,
                            SourceProblem::Archive(other.to_owned()),
                        ));
                    }
                });
            }
            "filename" => {
                if v.is_empty() || v.contains('/') || v.contains('\\') || v == "." || v == ".." {
                    return Err(RepoError::source_config(shown, SourceProblem::Filename(v)));
                }
                options.filename = Some(v);
            }
            _ => rest.push((k, v)),
        }
    }
    Ok((options, rest))
}

/// Lexically removes `.` and `..` components.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A URL as shown in messages: no user info, no query, no fragment.
pub(crate) fn redacted_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Best-effort redaction of a raw source string (it may not parse).
fn redact_raw(raw: &str) -> String {
    let no_query = raw.split(['?', '#']).next().unwrap_or(raw);
    match no_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if path.is_empty() && !rest.contains('/') {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => no_query.to_owned(),
    }
}
