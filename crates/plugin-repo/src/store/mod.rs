//! Object-store providers: gcs, s3 and azure, each when its cargo feature
//! is on (object_store builders, never `parse_url_opts`, which drops
//! unknown keys silently). This module holds the provider and its error
//! mapping; each store's builder is a module. Local folders are
//! `crate::local`, which needs no object store.

#[cfg(feature = "azure")]
mod azure;
#[cfg(feature = "gcs")]
mod gcs;
mod options;
#[cfg(feature = "s3")]
mod s3;

#[cfg(feature = "azure")]
pub(crate) use azure::build_azure;
#[cfg(feature = "gcs")]
pub(crate) use gcs::build_gcs;
#[cfg(feature = "s3")]
pub(crate) use s3::build_s3;

use std::fmt;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

use crate::error::{Cause, StoreError};
use crate::resume::{self, Failure, Opened, Opener, Policy, Target};
use crate::{ArtifactMeta, Fetched, ListedObject, Provider, RepoError};

/// A bucket, container or folder.
#[derive(Clone)]
pub(crate) struct StoreProvider {
    name: String,
    kind: &'static str,
    store: Arc<dyn ObjectStore>,
    /// Folder inside the bucket, without leading/trailing `/`; may be empty.
    prefix: String,
    policy: Policy,
    /// Whether unclassified store errors are worth retrying (network stores
    /// yes, local files no).
    network: bool,
}

impl fmt::Debug for StoreProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreProvider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl StoreProvider {
    fn key(&self, path: &str) -> Result<StorePath, RepoError> {
        let p = path.trim_start_matches('/');
        let full = if self.prefix.is_empty() {
            p.to_owned()
        } else if p.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}/{p}", self.prefix)
        };
        StorePath::parse(&full).map_err(|e| {
            RepoError::provider_config(&self.name, format!("invalid path {path:?}: {e}"))
        })
    }

    fn target(&self, path: &str) -> Target {
        Target {
            provider: self.name.clone(),
            path: path.to_owned(),
        }
    }

    fn failure(&self, path: &str, e: object_store::Error) -> Failure {
        use object_store::Error as E;
        let store = |refused_by, status, e| Cause::Store {
            refused_by,
            status,
            source: StoreError::new(e),
        };
        match e {
            E::NotFound { .. } => Failure::Fatal(RepoError::NotFound {
                provider: self.name.clone(),
                path: path.to_owned(),
                status: String::new(),
            }),
            E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
                let status = status_of(&e);
                Failure::Fatal(RepoError::Denied {
                    provider: self.name.clone(),
                    path: path.to_owned(),
                    cause: store(Some(self.kind), status, e),
                })
            }
            E::Precondition { .. } => Failure::Fatal(resume::changed_error(&self.target(path))),
            E::Generic { ref source, .. } => {
                let status = retry_status(source.as_ref());
                match status {
                    Some(404) => Failure::Fatal(RepoError::NotFound {
                        provider: self.name.clone(),
                        path: path.to_owned(),
                        status: " (HTTP 404)".into(),
                    }),
                    Some(c @ (401 | 403)) => Failure::Fatal(RepoError::Denied {
                        provider: self.name.clone(),
                        path: path.to_owned(),
                        cause: store(None, Some(c), e),
                    }),
                    Some(c) if !crate::retry::is_transient_status(c) => {
                        Failure::Fatal(RepoError::Other {
                            provider: self.name.clone(),
                            path: path.to_owned(),
                            cause: store(None, Some(c), e),
                        })
                    }
                    _ if self.network => Failure::transient(short_error(&e)),
                    _ => Failure::Fatal(RepoError::Other {
                        provider: self.name.clone(),
                        path: path.to_owned(),
                        cause: store(None, None, e),
                    }),
                }
            }
            _ => Failure::Fatal(RepoError::Other {
                provider: self.name.clone(),
                path: path.to_owned(),
                cause: store(None, None, e),
            }),
        }
    }
}

