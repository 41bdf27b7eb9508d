//! The install pipeline: config -> plan -> fetch -> verify -> extract ->
//! validate -> publish, plus rollback and `lock` resolution.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use plugin_repo::{ArtifactMeta, ProviderContext};
use safe_fs::publish::Durability;

use crate::config::ManagerConfig;
use crate::drift::{self, FsClock};
use crate::error::{Error, Result};
use crate::extract::{Limits, SetBuilder};
use crate::fetch::{StreamReader, UnpackJob, hash_stream, unpack};
use crate::layout::{Current, InstallLock, KEEP_GENERATIONS, Layout};
use crate::lockfile::{LockFile, LockedArtifact};
use crate::plan::{Action, Plan, PlanItem, decide};
use crate::receipt::{
    ArtifactReceipt, PluginInfo, RECEIPTS_FILE, RECEIPTS_FORMAT, Receipts, now_rfc3339,
};
use crate::resolve::{Artifact, resolve};
use crate::sync_apply::{SYNC_STATE_FILE, SyncState};

/// Progress of an install, for a front end to render (progress bars, log
/// lines). Called from several threads.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The plan is made.
    Planned(&'a Plan),
    /// A download starts; `size` when the store said.
    FetchStart {
        /// Source key.
        source: &'a str,
        /// Expected size.
        size: Option<u64>,
    },
    /// Bytes received so far for `source`.
    FetchProgress {
        /// Source key.
        source: &'a str,
        /// Bytes so far.
        bytes: u64,
    },
    /// A download and unpack finished.
    FetchDone {
        /// Source key.
        source: &'a str,
        /// Artifact size.
        bytes: u64,
        /// Files written.
        files: usize,
    },
    /// The new set is live.
    Published {
        /// Its generation folder name.
        generation: &'a str,
    },
}

/// Receives [`Event`]s.
pub trait Reporter: Send + Sync {
    /// One event.
    fn event(&self, event: &Event<'_>);
}

/// A reporter that drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: &Event<'_>) {}
}

/// Knobs of an install.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)]
pub struct InstallOptions {
    /// Downloads at once.
    pub jobs: usize,
    /// Print the plan only.
    pub dry_run: bool,
    /// Refuse artifacts without a sha256 pin.
    pub locked: bool,
    /// Download everything again.
    pub force: bool,
    /// How long to wait for another install's lock.
    pub lock_timeout: Duration,
    /// Flush the new set to disk before switching (one `syncfs`).
    pub sync: bool,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            jobs: 4,
            dry_run: false,
            locked: false,
            force: false,
            lock_timeout: Duration::from_mins(2),
            sync: true,
        }
    }
}

/// What an install did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstallReport {
    /// The plan (after downloads: artifacts whose bytes turned out equal
    /// to the installed ones are marked unchanged).
    pub plan: Plan,
    /// The generation published, `None` when nothing changed or dry run.
    pub generation: Option<String>,
    /// Sources downloaded.
    pub downloaded: Vec<String>,
    /// YAML plugins in the set now.
    pub plugins: Vec<PluginInfo>,
    /// The plugin folder.
    pub plugin_dir: PathBuf,
}

/// The plugin folder for a config: `--plugin-dir`, else the config's
/// `plugin_dir`, else `.plugins` (relative to the current directory).
pub fn plugin_dir_for(cfg: &ManagerConfig, override_dir: Option<&Path>) -> PathBuf {
    override_dir
        .map(Path::to_path_buf)
        .or_else(|| cfg.plugin_dir.clone())
        .unwrap_or_else(|| PathBuf::from(".plugins"))
}

