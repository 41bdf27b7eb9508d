//! The install pipeline: config -> [`plan`] -> [`fetch`] (verify,
//! extract) -> [`publish`] (validate, switch), plus rollback and `lock`
//! resolution. [`install()`] runs the steps in that order, each a function
//! of its own module.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use plugin_repo::ProviderContext;
use safe_fs::publish::Durability;
use tokio_util::sync::CancellationToken;

use crate::config::ManagerConfig;
use crate::error::{Error, Result};
use crate::extract::SetBuilder;
use crate::fetch::{StreamReader, hash_stream};
use crate::layout::{Current, InstallLock, Layout};
use crate::lockfile::{LockFile, LockedArtifact};
use crate::plan::Plan;
use crate::receipt::{PluginInfo, Receipts};
use crate::resolve::resolve;

pub mod fetch;
pub mod plan;
pub mod publish;

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
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plugin_manager::{install, Event, InstallOptions, ManagerConfig, Reporter};
/// use plugin_repo::ProviderContext;
///
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
/// impl Reporter for Log {
///     fn event(&self, event: &Event<'_>) {
///         if let Event::Published { generation } = event {
///             self.0.lock().unwrap().push((*generation).to_owned());
///         }
///     }
/// }
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: neo:0.1.0\nentrypoint:\n  script: neo run\n",
/// )?;
/// let config = dir.path().join("optimus.yaml");
/// std::fs::write(&config, "plugin:\n  artifacts:\n    - ./optimus-plugin-neo.yaml\n")?;
/// let cfg = ManagerConfig::load(&config)?;
/// let ctx = ProviderContext::new(cfg.base_dir.clone());
/// let rt = tokio::runtime::Runtime::new()?;
/// let log = Arc::new(Log::default());
/// let plugins = dir.path().join("plugins");
/// rt.block_on(install(&cfg, &plugins, &ctx, None, &InstallOptions::default(), log.clone()))?;
/// assert_eq!(*log.0.lock().unwrap(), [".plugins.gen-1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// # Examples
///
/// ```
/// use plugin_manager::InstallOptions;
/// let opts = InstallOptions { jobs: 1, dry_run: true, ..InstallOptions::default() };
/// assert!(opts.dry_run && opts.sync && !opts.locked);
/// assert!(!opts.cancel.is_cancelled());
/// ```
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
    /// Cancelling it stops the install before the switch: downloads are
    /// dropped, the staging folder removed, and [`install()`] returns
    /// [`Error::Cancelled`] with the old set untouched. Once the switch
    /// has begun, the install completes.
    pub cancel: CancellationToken,
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
            cancel: CancellationToken::new(),
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
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use plugin_manager::{plugin_dir_for, ManagerConfig};
/// let cfg = ManagerConfig::from_str("plugins:\n  plugin_dir: /app/plugins\n", "c.yaml".as_ref()).unwrap();
/// assert_eq!(plugin_dir_for(&cfg, None), Path::new("/app/plugins"));
/// assert_eq!(plugin_dir_for(&cfg, Some("/tmp/p".as_ref())), Path::new("/tmp/p"));
/// let bare = ManagerConfig::from_str("server: {}\n", "c.yaml".as_ref()).unwrap();
/// assert_eq!(plugin_dir_for(&bare, None), Path::new(".plugins"));
/// ```
pub fn plugin_dir_for(cfg: &ManagerConfig, override_dir: Option<&Path>) -> PathBuf {
    override_dir
        .map(Path::to_path_buf)
        .or_else(|| cfg.plugin_dir.clone())
        .unwrap_or_else(|| PathBuf::from(".plugins"))
}

