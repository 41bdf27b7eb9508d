//! The fetch step: unchanged artifacts hard-linked from the current set,
//! changed ones downloaded, verified and unpacked into the staging folder,
//! `jobs` at a time. An artifact installed again because its files drifted
//! is unpacked from the artifact cache (the `cache` module) when its bytes are there
//! and still hash right.

mod cache;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use plugin_repo::ByteStream;
use plugin_repo::error::Cause;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::plan::Installed;
use super::{Event, InstallReport, Reporter};
use crate::config::ManagerConfig;
use crate::error::{Error, Result};
use crate::extract::{Limits, SetBuilder};
use crate::fetch::{StreamReader, UnpackJob, unpack};
use crate::layout::Layout;
use crate::plan::Action;
use crate::receipt::{ArtifactReceipt, Receipts, now_rfc3339};
use crate::resolve::Artifact;
use cache::ArtifactCache;

/// What [`fetch_set`] works from.
pub struct FetchInput<'a> {
    /// The config (limits).
    pub cfg: &'a ManagerConfig,
    /// The artifacts, in config order.
    pub artifacts: &'a [Artifact],
    /// The set installed now.
    pub installed: &'a Installed,
    /// Its receipts (stats refreshed by the plan).
    pub receipts: Option<&'a Receipts>,
    /// Sources installed again because their files drifted.
    pub drifted: &'a HashSet<String>,
    /// Where the sets live.
    pub layout: &'a Layout,
    /// The set being built.
    pub set: &'a Arc<SetBuilder>,
    /// Downloads at once.
    pub jobs: usize,
    /// Progress.
    pub reporter: &'a Arc<dyn Reporter>,
    /// Stops every download when cancelled.
    pub cancel: &'a CancellationToken,
}

