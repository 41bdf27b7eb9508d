//! Turning config entries and sources into providers.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{AzureConfig, GcsConfig, LocalConfig, ProviderSettings, S3Config};
use crate::error::ConfigError;
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
            ProviderSettings::Gcs(c) => gcs(&self.name, c, ctx),
            ProviderSettings::S3(c) => s3(&self.name, c, ctx),
            ProviderSettings::Azure(c) => azure(&self.name, c, ctx),
            ProviderSettings::Local(c) => {
                crate::local::build(&self.name, c, ctx).map(|p| p as Arc<dyn Provider>)
            }
        }
    }
}

impl Source {
    /// Builds a provider for this source; fetch [`Source::path`] from it.
    /// Cloud credentials come from the standard environment variables via
    /// the context's env lookup (see docs/providers.md).
    ///
    /// ```
    /// use futures::StreamExt;
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("neo.yaml"), "name: neo\n")?;
    /// let source = plugin_repo::Source::parse("neo.yaml", dir.path())?;
    /// let provider = source.provider(&plugin_repo::ProviderContext::new(dir.path()))?;
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let body: Vec<u8> = rt.block_on(async {
    ///     let mut fetched = provider.get(source.path()).await?;
    ///     let mut out = Vec::new();
    ///     while let Some(chunk) = fetched.body.next().await {
    ///         out.extend_from_slice(&chunk?);
    ///     }
    ///     Ok::<_, plugin_repo::RepoError>(out)
    /// })?;
    /// assert_eq!(body, b"name: neo\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn provider(&self, ctx: &ProviderContext) -> Result<Arc<dyn Provider>, RepoError> {
        let name = self.display_name().to_owned();
        match &self.location {
            Location::Http { url } => {
                crate::http::build_exact(&name, url, ctx).map(|p| p as Arc<dyn Provider>)
            }
            Location::Gcs { bucket, .. } => gcs(
                &name,
                &GcsConfig {
                    bucket: bucket.clone(),
                    ..GcsConfig::default()
                },
                ctx,
            ),
            Location::S3 { bucket, .. } => s3(
                &name,
                &S3Config {
                    bucket: bucket.clone(),
                    ..S3Config::default()
                },
                ctx,
            ),
            Location::Azure {
                account, container, ..
            } => azure(
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
                crate::local::build(&name, &LocalConfig { path: parent }, ctx)
                    .map(|p| p as Arc<dyn Provider>)
            }
        }
    }
}

/// Store builders as providers; when a store's feature is off, the same
/// signature answering [`RepoError::NotBuilt`].
macro_rules! store_builder {
    ($fn:ident, $build:ident, $cfg:ty, $kind:literal) => {
        #[cfg(feature = $kind)]
        fn $fn(
            name: &str,
            c: &$cfg,
            ctx: &ProviderContext,
        ) -> Result<Arc<dyn Provider>, RepoError> {
            crate::store::$build(name, c, ctx).map(|p| p as Arc<dyn Provider>)
        }

        #[cfg(not(feature = $kind))]
        #[allow(clippy::unnecessary_wraps)]
        fn $fn(name: &str, _: &$cfg, _: &ProviderContext) -> Result<Arc<dyn Provider>, RepoError> {
            Err(RepoError::NotBuilt {
                provider: name.to_owned(),
                kind: $kind,
                feature: $kind,
            })
        }
    };
}

store_builder!(gcs, build_gcs, GcsConfig, "gcs");
store_builder!(s3, build_s3, S3Config, "s3");
store_builder!(azure, build_azure, AzureConfig, "azure");

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
    ///
    /// ```
    /// let a: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: a\npath: x\n").unwrap();
    /// let set = plugin_repo::ProviderSet::new(vec![a])?;
    /// assert_eq!(set.iter().count(), 1);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn new(providers: Vec<ProviderConfig>) -> Result<Self, RepoError> {
        let mut by_name = BTreeMap::new();
        for p in providers {
            if by_name.contains_key(&p.name) {
                return Err(RepoError::Config(ConfigError::DuplicateProvider {
                    name: p.name.clone(),
                }));
            }
            by_name.insert(p.name.clone(), p);
        }
        Ok(Self { by_name })
    }

    /// The provider called `name`; an error naming it and the defined ones
    /// when there is none.
    ///
    /// ```
    /// let a: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: a\npath: x\n").unwrap();
    /// let set = plugin_repo::ProviderSet::new(vec![a])?;
    /// assert_eq!(set.get("a")?.name, "a");
    /// let err = set.get("b").unwrap_err();
    /// assert!(err.to_string().contains("(defined: a)"), "{err}");
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<&ProviderConfig, RepoError> {
        self.by_name.get(name).ok_or_else(|| {
            RepoError::Config(ConfigError::UnknownProvider {
                name: name.to_owned(),
                defined: self.by_name.keys().cloned().collect(),
            })
        })
    }

    /// All providers, sorted by name.
    ///
    /// ```
    /// let parse = |y: &str| serde_saphyr::from_str::<plugin_repo::ProviderConfig>(y).unwrap();
    /// let set = plugin_repo::ProviderSet::new(vec![
    ///     parse("type: local\nname: b\npath: x\n"),
    ///     parse("type: local\nname: a\npath: y\n"),
    /// ])?;
    /// let names: Vec<&str> = set.iter().map(|p| p.name.as_str()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.by_name.values()
    }
}

#[cfg(all(test, not(feature = "s3")))]
mod tests {
    use crate::{ProviderContext, RepoError, Source};

    #[test]
    fn a_store_left_out_of_the_build_is_named_with_its_feature() {
        let source = Source::parse("s3://bucket/plugins/x.tar.gz", "/".as_ref()).unwrap();
        let err = source.provider(&ProviderContext::new("/")).unwrap_err();
        assert!(
            matches!(err, RepoError::NotBuilt { kind: "s3", .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("feature `s3`"), "{err}");
    }
}
