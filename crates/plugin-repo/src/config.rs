//! The form-1 provider entry of the manager config.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::SecretValue;

/// Provider types of the config's `type` key.
///
/// ```
/// let p: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: s3\nname: team\nbucket: b\n").unwrap();
/// assert_eq!(p.kind(), plugin_repo::ProviderKind::S3);
/// assert_eq!(p.kind().to_string(), "s3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// `http`: a base URL (http or https).
    Http,
    /// `gcs`: a Google Cloud Storage bucket.
    Gcs,
    /// `s3`: an S3 (or S3-compatible) bucket.
    S3,
    /// `azure`: an Azure Blob Storage container.
    Azure,
    /// `local`: a folder.
    Local,
}

impl ProviderKind {
    /// The spelling used in the config.
    ///
    /// ```
    /// assert_eq!(plugin_repo::ProviderKind::Azure.as_str(), "azure");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Http => "http",
            ProviderKind::Gcs => "gcs",
            ProviderKind::S3 => "s3",
            ProviderKind::Azure => "azure",
            ProviderKind::Local => "local",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `plugins.providers` (form 1). Strict: unknown keys, and keys
/// that belong to another provider type, are errors.
///
/// ```
/// let yaml = "type: http\nname: internal\nurl: https://plugins.example.org/optimus/\nauth:\n  bearer: {env: PLUGIN_TOKEN}\n";
/// let p: plugin_repo::ProviderConfig = serde_saphyr::from_str(yaml).unwrap();
/// assert_eq!(p.name, "internal");
/// assert_eq!(p.kind(), plugin_repo::ProviderKind::Http);
/// ```
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The name plugins refer to.
    pub name: String,
    /// The type-specific settings.
    pub settings: ProviderSettings,
}

impl ProviderConfig {
    /// The provider's type.
    ///
    /// ```
    /// let p: plugin_repo::ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: x\n").unwrap();
    /// assert_eq!(p.kind(), plugin_repo::ProviderKind::Local);
    /// ```
    pub fn kind(&self) -> ProviderKind {
        match &self.settings {
            ProviderSettings::Http(_) => ProviderKind::Http,
            ProviderSettings::Gcs(_) => ProviderKind::Gcs,
            ProviderSettings::S3(_) => ProviderKind::S3,
            ProviderSettings::Azure(_) => ProviderKind::Azure,
            ProviderSettings::Local(_) => ProviderKind::Local,
        }
    }
}

/// Type-specific provider settings.
///
/// ```
/// use plugin_repo::{ProviderConfig, ProviderSettings};
/// let p: ProviderConfig = serde_saphyr::from_str("type: gcs\nname: team\nbucket: plugins\nprefix: optimus/\n").unwrap();
/// let ProviderSettings::Gcs(gcs) = &p.settings else { panic!("not gcs") };
/// assert_eq!(gcs.bucket, "plugins");
/// ```
#[derive(Debug, Clone)]
pub enum ProviderSettings {
    /// `type: http`.
    Http(HttpConfig),
    /// `type: gcs`.
    Gcs(GcsConfig),
    /// `type: s3`.
    S3(S3Config),
    /// `type: azure`.
    Azure(AzureConfig),
    /// `type: local`.
    Local(LocalConfig),
}

/// `type: http` settings.
///
/// `Debug` shows the URL without user info, query or fragment (they may
/// hold a password or a signature):
///
/// ```
/// let cfg = plugin_repo::HttpConfig {
///     url: "https://u:hunter2@plugins.example.org/p/?sig=abc".into(),
///     ..Default::default()
/// };
/// let shown = format!("{cfg:?}");
/// assert!(shown.contains("https://plugins.example.org/p/"));
/// assert!(!shown.contains("hunter2") && !shown.contains("sig=abc"));
/// ```
#[derive(Clone, Default)]
pub struct HttpConfig {
    /// Base URL (`http://` or `https://`); artifact paths are joined to it.
    /// Its query string (e.g. a SAS token) is sent with every request.
    pub url: String,
    /// Credentials sent to the base URL's host (never to another host).
    pub auth: HttpAuth,
    /// Whether `.netrc` credentials are used when `auth` is empty
    /// (default: true, as go-getter does).
    pub netrc: bool,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = url::Url::parse(self.url.trim()).map_or_else(
            |_| "<not a valid URL; not shown>".to_owned(),
            |u| crate::source::redacted_url(&u),
        );
        f.debug_struct("HttpConfig")
            .field("url", &url)
            .field("auth", &self.auth)
            .field("netrc", &self.netrc)
            .finish()
    }
}

