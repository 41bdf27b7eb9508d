//! The local-folder provider (`type: local`, `file://` and plain paths):
//! files under one root folder, read with tokio's file API. Always built,
//! with no object-store dependency, so a binary without the cloud features
//! still reads local sources.
//!
//! It keeps the metadata the object-store version gave, so receipts written
//! by either agree: the ETag is `"<inode>-<mtime µs>-<size>"` in hex and the
//! modification time is RFC 3339 with a `+00:00` offset. Symlinks are
//! followed; a key may not hold empty, `.` or `..` segments.

use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::config::LocalConfig;
use crate::error::Cause;
use crate::resume::{self, Failure, Opened, Opener, Policy, Target};
use crate::{ArtifactMeta, Fetched, ListedObject, Provider, ProviderContext, RepoError};

/// Bytes read from the file per chunk of the body.
const CHUNK: usize = 64 << 10;

/// A folder on this machine.
#[derive(Clone)]
pub(crate) struct LocalProvider {
    name: String,
    /// The folder, symlinks resolved when the provider was built.
    root: PathBuf,
    policy: Policy,
}

impl fmt::Debug for LocalProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalProvider")
            .field("name", &self.name)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// The provider for folder `c.path` (relative to the config folder).
pub(crate) fn build(
    name: &str,
    c: &LocalConfig,
    ctx: &ProviderContext,
) -> Result<Arc<LocalProvider>, RepoError> {
    let config_err = |msg: String| RepoError::provider_config(name, msg);
    let root = ctx.resolve_path(&c.path);
    if !root.is_dir() {
        return Err(config_err(format!(
            "path {} is not a folder",
            root.display()
        )));
    }
    let root = std::fs::canonicalize(&root)
        .map_err(|e| config_err(format!("path {}: cannot resolve it: {e}", root.display())))?;
    Ok(Arc::new(LocalProvider {
        name: name.to_owned(),
        root,
        policy: Policy::from_ctx(ctx),
    }))
}

impl LocalProvider {
    /// The file or folder a key names; a key with an empty, `.` or `..`
    /// segment or a control character is a configuration error.
    fn file(&self, path: &str) -> Result<PathBuf, RepoError> {
        let key = path.trim_start_matches('/');
        let key = key.strip_suffix('/').unwrap_or(key);
        let mut out = self.root.clone();
        if key.is_empty() {
            return Ok(out);
        }
        for segment in key.split('/') {
            let problem = if segment.is_empty() {
                Some("it has an empty segment".to_owned())
            } else if segment == "." || segment == ".." {
                Some(format!("segment {segment:?} is not allowed"))
            } else if segment.chars().any(|c| c.is_ascii_control()) {
                Some(format!("segment {segment:?} holds a control character"))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(RepoError::provider_config(
                    &self.name,
                    format!("invalid path {path:?}: {problem}"),
                ));
            }
            out.push(segment);
        }
        Ok(out)
    }

    fn target(&self, path: &str) -> Target {
        Target {
            provider: self.name.clone(),
            path: path.to_owned(),
        }
    }

    fn not_found(&self, path: &str) -> Failure {
        Failure::Fatal(RepoError::NotFound {
            provider: self.name.clone(),
            path: path.to_owned(),
            status: String::new(),
        })
    }

    /// A file error: "not found" for a missing file, final otherwise (no
    /// retry helps a local disk).
    fn io_failure(&self, path: &str, doing: &str, file: &Path, e: &std::io::Error) -> Failure {
        if e.kind() == std::io::ErrorKind::NotFound {
            return self.not_found(path);
        }
        Failure::Fatal(RepoError::Other {
            provider: self.name.clone(),
            path: path.to_owned(),
            cause: Cause::Io(std::io::Error::new(
                e.kind(),
                format!("cannot {doing} {}: {e}", file.display()),
            )),
        })
    }

    /// Opens a regular file (a folder is "not found", as in object stores).
    async fn open_file(
        &self,
        path: &str,
        file: &Path,
    ) -> Result<(tokio::fs::File, ArtifactMeta), Failure> {
        let f = tokio::fs::File::open(file)
            .await
            .map_err(|e| self.io_failure(path, "open", file, &e))?;
        let md = f
            .metadata()
            .await
            .map_err(|e| self.io_failure(path, "read the metadata of", file, &e))?;
        if md.is_dir() {
            return Err(self.not_found(path));
        }
        Ok((f, meta_of(&md)))
    }
}

