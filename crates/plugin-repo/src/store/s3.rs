//! The s3 provider's builder (object_store's `aws`, feature `s3`).

use std::sync::Arc;

use secrecy::ExposeSecret;

use super::StoreProvider;
use super::options::{build_err, client_options, config_err, is_http, retry_config, wrap};
use crate::ProviderContext;
use crate::RepoError;
use crate::config::S3Config;

pub(crate) fn build_s3(
    name: &str,
    c: &S3Config,
    ctx: &ProviderContext,
) -> Result<Arc<StoreProvider>, RepoError> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    let endpoint = c
        .endpoint
        .clone()
        .or_else(|| ctx.var("AWS_ENDPOINT_URL_S3"))
        .or_else(|| ctx.var("AWS_ENDPOINT_URL"));
    let region = c
        .region
        .clone()
        .or_else(|| ctx.var("AWS_REGION"))
        .or_else(|| ctx.var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let path_style = c.path_style.unwrap_or(endpoint.is_some());
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(&c.bucket)
        .with_region(&region)
        .with_client_options(client_options(ctx, is_http(endpoint.as_deref())))
        .with_retry(retry_config());
    if let Some(e) = &endpoint {
        let e = e.trim_end_matches('/');
        if path_style {
            b = b.with_endpoint(e);
        } else {
            // Virtual-hosted style with a custom endpoint: the bucket is
            // part of the host.
            let mut url = url::Url::parse(e)
                .map_err(|err| config_err(name, format!("endpoint is not a valid URL: {err}")))?;
            let host = url.host_str().unwrap_or_default().to_owned();
            url.set_host(Some(&format!("{}.{host}", c.bucket)))
                .map_err(|err| config_err(name, format!("endpoint: {err}")))?;
            b = b.with_endpoint(url.as_str().trim_end_matches('/'));
        }
        b = b.with_virtual_hosted_style_request(!path_style);
    } else {
        b = b.with_virtual_hosted_style_request(!path_style);
    }
    if c.anonymous {
        b = b.with_skip_signature(true);
    } else if let (Some(id), Some(secret)) = (&c.access_key_id, &c.secret_access_key) {
        let id = id.resolve(ctx, &format!("provider {name:?}: access_key_id"))?;
        let secret = secret.resolve(ctx, &format!("provider {name:?}: secret_access_key"))?;
        b = b
            .with_access_key_id(id.expose_secret())
            .with_secret_access_key(secret.expose_secret());
        if let Some(t) = &c.session_token {
            let t = t.resolve(ctx, &format!("provider {name:?}: session_token"))?;
            b = b.with_token(t.expose_secret());
        }
    } else {
        // The standard chain, read through the env lookup: static keys,
        // web identity (EKS/IRSA), container credentials (ECS/EKS pod
        // identity); object_store then falls back to instance metadata.
        for (var, key) in [
            ("AWS_ACCESS_KEY_ID", AmazonS3ConfigKey::AccessKeyId),
            ("AWS_SECRET_ACCESS_KEY", AmazonS3ConfigKey::SecretAccessKey),
            ("AWS_SESSION_TOKEN", AmazonS3ConfigKey::Token),
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                AmazonS3ConfigKey::WebIdentityTokenFile,
            ),
            ("AWS_ROLE_ARN", AmazonS3ConfigKey::RoleArn),
            ("AWS_ROLE_SESSION_NAME", AmazonS3ConfigKey::RoleSessionName),
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                AmazonS3ConfigKey::ContainerCredentialsRelativeUri,
            ),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                AmazonS3ConfigKey::ContainerCredentialsFullUri,
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                AmazonS3ConfigKey::ContainerAuthorizationTokenFile,
            ),
        ] {
            if let Some(v) = ctx.var(var) {
                b = b.with_config(key, v);
            }
        }
    }
    let store = b.build().map_err(|e| build_err(name, "s3", &e))?;
    Ok(wrap(
        name,
        "s3",
        Arc::new(store),
        c.prefix.as_deref(),
        ctx,
        true,
    ))
}
