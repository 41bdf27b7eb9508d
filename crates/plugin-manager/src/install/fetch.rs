//! The fetch step: unchanged artifacts hard-linked from the current set,
//! changed ones downloaded, verified and unpacked into the staging folder,
//! `jobs` at a time.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
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
    let mut results = futures::stream::iter(to_fetch.iter().map(|a| {
        fetch_one(
            (*a).clone(),
            Arc::clone(set),
            Arc::clone(&limits),
            Arc::clone(&tmp_path),
            cancel.clone(),
            Arc::clone(reporter),
        )
    }))
    .buffer_unordered(jobs.max(1));
    let mut first_error = None;
    while let Some(res) = results.next().await {
        match res {
            Ok(r) => {
                report.downloaded.push(r.source.clone());
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

async fn fetch_one(
    a: Artifact,
    set: Arc<SetBuilder>,
    limits: Arc<Limits>,
    tmp: Arc<Path>,
    cancel: CancellationToken,
    reporter: Arc<dyn Reporter>,
) -> Result<ArtifactReceipt> {
    let fetched = tokio::select! {
        () = cancel.cancelled() => return Err(Error::State("cancelled".into())),
        got = a.provider.get(&a.path) => got?,
    };
    // A size known before the first byte (Content-Length, the object's
    // size) must fit beside the current set: fail before writing. Archives
    // grow when unpacked, so it is a lower bound.
    if let Some(size) = fetched.meta.size {
        safe_fs::space::ensure_room(set.root(), size, 1)?;
    }
    reporter.event(&Event::FetchStart {
        source: &a.key,
        size: fetched.meta.size,
    });
    let meta = fetched.meta.clone();
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
        let reader = StreamReader::new(&handle, fetched.body, &cancel, &on_bytes);
        let job = UnpackJob {
            artifact: &a.key,
            format: &a.format,
            pin: a.pin.as_ref(),
            limits: &limits,
            set: &set,
            tmp_dir: &tmp,
        };
        unpack(&job, reader).map(|u| (u, a))
    })
    .await
    .map_err(|e| Error::State(format!("download task failed: {e}")))?;
    let (u, a) = unpacked?;
    reporter.event(&Event::FetchDone {
        source: &a.key,
        bytes: u.size,
        files: u.files.len(),
    });
    Ok(ArtifactReceipt {
        source: a.key,
        format: a.format,
        sha256: u.sha256,
        size: u.size,
        meta,
        installed_at: now_rfc3339(),
        files: u.files,
        plugins: Vec::new(),
    })
}