/// Size, ETag and modification time, in the object-store provider's format.
fn meta_of(md: &std::fs::Metadata) -> ArtifactMeta {
    let mtime = md.modified().ok();
    ArtifactMeta {
        size: Some(md.len()),
        etag: Some(etag(md, mtime)),
        version: None,
        last_modified: mtime.and_then(rfc3339),
    }
}

/// `"<inode>-<mtime in µs>-<size>"` in hex, as Apache and object_store
/// build it.
fn etag(md: &std::fs::Metadata, mtime: Option<SystemTime>) -> String {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(md);
    #[cfg(not(unix))]
    let inode = 0u64;
    let micros = mtime
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default()
        .as_micros();
    format!("\"{inode:x}-{micros:x}-{:x}\"", md.len())
}

/// RFC 3339 in UTC with `+00:00` and 0, 3, 6 or 9 fraction digits (the
/// fewest that hold the value).
fn rfc3339(t: SystemTime) -> Option<String> {
    let ts = jiff::Timestamp::try_from(t).ok()?;
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let nanos = dt.subsec_nanosecond();
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    Some(format!(
        "{}{fraction}+00:00",
        dt.strftime("%Y-%m-%dT%H:%M:%S")
    ))
}

struct FileOpener {
    provider: LocalProvider,
    path: String,
    file: PathBuf,
}

#[async_trait::async_trait]
impl Opener for FileOpener {
    async fn open(&self, offset: u64, etag: Option<&str>) -> Result<Opened, Failure> {
        let p = &self.provider;
        let (mut f, meta) = p.open_file(&self.path, &self.file).await?;
        if offset > 0 {
            // The rest of the same version only (If-Match, as stores do).
            if let (Some(want), Some(got)) = (etag, meta.etag.as_deref())
                && want != got
            {
                return Err(Failure::Fatal(resume::changed_error(&p.target(&self.path))));
            }
            if meta.size.is_some_and(|size| offset > size) {
                return Err(Failure::Fatal(resume::changed_error(&p.target(&self.path))));
            }
            f.seek(SeekFrom::Start(offset))
                .await
                .map_err(|e| p.io_failure(&self.path, "seek in", &self.file, &e))?;
        }
        let state = (f, p.clone(), self.path.clone(), self.file.clone());
        let body = futures::stream::try_unfold(state, |(mut f, p, path, file)| async move {
            let mut buf = vec![0u8; CHUNK];
            let n = f
                .read(&mut buf)
                .await
                .map_err(|e| p.io_failure(&path, "read", &file, &e))?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), (f, p, path, file))))
        })
        .boxed();
        Ok(Opened {
            meta,
            skip: 0,
            body,
        })
    }
}