/// Credentials for an http provider. At most one of `bearer` and `basic`;
/// `headers` may be combined with either.
///
/// ```
/// use plugin_repo::{ProviderConfig, ProviderSettings};
/// let yaml = "type: http\nname: internal\nurl: https://h/\nauth:\n  headers:\n    X-Api-Key: {env: API_KEY}\n";
/// let p: ProviderConfig = serde_saphyr::from_str(yaml).unwrap();
/// let ProviderSettings::Http(http) = &p.settings else { panic!("not http") };
/// assert!(http.auth.headers.contains_key("X-Api-Key"));
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAuth {
    /// `Authorization: Bearer <token>`.
    pub bearer: Option<SecretValue>,
    /// `Authorization: Basic ...`.
    pub basic: Option<BasicAuth>,
    /// Extra request headers (e.g. `X-Api-Key`), each value a secret.
    #[serde(default)]
    pub headers: BTreeMap<String, SecretValue>,
}

impl HttpAuth {
    /// No credentials configured.
    ///
    /// ```
    /// assert!(plugin_repo::HttpAuth::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.bearer.is_none() && self.basic.is_none() && self.headers.is_empty()
    }
}

/// HTTP basic credentials.
///
/// ```
/// use plugin_repo::{ProviderConfig, ProviderSettings};
/// let yaml = "type: http\nname: internal\nurl: https://h/\nauth:\n  basic:\n    username: ci\n    password: {file: /run/secrets/pw}\n";
/// let p: ProviderConfig = serde_saphyr::from_str(yaml).unwrap();
/// let ProviderSettings::Http(http) = &p.settings else { panic!("not http") };
/// assert!(http.auth.basic.is_some());
/// // Debug never shows a secret's value.
/// assert!(!format!("{p:?}").contains("ci\""));
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// User name (may also come from env or file).
    pub username: SecretValue,
    /// Password.
    pub password: SecretValue,
}

/// `type: gcs` settings.
#[derive(Debug, Clone, Default)]
pub struct GcsConfig {
    /// Bucket name.
    pub bucket: String,
    /// Folder inside the bucket that paths are relative to.
    pub prefix: Option<String>,
    /// Service-account key: base64-encoded JSON, raw JSON, or the path of a
    /// JSON file. Absent: application default credentials.
    pub service_account: Option<SecretValue>,
    /// Storage API base URL override (emulators), e.g. `http://127.0.0.1:4443`.
    pub endpoint: Option<String>,
    /// Send unauthenticated requests (public buckets, emulators).
    pub anonymous: bool,
}

/// `type: s3` settings.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Folder inside the bucket that paths are relative to.
    pub prefix: Option<String>,
    /// Region (default `us-east-1`, or `AWS_REGION`).
    pub region: Option<String>,
    /// Endpoint override for S3-compatible stores, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`). Default: true when an
    /// endpoint is set, else false (virtual-hosted style).
    pub path_style: Option<bool>,
    /// Access key id. Absent: the standard AWS chain.
    pub access_key_id: Option<SecretValue>,
    /// Secret access key.
    pub secret_access_key: Option<SecretValue>,
    /// Session token for temporary credentials.
    pub session_token: Option<SecretValue>,
    /// Send unsigned requests (public buckets).
    pub anonymous: bool,
}