/// Installs the config's plugin set into `plugin_dir`.
///
/// Exactly the configured artifacts end up in `plugin_dir`, switched in
/// atomically; on any error nothing visible changes.
pub async fn install(
    cfg: &ManagerConfig,
    plugin_dir: &Path,
    ctx: &ProviderContext,
    lock: Option<&LockFile>,
    opts: &InstallOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<InstallReport> {
    let artifacts = resolve(cfg, ctx, lock)?;
    if opts.locked {
        let unpinned: Vec<String> = artifacts
            .iter()
            .filter(|a| a.pin.is_none())
            .map(|a| format!("{} ({})", a.key, a.origin))
            .collect();
        if !unpinned.is_empty() {
            return Err(Error::Unpinned(unpinned));
        }
    }
    let layout = Layout::new(plugin_dir)?;
    let _guard = if opts.dry_run {
        None
    } else {
        let l = layout.clone();
        let timeout = opts.lock_timeout;
        let guard = tokio::task::spawn_blocking(move || InstallLock::acquire(&l, timeout))
            .await
            .map_err(|e| Error::State(format!("lock task failed: {e}")))??;
        layout.clean_leftovers()?;
        Some(guard)
    };
    let current = layout.current()?;
    let current_dir = match &current {
        Current::Generation(g) => Some(layout.generation_path(g)),
        Current::PlainDir => Some(plugin_dir.to_path_buf()),
        Current::Absent => None,
    };
    let mut receipts = match &current_dir {
        Some(d) => read_receipts_or_unknown(d, &current)?,
        None => None,
    };

    let heads = probe(&artifacts, receipts.as_ref(), opts).await;
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
    reporter.event(&Event::Planned(&plan));
    let mut report = InstallReport {
        plan,
        generation: None,
        downloaded: Vec::new(),
        plugins: receipts
            .as_ref()
            .map(|r| r.artifacts.iter().flat_map(|a| a.plugins.clone()).collect())
            .unwrap_or_default(),
        plugin_dir: plugin_dir.to_path_buf(),
    };
    let managed = matches!(current, Current::Generation(_));
    if opts.dry_run {
        return Ok(report);
    }
    if report.plan.is_noop() && managed {
        if stats_refreshed && let (Some(dir), Some(r)) = (&current_dir, &receipts) {
            // Touched but identical files: remember their new stat so the
            // next install does not hash them again.
            rewrite_receipts(&layout, dir, r)?;
        }
        return Ok(report);
    }

    // With `sync`, the flush is opened before anything is written, so the
    // one `syncfs` before publishing reports a write-back error of any file
    // of the set.
    let staging = layout.stage(if opts.sync {
        Durability::SyncFs
    } else {
        Durability::NoFlush
    })?;
    let set = Arc::new(SetBuilder::new(staging.path().to_path_buf()).early_writeback(opts.sync));
    let tmp = layout.temp_dir()?;

    // Unchanged artifacts: hard-link their files from the current set.
    let mut receipts_by_key: HashMap<String, ArtifactReceipt> = HashMap::new();
    for (a, item) in artifacts.iter().zip(&report.plan.items) {
        if item.action == Action::Unchanged
            && let (Some(dir), Some(r)) = (
                &current_dir,
                receipts.as_ref().and_then(|r| r.artifact(&a.key)),
            )
        {
            for f in &r.files {
                set.link_from(dir, f, &a.key)?;
            }
            receipts_by_key.insert(a.key.clone(), r.clone());
        }
    }

    // Changed artifacts: fetch, verify and unpack, `jobs` at a time.
    let cancel = Arc::new(AtomicBool::new(false));
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
            Arc::clone(&set),
            Arc::clone(&limits),
            Arc::clone(&tmp_path),
            Arc::clone(&cancel),
            Arc::clone(&reporter),
        )
    }))
    .buffer_unordered(opts.jobs.max(1));
    let mut first_error = None;
    while let Some(res) = results.next().await {
        match res {
            Ok(r) => {
                report.downloaded.push(r.source.clone());
                receipts_by_key.insert(r.source.clone(), r);
            }
            Err(e) => {
                cancel.store(true, Ordering::Relaxed);
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
            let old = receipts.as_ref().and_then(|r| r.artifact(&item.source));
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
    if report.plan.is_noop() && managed {
        return Ok(report);
    }

    // Validate every YAML plugin of the new set; names must be unique.
    let mut ordered = Vec::new();
    for a in &artifacts {
        let mut r = receipts_by_key
            .remove(&a.key)
            .ok_or_else(|| Error::State(format!("internal: no result for {}", a.key)))?;
        r.plugins = validate_plugins(set.root(), &r)?;
        ordered.push(r);
    }
    let mut names: HashMap<String, String> = HashMap::new();
    for r in &ordered {
        for p in &r.plugins {
            if let Some(first) = names.insert(p.name.clone(), r.source.clone()) {
                return Err(Error::Conflict {
                    what: "plugin",
                    name: p.name.clone(),
                    first,
                    second: r.source.clone(),
                });
            }
        }
    }

    let previous = match &current {
        Current::Generation(g) => Some(g.clone()),
        Current::PlainDir => Some(layout.legacy_generation_name()),
        Current::Absent => None,
    };
    let generation = layout.next_generation_name()?;
    let latest_change = drift::record_stats(set.root(), &mut ordered)?;
    let mut all = Receipts {
        format: RECEIPTS_FORMAT,
        generation: generation.clone(),
        previous: previous.clone(),
        installed_at: now_rfc3339(),
        config: Some(
            std::path::absolute(&cfg.file)
                .unwrap_or_else(|_| cfg.file.clone())
                .display()
                .to_string(),
        ),
        artifacts: ordered,
    };
    let receipts_path = set.root().join(RECEIPTS_FILE);
    std::fs::write(&receipts_path, all.to_json()?).map_err(Error::io("writing", &receipts_path))?;
    drop(tmp);
    // A change made after the switch must give a file a later ctime than
    // the one recorded (see `drift`): at most one tick of the clock.
    drift::wait_past(layout.parent(), latest_change)?;
    layout.publish(staging, &generation)?;
    reporter.event(&Event::Published {
        generation: &generation,
    });
    let mut keep = vec![generation.as_str()];
    if let Some(p) = previous.as_deref() {
        keep.push(p);
    }
    keep.truncate(KEEP_GENERATIONS);
    if !layout.prune(&keep)?.is_empty() {
        // Removing an old set changed the ctime of the files it shared with
        // the new one (one link less): record it, or the next install would
        // hash them all.
        let live = layout.generation_path(&generation);
        if drift::restat_links(&live, &mut all.artifacts) {
            rewrite_receipts(&layout, &live, &all)?;
        }
    }
    report.plugins = all
        .artifacts
        .iter()
        .flat_map(|a| a.plugins.clone())
        .collect();
    report.generation = Some(generation);
    Ok(report)
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

/// Replaces the receipts of the live set `dir` atomically. The new file is
/// written in a temporary folder beside `plugin_dir` (removed by the next
/// run if this one is killed) and renamed into place, so the set itself
/// never holds a half-written or stray file.
fn rewrite_receipts(layout: &Layout, dir: &Path, receipts: &Receipts) -> Result<()> {
    let tmp = layout.temp_dir()?;
    let staged = tmp.path().join(RECEIPTS_FILE);
    let path = dir.join(RECEIPTS_FILE);
    let mut f = std::fs::File::create(&staged).map_err(Error::io("creating", &staged))?;
    std::io::Write::write_all(&mut f, receipts.to_json()?.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(Error::io("writing", &staged))?;
    std::fs::rename(&staged, &path).map_err(Error::io("replacing", &path))?;
    safe_fs::atomic::fsync_dir(dir).map_err(Error::io("syncing", dir))
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

async fn fetch_one(
    a: Artifact,
    set: Arc<SetBuilder>,
    limits: Arc<Limits>,
    tmp: Arc<Path>,
    cancel: Arc<AtomicBool>,
    reporter: Arc<dyn Reporter>,
) -> Result<ArtifactReceipt> {
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::State("cancelled".into()));
    }
    let fetched = a.provider.get(&a.path).await?;
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

/// A file at the top of the set named `optimus-plugin-*.yaml` is a YAML
/// plugin, as the Optimus server discovers them (the one definition, in
/// [`plugin_spec::files`]; `.yml` is not one).
pub fn is_yaml_plugin_file(path: &str) -> bool {
    plugin_spec::files::is_plugin_file_name(path)
}

fn validate_plugins(root: &Path, r: &ArtifactReceipt) -> Result<Vec<PluginInfo>> {
    let mut out = Vec::new();
    for f in r.files.iter().filter(|f| is_yaml_plugin_file(&f.path)) {
        let path = root.join(&f.path);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::InvalidPlugin {
            file: f.path.clone(),
            artifact: r.source.clone(),
            detail: e.to_string(),
        })?;
        // Refused only when upstream's loader refuses it; the rest is logged.
        let loaded = plugin_spec::check_str(&text, &f.path).map_err(|e| Error::InvalidPlugin {
            file: f.path.clone(),
            artifact: r.source.clone(),
            detail: e.to_string(),
        })?;
        for w in &loaded.warnings {
            tracing::warn!(file = %f.path, artifact = %r.source, "{w}");
        }
        if let Some(w) = plugin_spec::files::file_name_warning(&f.path, &loaded.plugin.name) {
            tracing::warn!(file = %f.path, artifact = %r.source, "{w}");
        }
        let plugin = loaded.plugin;
        out.push(PluginInfo {
            name: plugin.name.clone(),
            plugin_type: plugin.plugin_type.as_str().to_owned(),
            version: plugin.version.clone(),
            image: plugin.image.clone(),
            file: f.path.clone(),
        });
    }
    Ok(out)
}

/// Switches `plugin_dir` back to the previous set (recorded in the current
/// receipts, else the other kept generation). Returns its name.
pub fn rollback(plugin_dir: &Path, lock_timeout: Duration) -> Result<String> {
    let layout = Layout::new(plugin_dir)?;
    let _guard = InstallLock::acquire(&layout, lock_timeout)?;
    let Current::Generation(current) = layout.current()? else {
        return Err(Error::State(format!(
            "{} is not a plugin set installed by optimus-plugin; nothing to roll back to",
            plugin_dir.display()
        )));
    };
    // Unreadable receipts do not block a rollback: the other kept
    // generation is the target then.
    let recorded = Receipts::read(&layout.generation_path(&current))
        .ok()
        .flatten()
        .and_then(|r| r.previous);
    let gens = layout.generations()?;
    let target = recorded
        .filter(|p| gens.iter().any(|(_, n)| n == p))
        .or_else(|| {
            gens.iter()
                .rev()
                .map(|(_, n)| n.clone())
                .find(|n| n != &current)
        })
        .ok_or_else(|| {
            Error::State(format!(
                "no previous plugin set is kept beside {}",
                plugin_dir.display()
            ))
        })?;
    layout.switch_to(&target)?;
    Ok(target)
}

/// Downloads every artifact of the config and records its sha256 and
/// size (for `optimus-plugin lock`). Pins in the config are checked.
pub async fn resolve_lock(
    cfg: &ManagerConfig,
    ctx: &ProviderContext,
    jobs: usize,
    reporter: Arc<dyn Reporter>,
) -> Result<LockFile> {
    let artifacts = resolve(cfg, ctx, None)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let futs = artifacts.into_iter().map(|a| {
        let cancel = Arc::clone(&cancel);
        let reporter = Arc::clone(&reporter);
        async move {
            let fetched = a.provider.get(&a.path).await?;
            reporter.event(&Event::FetchStart {
                source: &a.key,
                size: fetched.meta.size,
            });
            let handle = tokio::runtime::Handle::current();
            let rep = Arc::clone(&reporter);
            let key = a.key.clone();
            let (sha, size) = tokio::task::spawn_blocking(move || {
                let on_bytes = |n: u64| {
                    rep.event(&Event::FetchProgress {
                        source: &key,
                        bytes: n,
                    });
                };
                hash_stream(StreamReader::new(&handle, fetched.body, &cancel, &on_bytes))
            })
            .await
            .map_err(|e| Error::State(format!("download task failed: {e}")))??;
            reporter.event(&Event::FetchDone {
                source: &a.key,
                bytes: size,
                files: 0,
            });
            if let Some(pin) = a.pin.as_ref().filter(|p| p.sha256 != sha) {
                return Err(Error::Checksum {
                    artifact: a.key.clone(),
                    expected: pin.sha256.clone(),
                    actual: sha,
                    pin_origin: format!(" (pin from {})", pin.origin),
                });
            }
            Ok(LockedArtifact {
                source: a.key,
                sha256: sha,
                size,
            })
        }
    });
    let results: Vec<Result<LockedArtifact>> = futures::stream::iter(futs)
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    let mut artifacts = Vec::new();
    for r in results {
        artifacts.push(r?);
    }
    artifacts.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(LockFile { artifacts })
}
