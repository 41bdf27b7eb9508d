//! gcs, s3, azure and local providers (object_store builders, never
//! `parse_url_opts`, which drops unknown keys silently).

use std::fmt;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, RetryConfig};
use secrecy::ExposeSecret;

use crate::config::{AzureConfig, GcsConfig, LocalConfig, S3Config};
use crate::resume::{self, Failure, Opened, Opener, Policy, Target};
use crate::{ArtifactMeta, Fetched, ListedObject, Provider, ProviderContext, RepoError};

/// The Azurite emulator's documented, public development account.
const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A bucket, container or folder.
#[derive(Clone)]
pub(crate) struct StoreProvider {
    name: String,
    kind: &'static str,
    store: Arc<dyn ObjectStore>,
    /// Folder inside the bucket, without leading/trailing `/`; may be empty.
    prefix: String,
    policy: Policy,
    /// Whether unclassified store errors are worth retrying (network stores
    /// yes, local files no).
    network: bool,
}

impl fmt::Debug for StoreProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreProvider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn config_err(name: &str, msg: impl fmt::Display) -> RepoError {
    RepoError::Config(format!("provider {name:?}: {msg}"))
}

/// Client options: connect timeout, no total timeout (it would cut large
/// downloads). The first-byte and idle-read timeouts are applied around
/// every request and body by the resume layer; object_store's own retries
/// are off (we retry and resume).
fn client_options(ctx: &ProviderContext, allow_http: bool) -> ClientOptions {
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

fn retry_config() -> RetryConfig {
    RetryConfig {
        max_retries: 0,
        ..RetryConfig::default()
    }
}

fn clean_prefix(p: Option<&str>) -> String {
    p.unwrap_or("").trim_matches('/').to_owned()
}

fn is_http(endpoint: Option<&str>) -> bool {
    endpoint.is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("http://"))
}

fn wrap(
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

/// Builder errors may quote configuration values: keep only the kind.
fn build_err(name: &str, kind: &str, e: &object_store::Error) -> RepoError {
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

pub(crate) fn build_local(
    name: &str,
    c: &LocalConfig,
    ctx: &ProviderContext,
) -> Result<Arc<StoreProvider>, RepoError> {
    let root = ctx.resolve_path(&c.path);
    if !root.is_dir() {
        return Err(config_err(
            name,
            format!("path {} is not a folder", root.display()),
        ));
    }
    let store = object_store::local::LocalFileSystem::new_with_prefix(&root)
        .map_err(|e| config_err(name, format!("path {}: {e}", root.display())))?;
    Ok(wrap(name, "local", Arc::new(store), None, ctx, false))
}

/// `Last-Modified` (HTTP date) as RFC 3339.
pub(crate) fn http_date_to_rfc3339(v: &str) -> Option<String> {
    let t = httpdate::parse_http_date(v).ok()?;
    let ts = jiff::Timestamp::try_from(t).ok()?;
    Some(ts.to_string())
}

impl StoreProvider {
    fn key(&self, path: &str) -> Result<StorePath, RepoError> {
        let p = path.trim_start_matches('/');
        let full = if self.prefix.is_empty() {
            p.to_owned()
        } else if p.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}/{p}", self.prefix)
        };
        StorePath::parse(&full).map_err(|e| {
            RepoError::Config(format!(
                "provider {:?}: invalid path {path:?}: {e}",
                self.name
            ))
        })
    }

    fn target(&self, path: &str) -> Target {
        Target {
            provider: self.name.clone(),
            path: path.to_owned(),
        }
    }

    fn failure(&self, path: &str, e: &object_store::Error) -> Failure {
        use object_store::Error as E;
        match e {
            E::NotFound { .. } => Failure::Fatal(RepoError::NotFound {
                provider: self.name.clone(),
                path: path.to_owned(),
                status: String::new(),
            }),
            E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
                Failure::Fatal(RepoError::Denied {
                    provider: self.name.clone(),
                    path: path.to_owned(),
                    detail: format!(
                        "{} refused the request: {}",
                        self.kind,
                        status_of(e).unwrap_or_else(|| "permission denied".into())
                    ),
                })
            }
            E::Precondition { .. } => Failure::Fatal(resume::changed_error(&self.target(path))),
            E::Generic { source, .. } => {
                let status = retry_status(source.as_ref());
                match status {
                    Some(404) => Failure::Fatal(RepoError::NotFound {
                        provider: self.name.clone(),
                        path: path.to_owned(),
                        status: " (HTTP 404)".into(),
                    }),
                    Some(c @ (401 | 403)) => Failure::Fatal(RepoError::Denied {
                        provider: self.name.clone(),
                        path: path.to_owned(),
                        detail: format!("HTTP {c}"),
                    }),
                    Some(c) if !crate::retry::is_transient_status(c) => {
                        Failure::Fatal(RepoError::Other {
                            provider: self.name.clone(),
                            path: path.to_owned(),
                            detail: format!("HTTP {c}"),
                        })
                    }
                    _ if self.network => Failure::transient(short_error(e)),
                    _ => Failure::Fatal(RepoError::Other {
                        provider: self.name.clone(),
                        path: path.to_owned(),
                        detail: short_error(e),
                    }),
                }
            }
            _ => Failure::Fatal(RepoError::Other {
                provider: self.name.clone(),
                path: path.to_owned(),
                detail: short_error(e),
            }),
        }
    }
}