/// Fills the staging set: links the files of unchanged artifacts, fetches
/// the changed ones (recorded in `report.downloaded`) and marks as
/// unchanged in `report.plan` those whose bytes turned out equal to the
/// installed ones. Returns the receipt of every artifact, by source.
pub async fn fetch_set(
    input: FetchInput<'_>,
    report: &mut InstallReport,
) -> Result<HashMap<String, ArtifactReceipt>> {
    let FetchInput {
        cfg,
        artifacts,
        installed,
        receipts,
        drifted,
        layout,
        set,
        jobs,
        reporter,
        cancel,
    } = input;
    let current_dir = &installed.dir;
    let tmp = layout.temp_dir()?;
    // Unchanged artifacts: hard-link their files from the current set.
    let mut receipts_by_key: HashMap<String, ArtifactReceipt> = HashMap::new();
    for (a, item) in artifacts.iter().zip(&report.plan.items) {
        if item.action == Action::Unchanged
            && let (Some(dir), Some(r)) = (&current_dir, receipts.and_then(|r| r.artifact(&a.key)))
        {
            for f in &r.files {
                set.link_from(dir, f, &a.key)?;
            }
            receipts_by_key.insert(a.key.clone(), r.clone());
        }
    }

    // Changed artifacts: fetch, verify and unpack, `jobs` at a time. The
    // first failure cancels the others (a child token: the caller's stays
    // as it was).
    let cancel = cancel.child_token();
    let to_fetch: Vec<&Artifact> = artifacts
        .iter()
        .zip(&report.plan.items)
        .filter(|(_, i)| matches!(i.action, Action::Add | Action::Update))
        .map(|(a, _)| a)
        .collect();
    let limits = Arc::new(cfg.limits.clone());
    let tmp_path: Arc<Path> = Arc::from(tmp.path());
    let cache = Arc::new(ArtifactCache::new(layout));
    let mut results = futures::stream::iter(to_fetch.iter().map(|a| {
        // A drifted artifact is the one its receipt names (the plan found
        // the source unchanged): its cached bytes will do.
        let reuse = receipts
            .filter(|_| drifted.contains(&a.key))
            .and_then(|r| r.artifact(&a.key))
            .filter(|r| r.format == a.format)
            .filter(|r| a.pin.as_ref().is_none_or(|p| p.sha256 == r.sha256))
            .cloned();
        fetch_one(
            FetchJob {
                a: (*a).clone(),
                set: Arc::clone(set),
                limits: Arc::clone(&limits),
                tmp: Arc::clone(&tmp_path),
                cancel: cancel.clone(),
                reporter: Arc::clone(reporter),
                cache: Arc::clone(&cache),
            },
            reuse,
        )
    }))
    .buffer_unordered(jobs.max(1));
    let mut first_error = None;
    while let Some(res) = results.next().await {
        match res {
            Ok((r, from_cache)) => {
                if !from_cache {
                    report.downloaded.push(r.source.clone());
                }
                receipts_by_key.insert(r.source.clone(), r);
            }
            Err(e) => {
                cancel.cancel();
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    drop(results);
    if let Some(e) = first_error {
        return Err(e);
    }
    // Keep the new set's artifacts only.
    cache.retain(receipts_by_key.values().map(|r| r.sha256.as_str()));

    // Downloaded but byte-identical to the installed artifact: unchanged
    // (unless it is installed again because its files drifted).
    for item in &mut report.plan.items {
        if item.action == Action::Update && !drifted.contains(&item.source) {
            let old = receipts.and_then(|r| r.artifact(&item.source));
            let new = receipts_by_key.get(&item.source);
            if let (Some(old), Some(new)) = (old, new)
                && old.sha256 == new.sha256
                && old.format == new.format
            {
                item.action = Action::Unchanged;
                item.reason = "downloaded; same sha256 as installed".into();
            }
        }
    }
    Ok(receipts_by_key)
}

/// What one fetch works with.
struct FetchJob {
    a: Artifact,
    set: Arc<SetBuilder>,
    limits: Arc<Limits>,
    tmp: Arc<Path>,
    cancel: CancellationToken,
    reporter: Arc<dyn Reporter>,
    cache: Arc<ArtifactCache>,
}

/// Fetches, verifies and unpacks one artifact: from the cache when `reuse`
/// (its installed receipt) names bytes the cache holds intact, else from
/// its provider, keeping a copy in the cache. Returns its receipt and
/// whether it came from the cache.
async fn fetch_one(
    job: FetchJob,
    reuse: Option<ArtifactReceipt>,
) -> Result<(ArtifactReceipt, bool)> {
    let FetchJob {
        a,
        set,
        limits,
        tmp,
        cancel,
        reporter,
        cache,
    } = job;
    if cancel.is_cancelled() {
        return Err(Error::State("cancelled".into()));
    }
    let cached = match &reuse {
        Some(r) => {
            let (c, sha, size) = (Arc::clone(&cache), r.sha256.clone(), r.size);
            tokio::task::spawn_blocking(move || c.open_verified(&sha, size))
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    let (body, meta, from_cache) = if let (Some(file), Some(r)) = (cached, reuse) {
        tracing::info!(source = %a.key, sha256 = %r.sha256, "unpacking the artifact from the cache instead of downloading it");
        (file_stream(file, &r.sha256), r.meta, true)
    } else {
        let fetched = tokio::select! {
            () = cancel.cancelled() => return Err(Error::State("cancelled".into())),
            got = a.provider.get(&a.path) => got?,
        };
        (fetched.body, fetched.meta, false)
    };
    // A size known before the first byte (Content-Length, the object's
    // size) must fit beside the current set: fail before writing. Archives
    // grow when unpacked, so it is a lower bound.
    if let Some(size) = meta.size {
        safe_fs::space::ensure_room(set.root(), size, 1)?;
    }
    reporter.event(&Event::FetchStart {
        source: &a.key,
        size: meta.size,
    });
    let handle = tokio::runtime::Handle::current();
    let rep = Arc::clone(&reporter);
    let key = a.key.clone();
    let unpacked = tokio::task::spawn_blocking(move || {
        let on_bytes = |n: u64| {
            rep.event(&Event::FetchProgress {
                source: &key,
                bytes: n,
            });
        };
        let mut copy = if from_cache { None } else { cache.writer() };
        let mut reader = StreamReader::new(&handle, body, &cancel, &on_bytes);
        if let Some(w) = copy.as_mut() {
            reader = reader.tee(w);
        }
        let job = UnpackJob {
            artifact: &a.key,
            format: &a.format,
            pin: a.pin.as_ref(),
            limits: &limits,
            set: &set,
            tmp_dir: &tmp,
        };
        let u = unpack(&job, reader)?;
        if let Some(w) = copy {
            cache.keep(w, &u.sha256, u.size);
        }
        Ok::<_, Error>((u, a))
    })
    .await
    .map_err(|e| Error::State(format!("download task failed: {e}")))?;
    let (u, a) = unpacked?;
    reporter.event(&Event::FetchDone {
        source: &a.key,
        bytes: u.size,
        files: u.files.len(),
    });
    Ok((
        ArtifactReceipt {
            source: a.key,
            format: a.format,
            sha256: u.sha256,
            size: u.size,
            meta,
            installed_at: now_rfc3339(),
            files: u.files,
            plugins: Vec::new(),
        },
        from_cache,
    ))
}

/// A cached artifact's bytes as a stream, as a provider would send them.
fn file_stream(file: std::fs::File, sha256: &str) -> ByteStream {
    let name = sha256.to_owned();
    let file = tokio::fs::File::from_std(file);
    Box::pin(futures::stream::try_unfold(file, move |mut f| {
        let name = name.clone();
        async move {
            let mut buf = vec![0u8; 256 * 1024];
            let n = f
                .read(&mut buf)
                .await
                .map_err(|e| plugin_repo::RepoError::Other {
                    provider: "artifact cache".into(),
                    path: name,
                    cause: Cause::Io(e),
                })?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), f)))
        }
    }))
}