/// Installs the config's plugin set into `plugin_dir`.
///
/// Exactly the configured artifacts end up in `plugin_dir`, switched in
/// atomically; on any error nothing visible changes. The steps:
/// [`plan::make`] (what to add, update, keep, remove, with the installed
/// files checked for drift), [`fetch::fetch_set`] (unchanged artifacts
/// linked, changed ones downloaded, verified and unpacked into a staging
/// folder) and [`publish::publish_set`] (plugins validated, receipts
/// written, the set switched in, old generations pruned).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use plugin_manager::{install, verify, InstallOptions, ManagerConfig, Receipts, Silent};
/// use plugin_repo::ProviderContext;
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: neo:0.1.0\nentrypoint:\n  script: neo run\n",
/// )?;
/// let config = dir.path().join("optimus.yaml");
/// std::fs::write(&config, "plugin:\n  artifacts:\n    - ./optimus-plugin-neo.yaml\n")?;
/// let cfg = ManagerConfig::load(&config)?;
/// let ctx = ProviderContext::new(cfg.base_dir.clone());
/// let plugins = dir.path().join("plugins");
/// let rt = tokio::runtime::Runtime::new()?;
/// let report = rt.block_on(install(&cfg, &plugins, &ctx, None, &InstallOptions::default(), Arc::new(Silent)))?;
/// assert_eq!(report.plugins[0].name, "neo");
/// assert!(report.generation.is_some());
/// assert!(plugins.join("optimus-plugin-neo.yaml").is_file());
/// assert!(verify(&plugins)?.is_clean());
/// assert_eq!(Receipts::read(&plugins)?.unwrap().artifacts.len(), 1);
/// // Installing the same set again changes nothing.
/// let again = rt.block_on(install(&cfg, &plugins, &ctx, None, &InstallOptions::default(), Arc::new(Silent)))?;
/// assert!(again.generation.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    let installed = plan::Installed::read(&layout)?;
    let planned = plan::make(&artifacts, &installed, &layout, opts).await?;
    let plan::Planned {
        plan,
        drifted,
        receipts,
        stats_refreshed,
    } = planned;
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
    let managed = matches!(installed.current, Current::Generation(_));
    if opts.dry_run {
        return Ok(report);
    }
    if report.plan.is_noop() && managed {
        if stats_refreshed && let (Some(dir), Some(r)) = (&installed.dir, &receipts) {
            // Touched but identical files: remember their new stat so the
            // next install does not hash them again.
            publish::rewrite_receipts(&layout, dir, r)?;
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
    let fetched = fetch::fetch_set(
        fetch::FetchInput {
            cfg,
            artifacts: &artifacts,
            installed: &installed,
            receipts: receipts.as_ref(),
            drifted: &drifted,
            layout: &layout,
            set: &set,
            jobs: opts.jobs,
            reporter: &reporter,
            cancel: &opts.cancel,
        },
        &mut report,
    )
    .await
    .map_err(|e| {
        if opts.cancel.is_cancelled() {
            Error::Cancelled {
                plugin_dir: plugin_dir.to_path_buf(),
            }
        } else {
            no_space(e, plugin_dir)
        }
    })?;
    if report.plan.is_noop() && managed {
        return Ok(report);
    }
    if opts.cancel.is_cancelled() {
        return Err(Error::Cancelled {
            plugin_dir: plugin_dir.to_path_buf(),
        });
    }
    let generation = publish::publish_set(publish::PublishInput {
        cfg,
        artifacts: &artifacts,
        layout: &layout,
        current: &installed.current,
        staging,
        set: &set,
        fetched,
        reporter: reporter.as_ref(),
    })
    .map_err(|e| no_space(e, plugin_dir))?;
    report.plugins = generation
        .receipts
        .artifacts
        .iter()
        .flat_map(|a| a.plugins.clone())
        .collect();
    report.generation = Some(generation.name);
    Ok(report)
}

/// A full volume (checked up front or `ENOSPC` on the way) as
/// [`Error::NoSpace`] naming the plugin folder; other errors as they are.
fn no_space(e: Error, plugin_dir: &Path) -> Error {
    match e {
        Error::NoSpace { mut source } => {
            source.dir = plugin_dir.to_path_buf();
            Error::NoSpace { source }
        }
        e if safe_fs::space::chain_is_no_space(&e) => {
            safe_fs::space::NoSpace::ran_out(plugin_dir).into()
        }
        e => e,
    }
}

/// A file at the top of the set named `optimus-plugin-*.yaml` is a YAML
/// plugin, as the Optimus server discovers them (the one definition, in
/// [`plugin_spec::files`]; `.yml` is not one).
///
/// # Examples
///
/// ```
/// use plugin_manager::install::is_yaml_plugin_file;
/// assert!(is_yaml_plugin_file("optimus-plugin-neo.yaml"));
/// assert!(!is_yaml_plugin_file("optimus-plugin-neo.yml"));
/// assert!(!is_yaml_plugin_file("neo.yaml"));
/// ```
pub fn is_yaml_plugin_file(path: &str) -> bool {
    plugin_spec::files::is_plugin_file_name(path)
}

/// Switches `plugin_dir` back to the previous set (recorded in the current
/// receipts, else the other kept generation). Returns its name.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let dir = tempfile::tempdir().unwrap();
/// // A folder no install made has nothing to roll back to.
/// let err = plugin_manager::rollback(&dir.path().join("plugins"), Duration::from_secs(1)).unwrap_err();
/// assert!(err.to_string().contains("nothing to roll back to"), "{err}");
/// ```
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
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use plugin_manager::{resolve_lock, LockFile, ManagerConfig, Silent};
/// use plugin_repo::ProviderContext;
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("optimus-plugin-neo.yaml"),
///     "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: neo:0.1.0\nentrypoint:\n  script: neo run\n",
/// )?;
/// let config = dir.path().join("optimus.yaml");
/// std::fs::write(&config, "plugin:\n  artifacts:\n    - ./optimus-plugin-neo.yaml\n")?;
/// let cfg = ManagerConfig::load(&config)?;
/// let ctx = ProviderContext::new(cfg.base_dir.clone());
/// let rt = tokio::runtime::Runtime::new()?;
/// let lock = rt.block_on(resolve_lock(&cfg, &ctx, 2, Arc::new(Silent)))?;
/// assert_eq!(lock.artifacts.len(), 1);
/// assert_eq!(lock.artifacts[0].size, std::fs::metadata(dir.path().join("optimus-plugin-neo.yaml"))?.len());
/// // Its text reads back to the same pins.
/// assert_eq!(LockFile::from_str(&lock.to_yaml(), "optimus-plugins.lock")?, lock);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn resolve_lock(
    cfg: &ManagerConfig,
    ctx: &ProviderContext,
    jobs: usize,
    reporter: Arc<dyn Reporter>,
) -> Result<LockFile> {
    let artifacts = resolve(cfg, ctx, None)?;
    let cancel = CancellationToken::new();
    let futs = artifacts.into_iter().map(|a| {
        let cancel = cancel.clone();
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