/// `type: azure` settings.
#[derive(Debug, Clone, Default)]
pub struct AzureConfig {
    /// Storage account name (not needed with `use_emulator`).
    pub account: Option<String>,
    /// Container name.
    pub container: String,
    /// Folder inside the container that paths are relative to.
    pub prefix: Option<String>,
    /// Storage account access key.
    pub access_key: Option<SecretValue>,
    /// SAS token (query string, with or without the leading `?`).
    pub sas_token: Option<SecretValue>,
    /// Blob endpoint override, e.g. `http://127.0.0.1:10000/devstoreaccount1`.
    pub endpoint: Option<String>,
    /// Use the Azurite emulator's well-known account and key.
    pub use_emulator: bool,
    /// Send unauthenticated requests (public containers).
    pub anonymous: bool,
}

/// `type: local` settings.
///
/// ```
/// use plugin_repo::{ProviderConfig, ProviderSettings};
/// let p: ProviderConfig = serde_saphyr::from_str("type: local\nname: dev\npath: ../dist\n").unwrap();
/// let ProviderSettings::Local(local) = &p.settings else { panic!("not local") };
/// assert_eq!(local.path, std::path::Path::new("../dist"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LocalConfig {
    /// Folder; relative paths resolve against the config file's directory.
    pub path: PathBuf,
}

/// Flat form of every key, so the YAML deserializer reports unknown keys
/// with their position (an internally tagged enum would buffer the map and
/// lose it). Checked per type afterwards.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    #[serde(rename = "type")]
    kind: ProviderKind,
    name: String,
    url: Option<String>,
    auth: Option<HttpAuth>,
    netrc: Option<bool>,
    bucket: Option<String>,
    prefix: Option<String>,
    service_account: Option<SecretValue>,
    endpoint: Option<String>,
    anonymous: Option<bool>,
    region: Option<String>,
    path_style: Option<bool>,
    access_key_id: Option<SecretValue>,
    secret_access_key: Option<SecretValue>,
    session_token: Option<SecretValue>,
    account: Option<String>,
    container: Option<String>,
    access_key: Option<SecretValue>,
    sas_token: Option<SecretValue>,
    use_emulator: Option<bool>,
    path: Option<PathBuf>,
}