#[async_trait::async_trait]
impl Provider for LocalProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn head(&self, path: &str) -> Result<ArtifactMeta, RepoError> {
        let file = self.file(path)?;
        resume::with_retries(&self.policy, &self.target(path), || async {
            self.open_file(path, &file).await.map(|(_, meta)| meta)
        })
        .await
    }

    async fn get(&self, path: &str) -> Result<Fetched, RepoError> {
        let file = self.file(path)?;
        let opener = Arc::new(FileOpener {
            provider: self.clone(),
            path: path.to_owned(),
            file,
        });
        resume::resumable_get(opener, self.policy, self.target(path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, RepoError> {
        let dir = self.file(prefix.trim_matches('/'))?;
        let root = self.root.clone();
        let p = self.clone();
        resume::with_retries(&self.policy, &self.target(prefix), || {
            let (dir, root, p) = (dir.clone(), root.clone(), p.clone());
            async move {
                let walked = tokio::task::spawn_blocking(move || walk(&root, &dir)).await;
                let fail = |detail: String| {
                    Failure::Fatal(RepoError::Other {
                        provider: p.name.clone(),
                        path: prefix.to_owned(),
                        cause: Cause::Io(std::io::Error::other(detail)),
                    })
                };
                match walked {
                    Ok(Ok(mut out)) => {
                        out.sort_by(|a, b| a.path.cmp(&b.path));
                        Ok(out)
                    }
                    Ok(Err(detail)) => Err(fail(detail)),
                    Err(e) => Err(fail(format!("listing stopped: {e}"))),
                }
            }
        })
        .await
    }
}

/// Every file under `dir` (following symlinks, skipping broken ones), with
/// its path relative to `root`. A missing `dir` lists nothing.
fn walk(root: &Path, dir: &Path) -> Result<Vec<ListedObject>, String> {
    let mut out = Vec::new();
    let mut ancestors = Vec::new();
    walk_into(root, dir, &mut ancestors, &mut out)?;
    Ok(out)
}

fn walk_into(
    root: &Path,
    dir: &Path,
    ancestors: &mut Vec<PathBuf>,
    out: &mut Vec<ListedObject>,
) -> Result<(), String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        // A prefix that names a file lists nothing, as in object stores.
        Err(_) if dir.is_file() => return Ok(()),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    let real = std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if ancestors.contains(&real) {
        return Err(format!("{} links back to a folder above it", dir.display()));
    }
    ancestors.push(real);
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        // Follows symlinks; a broken one (or a file gone meanwhile) is skipped.
        let md = match std::fs::metadata(&path) {
            Ok(md) => md,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if md.is_dir() {
            walk_into(root, &path, ancestors, out)?;
        } else if md.is_file() {
            out.push(ListedObject {
                path: key_of(root, &path)?,
                size: md.len(),
            });
        }
    }
    ancestors.pop();
    Ok(())
}

/// `file` relative to `root`, `/`-separated.
fn key_of(root: &Path, file: &Path) -> Result<String, String> {
    let rel = file
        .strip_prefix(root)
        .map_err(|_| format!("{} is outside {}", file.display(), root.display()))?;
    let mut parts = Vec::new();
    for c in rel.components() {
        let s = c
            .as_os_str()
            .to_str()
            .ok_or_else(|| format!("the name {} is not UTF-8", file.display()))?;
        parts.push(s);
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::RetrySettings;

    fn provider(dir: &Path) -> Arc<LocalProvider> {
        std::fs::create_dir_all(dir.join("repo")).unwrap();
        let c = LocalConfig {
            path: "repo".into(),
        };
        build("dev", &c, &ProviderContext::new(dir)).unwrap()
    }

    async fn read_all(f: Fetched) -> Result<Vec<u8>, RepoError> {
        let mut out = Vec::new();
        let mut body = f.body;
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[test]
    fn the_modification_time_reads_as_the_object_store_provider_wrote_it() {
        let at = |secs: u64, nanos: u32| {
            rfc3339(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)).unwrap()
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(at(1, 500_000_000), "1970-01-01T00:00:01.500+00:00");
        assert_eq!(at(86_400, 1_000), "1970-01-02T00:00:00.000001+00:00");
        assert_eq!(at(1_764_547_200, 7), "2025-12-01T00:00:00.000000007+00:00");
    }

    #[tokio::test]
    async fn files_stream_whole_and_head_agrees_with_get() {
        let dir = tempfile::tempdir().unwrap();
        let p = provider(dir.path());
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::create_dir(dir.path().join("repo/sub")).unwrap();
        std::fs::write(dir.path().join("repo/sub/a.bin"), &data).unwrap();

        let head = p.head("sub/a.bin").await.unwrap();
        assert_eq!(head.size, Some(200_000));
        let etag = head.etag.clone().unwrap();
        assert!(
            etag.starts_with('"') && etag.ends_with("-30d40\""),
            "{etag}"
        );
        assert!(head.last_modified.unwrap().ends_with("+00:00"));

        let fetched = p.get("/sub/a.bin").await.unwrap();
        assert_eq!(fetched.meta.etag.as_deref(), Some(etag.as_str()));
        assert_eq!(read_all(fetched).await.unwrap(), data);
    }

    #[tokio::test]
    async fn a_resume_reads_the_rest_of_the_same_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = provider(dir.path());
        let file = dir.path().join("repo/a.bin");
        std::fs::write(&file, b"0123456789").unwrap();
        let opener = FileOpener {
            provider: (*p).clone(),
            path: "a.bin".into(),
            file: file.clone(),
        };
        let first = opener.open(0, None).await.unwrap();
        let etag = first.meta.etag.clone().unwrap();
        let rest = opener.open(4, Some(&etag)).await.unwrap();
        let mut body = rest.body;
        let mut got = Vec::new();
        while let Some(chunk) = body.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(got, b"456789");

        let end = opener.open(10, Some(&etag)).await.unwrap();
        assert_eq!(end.body.count().await, 0, "nothing left at the end");

        match opener.open(4, Some("\"other\"")).await {
            Err(Failure::Fatal(e)) => assert!(e.to_string().contains("changed"), "{e}"),
            other => panic!("expected a changed-file error, got {:?}", other.err()),
        }
    }

    #[tokio::test]
    async fn missing_files_and_folders_are_not_found_and_bad_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = provider(dir.path());
        std::fs::create_dir(dir.path().join("repo/folder")).unwrap();
        for key in ["nope.bin", "folder", "folder/"] {
            let e = p.get(key).await.unwrap_err();
            assert!(e.is_not_found(), "{key}: {e}");
            assert_eq!(e.to_string(), format!("dev: {key} not found"));
            assert!(p.head(key).await.unwrap_err().is_not_found(), "{key}");
        }
        for key in ["a//b", "../repo/x", "a/./b", "a\nb"] {
            let e = p.get(key).await.unwrap_err();
            assert!(matches!(e, RepoError::Config(_)), "{key}: {e:?}");
            assert!(e.to_string().contains("invalid path"), "{e}");
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn an_unreadable_file_fails_once_with_its_reason() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = provider(dir.path());
        let file = dir.path().join("repo/secret.bin");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&file).is_ok() {
            eprintln!("running as root: the unreadable-file case cannot be set up");
            return;
        }
        let e = p.get("secret.bin").await.unwrap_err();
        assert!(matches!(e, RepoError::Other { .. }), "{e:?}");
        assert!(e.to_string().contains("cannot open"), "{e}");
    }

    #[tokio::test]
    async fn listing_walks_folders_and_symlinks_sorted_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = provider(dir.path()).as_ref().clone();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("d/sub")).unwrap();
        std::fs::write(repo.join("d/b.txt"), "bb").unwrap();
        std::fs::write(repo.join("d/sub/a.txt"), "a").unwrap();
        std::fs::write(repo.join("top.txt"), "top").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(repo.join("top.txt"), repo.join("d/link.txt")).unwrap();
            std::os::unix::fs::symlink(repo.join("gone"), repo.join("d/broken")).unwrap();
        }
        let got: Vec<(String, u64)> = p
            .list("d/")
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.path, o.size))
            .collect();
        let mut want = vec![("d/b.txt".to_owned(), 2), ("d/sub/a.txt".to_owned(), 1)];
        if cfg!(unix) {
            want.insert(1, ("d/link.txt".to_owned(), 3));
        }
        assert_eq!(got, want);
        assert_eq!(p.list("").await.unwrap().len(), want.len() + 1);
        assert!(p.list("missing").await.unwrap().is_empty());
        assert!(p.list("top.txt").await.unwrap().is_empty());

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(repo.join("d"), repo.join("d/sub/loop")).unwrap();
            let e = p.list("d").await.unwrap_err();
            assert!(e.to_string().contains("links back"), "{e}");
        }
    }

    #[tokio::test]
    async fn a_file_cut_short_while_reading_is_reported_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ProviderContext::new(dir.path()).with_retry(RetrySettings {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            deadline: Duration::from_millis(500),
        });
        std::fs::create_dir(dir.path().join("repo")).unwrap();
        let p = build(
            "dev",
            &LocalConfig {
                path: "repo".into(),
            },
            &ctx,
        )
        .unwrap();
        let file = dir.path().join("repo/a.bin");
        std::fs::write(&file, vec![7u8; 3 * CHUNK]).unwrap();
        let mut fetched = p.get("a.bin").await.unwrap();
        let first = fetched.body.next().await.unwrap().unwrap();
        assert_eq!(first.len(), CHUNK);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .unwrap()
            .set_len(CHUNK as u64 + 10)
            .unwrap();
        let mut last = None;
        while let Some(chunk) = fetched.body.next().await {
            if let Err(e) = chunk {
                last = Some(e);
            }
        }
        let e = last.expect("a shortened file must not read as complete");
        assert!(e.to_string().contains("changed"), "{e}");
    }
}