/// The HTTP status inside an object_store error, if it came from a
/// response (object_store's retry error type is private: read its message).
fn retry_status(source: &(dyn std::error::Error + 'static)) -> Option<u16> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(source);
    while let Some(e) = cur {
        let text = e.to_string();
        if let Some((_, rest)) = text.split_once("status code: ") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(code) = digits.parse() {
                return Some(code);
            }
        }
        cur = e.source();
    }
    None
}

fn status_of(e: &object_store::Error) -> Option<String> {
    use std::error::Error as _;
    e.source()
        .and_then(retry_status)
        .map(|c| format!("HTTP {c}"))
}

/// An object_store error without request URLs (they may carry a SAS query).
fn short_error(e: &object_store::Error) -> String {
    use std::error::Error as _;
    let mut parts = vec![strip_urls(&e.to_string())];
    let mut src = e.source();
    while let Some(s) = src {
        let t = strip_urls(&s.to_string());
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// Removes query strings from URLs quoted in a message.
fn strip_urls(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for word in msg.split_inclusive(char::is_whitespace) {
        if (word.contains("://") || word.contains("http")) && word.contains('?') {
            let (head, _) = word.split_once('?').unwrap_or((word, ""));
            out.push_str(head);
            if word.ends_with(char::is_whitespace) {
                out.push(' ');
            }
        } else {
            out.push_str(word);
        }
    }
    out
}

fn meta_of(m: &object_store::ObjectMeta) -> ArtifactMeta {
    ArtifactMeta {
        size: Some(m.size),
        etag: m.e_tag.clone(),
        version: m.version.clone(),
        last_modified: Some(m.last_modified.to_rfc3339()),
    }
}

struct StoreOpener {
    provider: StoreProvider,
    path: String,
    key: StorePath,
}

#[async_trait::async_trait]
impl Opener for StoreOpener {
    async fn open(&self, offset: u64, etag: Option<&str>) -> Result<Opened, Failure> {
        let p = self.provider.clone();
        let opts = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            if_match: if offset > 0 {
                etag.map(str::to_owned)
            } else {
                None
            },
            ..GetOptions::default()
        };
        let res = p
            .store
            .get_opts(&self.key, opts)
            .await
            .map_err(|e| p.failure(&self.path, &e))?;
        if res.range.start != offset {
            return Err(Failure::transient("store answered with a different range"));
        }
        let meta = meta_of(&res.meta);
        let path = self.path.clone();
        let body = res
            .into_stream()
            .map(move |r| r.map_err(|e| p.failure(&path, &e)))
            .boxed();
        Ok(Opened {
            meta,
            skip: 0,
            body,
        })
    }
}

#[async_trait::async_trait]
impl Provider for StoreProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn head(&self, path: &str) -> Result<ArtifactMeta, RepoError> {
        let key = self.key(path)?;
        resume::with_retries(&self.policy, &self.target(path), || async {
            self.store
                .head(&key)
                .await
                .map(|m| meta_of(&m))
                .map_err(|e| self.failure(path, &e))
        })
        .await
    }

    async fn get(&self, path: &str) -> Result<Fetched, RepoError> {
        let key = self.key(path)?;
        let opener = Arc::new(StoreOpener {
            provider: self.clone(),
            path: path.to_owned(),
            key,
        });
        resume::resumable_get(opener, self.policy, self.target(path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, RepoError> {
        let trimmed = prefix.trim_matches('/');
        let key = if trimmed.is_empty() && self.prefix.is_empty() {
            None
        } else {
            Some(self.key(trimmed)?)
        };
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let objects: Vec<object_store::ObjectMeta> =
            resume::with_retries(&self.policy, &self.target(prefix), || async {
                self.store
                    .list(key.as_ref())
                    .try_collect::<Vec<_>>()
                    .await
                    .map_err(|e| self.failure(prefix, &e))
            })
            .await?;
        let mut out: Vec<ListedObject> = objects
            .into_iter()
            .filter_map(|m| {
                let full = m.location.to_string();
                full.strip_prefix(&strip).map(|p| ListedObject {
                    path: p.to_owned(),
                    size: m.size,
                })
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}
