//! Config entries -> artifacts ready to fetch (provider built, format and
//! pin decided).

use std::collections::HashMap;
use std::sync::Arc;

use plugin_repo::{ArchiveOption, Provider, ProviderContext};

use crate::config::{ArtifactSource, ManagerConfig};
use crate::error::{Error, Result};
use crate::extract::Format;
use crate::fetch::Pin;
use crate::lockfile::LockFile;

/// One artifact to install.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Source key (receipts, lock file, messages).
    pub key: String,
    /// Where it is written in the config.
    pub origin: String,
    /// The provider serving it.
    pub provider: Arc<dyn Provider>,
    /// Path to pass to the provider.
    pub path: String,
    /// How to unpack it.
    pub format: Format,
    /// Expected sha256: config first, then the lock file.
    pub pin: Option<Pin>,
}

/// Builds the providers and decides formats and pins. Provider problems
/// (unknown type settings, missing secrets) are reported here, before any
/// download.
///
/// # Examples
///
/// ```
/// use plugin_manager::{resolve::resolve, Format, ManagerConfig};
/// use plugin_repo::ProviderContext;
/// let dir = tempfile::tempdir().unwrap();
/// let config = dir.path().join("optimus.yaml");
/// let yaml = "plugins:\n  providers:\n    - {type: local, name: dist, path: ./dist}\n  plugins:\n    - {provider: dist, path: bq2bq.tgz}\n";
/// let cfg = ManagerConfig::from_str(yaml, &config).unwrap();
/// let ctx = ProviderContext::new(dir.path());
/// // The provider's folder is checked before any download.
/// let err = resolve(&cfg, &ctx, None).unwrap_err();
/// assert!(err.is_config() && err.to_string().contains("is not a folder"), "{err}");
/// std::fs::create_dir(dir.path().join("dist")).unwrap();
/// let artifacts = resolve(&cfg, &ctx, None).unwrap();
/// assert_eq!(artifacts[0].key, "dist:bq2bq.tgz");
/// assert_eq!(artifacts[0].format, Format::TarGz);
/// assert!(artifacts[0].pin.is_none());
/// ```
pub fn resolve(
    cfg: &ManagerConfig,
    ctx: &ProviderContext,
    lock: Option<&LockFile>,
) -> Result<Vec<Artifact>> {
    let mut built: HashMap<String, Arc<dyn Provider>> = HashMap::new();
    let mut out = Vec::new();
    let lock_origin = cfg.lock_path().display().to_string();
    for entry in &cfg.artifacts {
        let key = entry.key();
        let (provider, path, format) = match &entry.source {
            ArtifactSource::Provider { provider, path, .. } => {
                let p = if let Some(p) = built.get(provider) {
                    Arc::clone(p)
                } else {
                    let conf = cfg
                        .providers
                        .iter()
                        .find(|c| &c.name == provider)
                        .ok_or_else(|| {
                            Error::Config(format!(
                                "{}: provider {provider:?} is not defined",
                                entry.origin
                            ))
                        })?;
                    // The error names the provider already.
                    let p = conf
                        .build(ctx)
                        .map_err(|e| Error::Config(format!("{}: {e}", entry.origin)))?;
                    built.insert(provider.clone(), Arc::clone(&p));
                    p
                };
                let format = entry_format(&entry.source)
                    .map_err(|e| Error::Config(format!("{}: {e}", entry.origin)))?;
                (p, path.clone(), format)
            }
            ArtifactSource::Source(source) => {
                let p = source
                    .provider(ctx)
                    .map_err(|e| Error::Config(format!("{}: {e}", entry.origin)))?;
                let format = entry_format(&entry.source)
                    .map_err(|e| Error::Config(format!("{}: {e}", entry.origin)))?;
                (p, source.path().to_owned(), format)
            }
        };
        let pin = match (&entry.sha256, lock.and_then(|l| l.get(&key))) {
            (Some(sha), _) => Some(Pin {
                sha256: sha.clone(),
                origin: entry.origin.clone(),
            }),
            (None, Some(locked)) => Some(Pin {
                sha256: locked.sha256.clone(),
                origin: lock_origin.clone(),
            }),
            (None, None) => None,
        };
        out.push(Artifact {
            key,
            origin: entry.origin.clone(),
            provider,
            path,
            format,
            pin,
        });
    }
    Ok(out)
}

/// How the artifact of `source` is unpacked: from its `archive:` and
/// `filename:` options (form 1) or go-getter options (form 2), else from
/// the path's extension. Checked when the config is loaded, so a bad
/// option is reported at its line.
pub(crate) fn entry_format(source: &ArtifactSource) -> Result<Format> {
    match source {
        ArtifactSource::Provider {
            path,
            archive,
            filename,
            ..
        } => Format::detect(path, archive.as_deref(), filename.as_deref()),
        ArtifactSource::Source(source) => {
            let archive = match &source.options.archive {
                None | Some(ArchiveOption::Auto) => None,
                Some(ArchiveOption::Disabled) => Some("false".to_owned()),
                Some(ArchiveOption::Format(f)) => Some(f.clone()),
            };
            Format::detect(
                &source.file_name(),
                archive.as_deref(),
                source.options.filename.as_deref(),
            )
        }
    }
}
