//! Turning config entries and sources into providers.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{AzureConfig, GcsConfig, LocalConfig, ProviderSettings, S3Config};
use crate::source::Location;
use crate::{Provider, ProviderConfig, ProviderContext, RepoError, Source};

impl ProviderConfig {
    /// Builds the provider. Secrets (env vars, files) are read now, so a
    /// missing one is reported before any download starts.
    ///
    /// ```
    /// use plugin_repo::{ProviderConfig, ProviderContext};
    /// let config_dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(config_dir.path().join("plugins")).unwrap();
    /// let p: ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: plugins\n").unwrap();
    /// let provider = p.build(&ProviderContext::new(config_dir.path())).unwrap();
    /// assert_eq!(provider.name(), "dev");
    /// ```
    pub fn build(&self, ctx: &ProviderContext) -> Result<Arc<dyn Provider>, RepoError> {
        match &self.settings {
            ProviderSettings::Http(c) => {
                crate::http::build(&self.name, c, ctx).map(|p| p as Arc<dyn Provider>)
            }
            ProviderSettings::Gcs(c) => {
                crate::store::build_gcs(&self.name, c, ctx).map(|p| p as Arc<dyn Provider>)
            }
            ProviderSettings::S3(c) => {
                crate::store::build_s3(&self.name, c, ctx).map(|p| p as Arc<dyn Provider>)
            }
            ProviderSettings::Azure(c) => {
                crate::store::build_azure(&self.name, c, ctx).map(|p| p as Arc<dyn Provider>)
            }
            ProviderSettings::Local(c) => {
                crate::store::build_local(&self.name, c, ctx).map(|p| p as Arc<dyn Provider>)
            }
        }
    }
}

impl Source {
    /// Builds a provider for this source; fetch [`Source::path`] from it.
    /// Cloud credentials come from the standard environment variables via
    /// the context's env lookup (see docs/providers.md).
    pub fn provider(&self, ctx: &ProviderContext) -> Result<Arc<dyn Provider>, RepoError> {
        let name = self.display_name().to_owned();
        match &self.location {
            Location::Http { url } => {
                return crate::http::build_exact(&name, url, ctx).map(|p| p as Arc<dyn Provider>);
            }
            Location::Gcs { bucket, .. } => crate::store::build_gcs(
                &name,
                &GcsConfig {
                    bucket: bucket.clone(),
                    ..GcsConfig::default()
                },
                ctx,
            ),
            Location::S3 { bucket, .. } => crate::store::build_s3(
                &name,
                &S3Config {
                    bucket: bucket.clone(),
                    ..S3Config::default()
                },
                ctx,
            ),
            Location::Azure {
                account, container, ..
            } => crate::store::build_azure(
                &name,
                &AzureConfig {
                    account: account.clone(),
                    container: container.clone(),
                    ..AzureConfig::default()
                },
                ctx,
            ),
            Location::Local { path } => {
                let parent = path
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default();
                crate::store::build_local(&name, &LocalConfig { path: parent }, ctx)
            }
        }
        .map(|p| p as Arc<dyn Provider>)
    }
}

/// The providers of a form-1 config, by name. Duplicate names are refused.
///
/// ```
/// use plugin_repo::{ProviderConfig, ProviderSet};
/// let a: ProviderConfig = serde_saphyr::from_str("type: local\nname: a\npath: x\n").unwrap();
/// let err = ProviderSet::new(vec![a.clone(), a]).unwrap_err();
/// assert!(err.to_string().contains("two providers are named \"a\""));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProviderSet {
    by_name: BTreeMap<String, ProviderConfig>,
}

impl ProviderSet {
    /// Indexes the providers; two with one name is an error naming it.
    pub fn new(providers: Vec<ProviderConfig>) -> Result<Self, RepoError> {
        let mut by_name = BTreeMap::new();
        for p in providers {
            if by_name.contains_key(&p.name) {
                return Err(RepoError::Config(format!(
                    "two providers are named {:?}; provider names must be unique",
                    p.name
                )));
            }
            by_name.insert(p.name.clone(), p);
        }
        Ok(Self { by_name })
    }

    /// The provider called `name`; an error naming it and the defined ones
    /// when there is none.
    pub fn get(&self, name: &str) -> Result<&ProviderConfig, RepoError> {
        self.by_name.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
            RepoError::Config(format!(
                "provider {name:?} is not defined (defined: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })
    }

    /// All providers, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.by_name.values()
    }
}
