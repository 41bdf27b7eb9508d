//! The publish step: every YAML plugin of the new set validated (names
//! unique), the receipts written, the set switched in as a new generation
//! and old generations pruned.

use std::collections::HashMap;
use std::path::Path;

use safe_fs::publish::Staging;

use super::{Event, Reporter, is_yaml_plugin_file};
use crate::config::ManagerConfig;
use crate::drift;
use crate::error::{Error, Result};
use crate::extract::SetBuilder;
use crate::layout::{Current, KEEP_GENERATIONS, Layout};
use crate::receipt::{
    ArtifactReceipt, PluginInfo, RECEIPTS_FILE, RECEIPTS_FORMAT, Receipts, now_rfc3339,
};
use crate::resolve::Artifact;

/// What [`publish_set`] works from.
pub struct PublishInput<'a> {
    /// The config (its path is recorded in the receipts).
    pub cfg: &'a ManagerConfig,
    /// The artifacts, in config order.
    pub artifacts: &'a [Artifact],
    /// Where the sets live.
    pub layout: &'a Layout,
    /// What `plugin_dir` was before.
    pub current: &'a Current,
    /// The filled staging folder.
    pub staging: Staging,
    /// The set built in it.
    pub set: &'a SetBuilder,
    /// The receipt of every artifact, by source (from the fetch step).
    pub fetched: HashMap<String, ArtifactReceipt>,
    /// Progress.
    pub reporter: &'a dyn Reporter,
}

/// The generation [`publish_set`] made live.
#[derive(Debug)]
pub struct Generation {
    /// Its folder name.
    pub name: String,
    /// Its receipts.
    pub receipts: Receipts,
}

/// Validates, records and publishes the staged set.
pub fn publish_set(input: PublishInput<'_>) -> Result<Generation> {
    let PublishInput {
        cfg,
        artifacts,
        layout,
        current,
        staging,
        set,
        fetched: mut receipts_by_key,
        reporter,
    } = input;
    // Validate every YAML plugin of the new set; names must be unique.
    let mut ordered = Vec::new();
    for a in artifacts {
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

    let previous = match current {
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
            rewrite_receipts(layout, &live, &all)?;
        }
    }
    Ok(Generation {
        name: generation,
        receipts: all,
    })
}

/// Replaces the receipts of the live set `dir` atomically. The new file is
/// written in a temporary folder beside `plugin_dir` (removed by the next
/// run if this one is killed) and renamed into place, so the set itself
/// never holds a half-written or stray file.
pub(super) fn rewrite_receipts(layout: &Layout, dir: &Path, receipts: &Receipts) -> Result<()> {
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

fn validate_plugins(root: &Path, r: &ArtifactReceipt) -> Result<Vec<PluginInfo>> {
    let mut out = Vec::new();
    for f in r.files.iter().filter(|f| is_yaml_plugin_file(&f.path)) {
        let path = root.join(&f.path);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::InvalidPlugin {
            file: f.path.clone(),
            artifact: r.source.clone(),
            source: e.into(),
        })?;
        // Refused only when upstream's loader refuses it; the rest is logged.
        let loaded = plugin_spec::check_str(&text, &f.path).map_err(|e| Error::InvalidPlugin {
            file: f.path.clone(),
            artifact: r.source.clone(),
            source: e.into(),
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
