//! The plan step: what the installed set is, and what to add, update,
//! keep or remove (installed files checked against their receipts for
//! drift; a drifted artifact is installed again).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use plugin_repo::ArtifactMeta;

use super::InstallOptions;
use crate::drift::{self, FsClock};
use crate::error::{Error, Result};
use crate::layout::{Current, Layout};
use crate::plan::{Action, Plan, PlanItem, decide};
use crate::receipt::{RECEIPTS_FILE, Receipts};
use crate::resolve::Artifact;
use crate::sync_state::{SYNC_STATE_FILE, SyncState};

/// The set installed now.
#[derive(Debug)]
pub struct Installed {
    /// What `plugin_dir` is.
    pub current: Current,
    /// The folder of the current set, if there is one.
    pub dir: Option<PathBuf>,
    /// Its receipts, `None` when absent or unreadable (state unknown).
    pub receipts: Option<Receipts>,
}

impl Installed {
    /// Reads the current set of `layout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::install::plan::Installed;
    /// use plugin_manager::layout::Current;
    /// use plugin_manager::Layout;
    /// let root = tempfile::tempdir().unwrap();
    /// let layout = Layout::new(&root.path().join("plugins")).unwrap();
    /// let none = Installed::read(&layout).unwrap();
    /// assert_eq!(none.current, Current::Absent);
    /// assert!(none.dir.is_none() && none.receipts.is_none());
    /// std::fs::create_dir(root.path().join("plugins")).unwrap();
    /// assert_eq!(Installed::read(&layout).unwrap().current, Current::PlainDir);
    /// ```
    pub fn read(layout: &Layout) -> Result<Installed> {
        let current = layout.current()?;
        let dir = match &current {
            Current::Generation(g) => Some(layout.generation_path(g)),
            Current::PlainDir => Some(layout.plugin_dir().to_path_buf()),
            Current::Absent => None,
        };
        let receipts = match &dir {
            Some(d) => read_receipts_or_unknown(d, &current)?,
            None => None,
        };
        Ok(Installed {
            current,
            dir,
            receipts,
        })
    }
}

/// What [`make`] decided.
#[derive(Debug)]
pub struct Planned {
    /// The plan, one item per artifact (and per artifact to remove).
    pub plan: Plan,
    /// Sources installed again because their files drifted.
    pub drifted: HashSet<String>,
    /// The installed receipts, with refreshed file stats.
    pub receipts: Option<Receipts>,
    /// Whether a stat was refreshed (touched but identical files).
    pub stats_refreshed: bool,
}

/// Plans the install of `artifacts` over the `installed` set.
pub async fn make(
    artifacts: &[Artifact],
    installed: &Installed,
    layout: &Layout,
    opts: &InstallOptions,
) -> Result<Planned> {
    let mut receipts = installed.receipts.clone();
    let current_dir = &installed.dir;
    let heads = probe(artifacts, receipts.as_ref(), opts).await;
    // Installed artifacts that the plan keeps are checked against their
    // receipts (stat first, hash only where the stat differs); a drifted
    // one is installed again.
    let mut drifted: HashSet<String> = HashSet::new();
    let mut stats_refreshed = false;
    let mut clock = FsClock::new(layout.parent());
    let (mut stat_clean, mut hashed) = (0usize, 0usize);
    let mut plan = Plan::default();
    for (a, head) in artifacts.iter().zip(&heads) {
        let receipt = receipts.as_ref().and_then(|r| r.artifact(&a.key));
        let (mut action, mut reason) = decide(
            &a.format,
            a.pin.as_ref().map(|p| p.sha256.as_str()),
            receipt,
            head.as_ref(),
            opts.force,
        );
        if action == Action::Unchanged
            && let (Some(dir), Some(r)) = (&current_dir, receipts.as_mut())
            && let Some(receipt) = r.artifacts.iter_mut().find(|x| x.source == a.key)
        {
            let check = drift::check_artifact(dir, receipt, &mut clock)?;
            tracing::debug!(
                source = %a.key,
                stat_clean = check.stat_clean,
                hashed = check.hashed,
                drifted = check.drift.len(),
                "checked installed files"
            );
            stat_clean += check.stat_clean;
            hashed += check.hashed;
            for (i, stat) in check.refreshed {
                receipt.files[i].stat = Some(stat);
                stats_refreshed = true;
            }
            if !check.drift.is_empty() {
                action = Action::Update;
                reason = format!(
                    "drift: {}; installing it again",
                    drift::summary(&check.drift)
                );
                drifted.insert(a.key.clone());
            }
        }
        plan.items.push(PlanItem {
            source: a.key.clone(),
            action,
            reason,
        });
    }
    if let Some(r) = &receipts {
        for old in &r.artifacts {
            if !artifacts.iter().any(|a| a.key == old.source) {
                plan.items.push(PlanItem {
                    source: old.source.clone(),
                    action: Action::Remove,
                    reason: "no longer in the config".into(),
                });
            }
        }
    }
    if current_dir.is_some() {
        tracing::info!(
            stat_clean,
            hashed,
            drifted = drifted.len(),
            "installed files checked against the receipts: {stat_clean} stat-clean (not read), {hashed} hashed"
        );
    }
    Ok(Planned {
        plan,
        drifted,
        receipts,
        stats_refreshed,
    })
}

/// The receipts of the current set. Unreadable receipts (garbage, edited by
/// hand, another format version), or none in a folder install made, mean
/// the state is unknown: a warning, and every artifact is installed again.
/// A plain folder without receipts whose sync state lists YAML plugins is
/// managed by `sync` and refused.
fn read_receipts_or_unknown(dir: &Path, current: &Current) -> Result<Option<Receipts>> {
    match Receipts::read(dir) {
        Ok(Some(r)) => return Ok(Some(r)),
        Ok(None) => {}
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!("{e}; state unknown: installing every artifact again");
            return Ok(None);
        }
    }
    if matches!(current, Current::Generation(_)) {
        tracing::warn!(
            "{} has no receipts ({RECEIPTS_FILE}); state unknown: installing every artifact again",
            dir.display()
        );
        return Ok(None);
    }
    let state_path = dir.join(SYNC_STATE_FILE);
    if let Some(state) = std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<SyncState>(&b).ok())
        .filter(|s| !s.files.is_empty())
    {
        return Err(Error::ManagedBySync {
            plugin_dir: dir.to_path_buf(),
            state: state_path,
            url: state.url,
        });
    }
    Ok(None)
}

/// HEAD requests (concurrent) for installed artifacts without a pin.
async fn probe(
    artifacts: &[Artifact],
    receipts: Option<&Receipts>,
    opts: &InstallOptions,
) -> Vec<Option<ArtifactMeta>> {
    let futs = artifacts.iter().map(|a| async move {
        let installed = receipts.and_then(|r| r.artifact(&a.key)).is_some();
        if !installed || a.pin.is_some() || opts.force {
            return None;
        }
        match a.provider.head(&a.path).await {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::debug!(source = %a.key, error = %e, "HEAD failed; will download");
                None
            }
        }
    });
    futures::stream::iter(futs)
        .buffered(opts.jobs.max(1))
        .collect()
        .await
}
