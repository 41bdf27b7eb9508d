//! What the store builders share: client options, the retry switch-off,
//! error wording and the wrapper into a provider.

use std::fmt;
use std::sync::Arc;

use object_store::ObjectStore;
#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
use object_store::{ClientOptions, RetryConfig};

use super::StoreProvider;
use crate::resume::Policy;
use crate::{ProviderContext, RepoError};

pub(crate) fn config_err(name: &str, msg: impl fmt::Display) -> RepoError {
    RepoError::provider_config(name, msg)
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
/// Client options: connect timeout, no total timeout (it would cut large
/// downloads). The first-byte and idle-read timeouts are applied around
/// every request and body by the resume layer; object_store's own retries
/// are off (we retry and resume).
pub(crate) fn client_options(ctx: &ProviderContext, allow_http: bool) -> ClientOptions {
    let mut o = ClientOptions::new()
        .with_connect_timeout(ctx.timeouts.connect)
        .with_timeout_disabled()
        .with_allow_http(allow_http);
    let pick = |upper: &str, lower: &str| ctx.var(lower).or_else(|| ctx.var(upper));
    if let Some(p) = pick("HTTPS_PROXY", "https_proxy").or_else(|| pick("ALL_PROXY", "all_proxy")) {
        o = o.with_proxy_url(p);
        if let Some(no) = pick("NO_PROXY", "no_proxy") {
            o = o.with_proxy_excludes(no);
        }
    }
    o
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
pub(crate) fn retry_config() -> RetryConfig {
    RetryConfig {
        max_retries: 0,
        ..RetryConfig::default()
    }
}

pub(crate) fn clean_prefix(p: Option<&str>) -> String {
    p.unwrap_or("").trim_matches('/').to_owned()
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
pub(crate) fn is_http(endpoint: Option<&str>) -> bool {
    endpoint.is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("http://"))
}

pub(crate) fn wrap(
    name: &str,
    kind: &'static str,
    store: Arc<dyn ObjectStore>,
    prefix: Option<&str>,
    ctx: &ProviderContext,
    network: bool,
) -> Arc<StoreProvider> {
    Arc::new(StoreProvider {
        name: name.to_owned(),
        kind,
        store,
        prefix: clean_prefix(prefix),
        policy: Policy::from_ctx(ctx),
        network,
    })
}

#[cfg(any(feature = "gcs", feature = "s3", feature = "azure"))]
/// Builder errors may quote configuration values: keep only the kind.
pub(crate) fn build_err(name: &str, kind: &str, e: &object_store::Error) -> RepoError {
    let msg = match e {
        object_store::Error::UnknownConfigurationKey { key, .. } => {
            format!("unknown {kind} option {key:?}")
        }
        object_store::Error::Generic { source, .. } => {
            // Credential decoding errors mention what failed, not the value.
            let s = source.to_string();
            if s.len() > 300 {
                "invalid configuration".to_owned()
            } else {
                s
            }
        }
        other => other.to_string(),
    };
    config_err(name, format!("cannot set up the {kind} client: {msg}"))
}