/// The HTTP status inside an object_store error, if it came from a
/// response (object_store's retry error type is private: read its message).
fn retry_status(source: &(dyn std::error::Error + 'static)) -> Option<u16> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(source);
    while let Some(e) = cur {
        let text = e.to_string();
        if let Some((_, rest)) = text.split_once("status code: ") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(code) = digits.parse() {
                return Some(code);
            }
        }
        cur = e.source();
    }
    None
}

fn status_of(e: &object_store::Error) -> Option<u16> {
    use std::error::Error as _;
    e.source().and_then(retry_status)
}

/// An object_store error without request URLs (they may carry a SAS query).
pub(crate) fn short_error(e: &object_store::Error) -> String {
    use std::error::Error as _;
    let mut parts = vec![strip_urls(&e.to_string())];
    let mut src = e.source();
    while let Some(s) = src {
        let t = strip_urls(&s.to_string());
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// Removes query strings from URLs quoted in a message.
fn strip_urls(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for word in msg.split_inclusive(char::is_whitespace) {
        if (word.contains("://") || word.contains("http")) && word.contains('?') {
            let (head, _) = word.split_once('?').unwrap_or((word, ""));
            out.push_str(head);
            if word.ends_with(char::is_whitespace) {
                out.push(' ');
            }
        } else {
            out.push_str(word);
        }
    }
    out
}

fn meta_of(m: &object_store::ObjectMeta) -> ArtifactMeta {
    ArtifactMeta {
        size: Some(m.size),
        etag: m.e_tag.clone(),
        version: m.version.clone(),
        last_modified: Some(m.last_modified.to_rfc3339()),
    }
}

struct StoreOpener {
    provider: StoreProvider,
    path: String,
    key: StorePath,
}

#[async_trait::async_trait]
impl Opener for StoreOpener {
    async fn open(&self, offset: u64, etag: Option<&str>) -> Result<Opened, Failure> {
        let p = self.provider.clone();
        let opts = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            if_match: if offset > 0 {
                etag.map(str::to_owned)
            } else {
                None
            },
            ..GetOptions::default()
        };
        let res = p
            .store
            .get_opts(&self.key, opts)
            .await
            .map_err(|e| p.failure(&self.path, e))?;
        if res.range.start != offset {
            return Err(Failure::transient("store answered with a different range"));
        }
        let meta = meta_of(&res.meta);
        let path = self.path.clone();
        let body = res
            .into_stream()
            .map(move |r| r.map_err(|e| p.failure(&path, e)))
            .boxed();
        Ok(Opened {
            meta,
            skip: 0,
            body,
        })
    }
}

#[async_trait::async_trait]
impl Provider for StoreProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn head(&self, path: &str) -> Result<ArtifactMeta, RepoError> {
        let key = self.key(path)?;
        resume::with_retries(&self.policy, &self.target(path), || async {
            self.store
                .head(&key)
                .await
                .map(|m| meta_of(&m))
                .map_err(|e| self.failure(path, e))
        })
        .await
    }

    async fn get(&self, path: &str) -> Result<Fetched, RepoError> {
        let key = self.key(path)?;
        let opener = Arc::new(StoreOpener {
            provider: self.clone(),
            path: path.to_owned(),
            key,
        });
        resume::resumable_get(opener, self.policy, self.target(path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, RepoError> {
        let trimmed = prefix.trim_matches('/');
        let key = if trimmed.is_empty() && self.prefix.is_empty() {
            None
        } else {
            Some(self.key(trimmed)?)
        };
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let objects: Vec<object_store::ObjectMeta> =
            resume::with_retries(&self.policy, &self.target(prefix), || async {
                self.store
                    .list(key.as_ref())
                    .try_collect::<Vec<_>>()
                    .await
                    .map_err(|e| self.failure(prefix, e))
            })
            .await?;
        let mut out: Vec<ListedObject> = objects
            .into_iter()
            .filter_map(|m| {
                let full = m.location.to_string();
                full.strip_prefix(&strip).map(|p| ListedObject {
                    path: p.to_owned(),
                    size: m.size,
                })
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}
