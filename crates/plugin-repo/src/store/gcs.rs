//! The gcs provider's builder (object_store's `gcp`, feature `gcs`).

use std::sync::Arc;

use secrecy::ExposeSecret;

use super::StoreProvider;
use super::options::{build_err, client_options, config_err, is_http, retry_config, wrap};
use crate::ProviderContext;
use crate::RepoError;
use crate::config::GcsConfig;

pub(crate) fn build_gcs(
    name: &str,
    c: &GcsConfig,
    ctx: &ProviderContext,
) -> Result<Arc<StoreProvider>, RepoError> {
    use object_store::gcp::GoogleCloudStorageBuilder;
    let mut endpoint = c.endpoint.clone();
    let mut anonymous = c.anonymous;
    // The usual emulator variable, only for sources (no config endpoint).
    if endpoint.is_none()
        && let Some(host) = ctx.var("STORAGE_EMULATOR_HOST")
    {
        endpoint = Some(if host.contains("://") {
            host
        } else {
            format!("http://{host}")
        });
        anonymous = c.service_account.is_none();
    }
    let mut b = GoogleCloudStorageBuilder::new()
        .with_bucket_name(&c.bucket)
        .with_client_options(client_options(ctx, is_http(endpoint.as_deref())))
        .with_retry(retry_config());
    if let Some(e) = &endpoint {
        b = b.with_base_url(e.trim_end_matches('/'));
    }
    if let Some(sa) = &c.service_account {
        let what = format!("provider {name:?}: service_account");
        let value = sa.resolve(ctx, &what)?;
        let json = service_account_json(value.expose_secret(), ctx)
            .map_err(|m| config_err(name, format!("service_account: {m}")))?;
        b = b.with_service_account_key(json);
    } else if anonymous {
        b = b.with_skip_signature(true);
    } else if let Some(path) = ctx.var("GOOGLE_APPLICATION_CREDENTIALS") {
        b = b.with_application_credentials(ctx.resolve_path(path.as_ref()).to_string_lossy());
    }
    if anonymous {
        b = b.with_skip_signature(true);
    }
    let store = b.build().map_err(|e| build_err(name, "gcs", &e))?;
    Ok(wrap(
        name,
        "gcs",
        Arc::new(store),
        c.prefix.as_deref(),
        ctx,
        true,
    ))
}

/// The service-account key as JSON text: raw JSON, base64 of it (the
/// design's form), or a path to a JSON file.
fn service_account_json(value: &str, ctx: &ProviderContext) -> Result<String, String> {
    use base64::Engine as _;
    let v = value.trim();
    if v.starts_with('{') {
        return Ok(v.to_owned());
    }
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        if let Ok(bytes) = engine.decode(compact.as_bytes())
            && let Ok(text) = String::from_utf8(bytes)
            && text.trim_start().starts_with('{')
        {
            return Ok(text);
        }
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        if let Ok(bytes) = engine.decode(compact.trim_end_matches('=').as_bytes())
            && let Ok(text) = String::from_utf8(bytes)
            && text.trim_start().starts_with('{')
        {
            return Ok(text);
        }
    }
    let path = ctx.resolve_path(v.as_ref());
    if !v.contains('\n') && path.is_file() {
        return std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    Err("not JSON, not base64-encoded JSON, and not a readable file".to_owned())
}