impl RawProvider {
    fn present_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut add = |set: bool, key: &'static str| {
            if set {
                keys.push(key);
            }
        };
        add(self.url.is_some(), "url");
        add(self.auth.is_some(), "auth");
        add(self.netrc.is_some(), "netrc");
        add(self.bucket.is_some(), "bucket");
        add(self.prefix.is_some(), "prefix");
        add(self.service_account.is_some(), "service_account");
        add(self.endpoint.is_some(), "endpoint");
        add(self.anonymous.is_some(), "anonymous");
        add(self.region.is_some(), "region");
        add(self.path_style.is_some(), "path_style");
        add(self.access_key_id.is_some(), "access_key_id");
        add(self.secret_access_key.is_some(), "secret_access_key");
        add(self.session_token.is_some(), "session_token");
        add(self.account.is_some(), "account");
        add(self.container.is_some(), "container");
        add(self.access_key.is_some(), "access_key");
        add(self.sas_token.is_some(), "sas_token");
        add(self.use_emulator.is_some(), "use_emulator");
        add(self.path.is_some(), "path");
        keys
    }

    fn allowed(kind: ProviderKind) -> &'static [&'static str] {
        match kind {
            ProviderKind::Http => &["url", "auth", "netrc"],
            ProviderKind::Gcs => &[
                "bucket",
                "prefix",
                "service_account",
                "endpoint",
                "anonymous",
            ],
            ProviderKind::S3 => &[
                "bucket",
                "prefix",
                "region",
                "endpoint",
                "path_style",
                "access_key_id",
                "secret_access_key",
                "session_token",
                "anonymous",
            ],
            ProviderKind::Azure => &[
                "account",
                "container",
                "prefix",
                "access_key",
                "sas_token",
                "endpoint",
                "use_emulator",
                "anonymous",
            ],
            ProviderKind::Local => &["path"],
        }
    }

    fn into_config(self) -> Result<ProviderConfig, String> {
        let kind = self.kind;
        let name = self.name.clone();
        if name.trim().is_empty() {
            return Err(format!("provider of type {kind}: `name` must not be empty"));
        }
        let allowed = Self::allowed(kind);
        let wrong: Vec<&str> = self
            .present_keys()
            .into_iter()
            .filter(|k| !allowed.contains(k))
            .collect();
        if !wrong.is_empty() {
            return Err(format!(
                "provider {name:?} (type {kind}): key(s) {} do not apply to type {kind}; allowed: type, name, {}",
                wrong
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                allowed.join(", ")
            ));
        }
        let need = |v: Option<String>, key: &str| -> Result<String, String> {
            match v {
                Some(s) if !s.trim().is_empty() => Ok(s),
                _ => Err(format!(
                    "provider {name:?} (type {kind}): `{key}` is required"
                )),
            }
        };
        let settings = match kind {
            ProviderKind::Http => {
                let auth = self.auth.unwrap_or_default();
                if auth.bearer.is_some() && auth.basic.is_some() {
                    return Err(format!(
                        "provider {name:?} (type http): `auth` takes `bearer` or `basic`, not both"
                    ));
                }
                ProviderSettings::Http(HttpConfig {
                    url: need(self.url, "url")?,
                    auth,
                    netrc: self.netrc.unwrap_or(true),
                })
            }
            ProviderKind::Gcs => ProviderSettings::Gcs(GcsConfig {
                bucket: need(self.bucket, "bucket")?,
                prefix: self.prefix,
                service_account: self.service_account,
                endpoint: self.endpoint,
                anonymous: self.anonymous.unwrap_or(false),
            }),
            ProviderKind::S3 => {
                if self.access_key_id.is_some() != self.secret_access_key.is_some() {
                    return Err(format!(
                        "provider {name:?} (type s3): `access_key_id` and `secret_access_key` go together"
                    ));
                }
                ProviderSettings::S3(S3Config {
                    bucket: need(self.bucket, "bucket")?,
                    prefix: self.prefix,
                    region: self.region,
                    endpoint: self.endpoint,
                    path_style: self.path_style,
                    access_key_id: self.access_key_id,
                    secret_access_key: self.secret_access_key,
                    session_token: self.session_token,
                    anonymous: self.anonymous.unwrap_or(false),
                })
            }
            ProviderKind::Azure => {
                let use_emulator = self.use_emulator.unwrap_or(false);
                if self.account.is_none() && !use_emulator {
                    return Err(format!(
                        "provider {name:?} (type azure): `account` is required (or `use_emulator: true`)"
                    ));
                }
                if self.access_key.is_some() && self.sas_token.is_some() {
                    return Err(format!(
                        "provider {name:?} (type azure): give `access_key` or `sas_token`, not both"
                    ));
                }
                ProviderSettings::Azure(AzureConfig {
                    account: self.account,
                    container: need(self.container, "container")?,
                    prefix: self.prefix,
                    access_key: self.access_key,
                    sas_token: self.sas_token,
                    endpoint: self.endpoint,
                    use_emulator,
                    anonymous: self.anonymous.unwrap_or(false),
                })
            }
            ProviderKind::Local => match self.path {
                Some(p) if !p.as_os_str().is_empty() => {
                    ProviderSettings::Local(LocalConfig { path: p })
                }
                _ => {
                    return Err(format!(
                        "provider {name:?} (type local): `path` is required"
                    ));
                }
            },
        };
        Ok(ProviderConfig { name, settings })
    }
}

impl<'de> Deserialize<'de> for ProviderConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawProvider::deserialize(d)?
            .into_config()
            .map_err(de::Error::custom)
    }
}
