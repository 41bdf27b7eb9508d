//! The azure provider's builder (object_store's `azure`, feature `azure`).

use std::sync::Arc;

use secrecy::ExposeSecret;

use super::StoreProvider;
use super::options::{build_err, client_options, config_err, is_http, retry_config, wrap};
use crate::ProviderContext;
use crate::RepoError;
use crate::config::AzureConfig;

/// The Azurite emulator's documented, public development account.
const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub(crate) fn build_azure(
    name: &str,
    c: &AzureConfig,
    ctx: &ProviderContext,
) -> Result<Arc<StoreProvider>, RepoError> {
    use object_store::azure::MicrosoftAzureBuilder;
    let emulator = c.use_emulator
        || (c.endpoint.is_none()
            && c.account.is_none()
            && ctx.var("AZURITE_BLOB_STORAGE_URL").is_some());
    let account = c
        .account
        .clone()
        .or_else(|| ctx.var("AZURE_STORAGE_ACCOUNT_NAME"))
        .or_else(|| emulator.then(|| EMULATOR_ACCOUNT.to_owned()))
        .ok_or_else(|| {
            config_err(
                name,
                "no storage account (`account`, or AZURE_STORAGE_ACCOUNT_NAME for sources)",
            )
        })?;
    let endpoint = c.endpoint.clone().or_else(|| {
        if emulator {
            let base = ctx
                .var("AZURITE_BLOB_STORAGE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:10000".to_owned());
            Some(format!("{}/{account}", base.trim_end_matches('/')))
        } else {
            ctx.var("AZURE_STORAGE_ENDPOINT")
        }
    });
    let mut b = MicrosoftAzureBuilder::new()
        .with_account(&account)
        .with_container_name(&c.container)
        .with_client_options(client_options(ctx, is_http(endpoint.as_deref())))
        .with_retry(retry_config());
    if let Some(e) = &endpoint {
        b = b.with_endpoint(e.trim_end_matches('/').to_owned());
    }
    let from_env = c.access_key.is_none() && c.sas_token.is_none() && !c.anonymous;
    if c.anonymous {
        b = b.with_skip_signature(true);
    } else if let Some(k) = &c.access_key {
        let k = k.resolve(ctx, &format!("provider {name:?}: access_key"))?;
        b = b.with_access_key(k.expose_secret());
    } else if let Some(s) = &c.sas_token {
        let s = s.resolve(ctx, &format!("provider {name:?}: sas_token"))?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(s.expose_secret().trim_start_matches('?').as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        b = b.with_sas_authorization(pairs);
    } else if from_env {
        if let Some(k) = ctx
            .var("AZURE_STORAGE_ACCOUNT_KEY")
            .or_else(|| ctx.var("AZURE_STORAGE_ACCESS_KEY"))
        {
            b = b.with_access_key(k);
        } else if let Some(s) = ctx.var("AZURE_STORAGE_SAS_TOKEN") {
            let pairs: Vec<(String, String)> =
                url::form_urlencoded::parse(s.trim_start_matches('?').as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            b = b.with_sas_authorization(pairs);
        } else if emulator {
            b = b.with_access_key(EMULATOR_KEY);
        }
    }
    let store = b.build().map_err(|e| build_err(name, "azure", &e))?;
    Ok(wrap(
        name,
        "azure",
        Arc::new(store),
        c.prefix.as_deref(),
        ctx,
        true,
    ))
}
