//! The form-1 provider entry of the manager config.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_saphyr::Spanned;

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

/// One entry of `plugins.providers` as written, before its keys are
/// checked against its type: deserialize it (every key keeps its position)
/// and call [`ProviderEntry::check`], so a problem comes back with the
/// line and column of the key at fault as data.
///
/// Flat, so the YAML deserializer reports unknown keys with their position
/// (an internally tagged enum would buffer the map and lose it).
///
/// ```
/// let entry: plugin_repo::ProviderEntry =
///     serde_saphyr::from_str("type: http\nname: web\nurl: https://h/\nbucket: b\n").unwrap();
/// let problem = entry.check().unwrap_err();
/// assert_eq!(problem.key, Some("bucket"));
/// assert_eq!((problem.line, problem.column), (4, 9));
/// assert!(problem.message.contains("does not apply to type http"), "{}", problem.message);
/// ```
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    #[serde(rename = "type")]
    kind: ProviderKind,
    name: String,
    url: Option<Spanned<String>>,
    auth: Option<Spanned<HttpAuth>>,
    netrc: Option<Spanned<bool>>,
    bucket: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    service_account: Option<Spanned<SecretValue>>,
    endpoint: Option<Spanned<String>>,
    anonymous: Option<Spanned<bool>>,
    region: Option<Spanned<String>>,
    path_style: Option<Spanned<bool>>,
    access_key_id: Option<Spanned<SecretValue>>,
    secret_access_key: Option<Spanned<SecretValue>>,
    session_token: Option<Spanned<SecretValue>>,
    account: Option<Spanned<String>>,
    container: Option<Spanned<String>>,
    access_key: Option<Spanned<SecretValue>>,
    sas_token: Option<Spanned<SecretValue>>,
    use_emulator: Option<Spanned<bool>>,
    path: Option<Spanned<PathBuf>>,
}

/// Why a provider entry is refused ([`ProviderEntry::check`]): the message,
/// the key at fault and where its value is written (line and column 0:
/// the entry as a whole, e.g. a required key is missing). Never holds a
/// secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderProblem {
    /// What is wrong, naming the provider and the key.
    pub message: String,
    /// The key at fault, when one is.
    pub key: Option<&'static str>,
    /// 1-based line of that key's value (0: not known).
    pub line: u64,
    /// 1-based column of that key's value (0: not known).
    pub column: u64,
    /// How to fix it.
    pub help: Option<String>,
}

impl fmt::Display for ProviderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProviderProblem {}

type Pos = (u64, u64);

fn pos<T>(s: &Spanned<T>) -> Pos {
    (s.referenced.line(), s.referenced.column())
}

fn val<T>(s: Option<Spanned<T>>) -> Option<T> {
    s.map(|s| s.value)
}

impl ProviderEntry {
    fn present_keys(&self) -> Vec<(&'static str, Pos)> {
        let mut keys = Vec::new();
        let mut add = |at: Option<Pos>, key: &'static str| {
            if let Some(at) = at {
                keys.push((key, at));
            }
        };
        add(self.url.as_ref().map(pos), "url");
        add(self.auth.as_ref().map(pos), "auth");
        add(self.netrc.as_ref().map(pos), "netrc");
        add(self.bucket.as_ref().map(pos), "bucket");
        add(self.prefix.as_ref().map(pos), "prefix");
        add(self.service_account.as_ref().map(pos), "service_account");
        add(self.endpoint.as_ref().map(pos), "endpoint");
        add(self.anonymous.as_ref().map(pos), "anonymous");
        add(self.region.as_ref().map(pos), "region");
        add(self.path_style.as_ref().map(pos), "path_style");
        add(self.access_key_id.as_ref().map(pos), "access_key_id");
        add(
            self.secret_access_key.as_ref().map(pos),
            "secret_access_key",
        );
        add(self.session_token.as_ref().map(pos), "session_token");
        add(self.account.as_ref().map(pos), "account");
        add(self.container.as_ref().map(pos), "container");
        add(self.access_key.as_ref().map(pos), "access_key");
        add(self.sas_token.as_ref().map(pos), "sas_token");
        add(self.use_emulator.as_ref().map(pos), "use_emulator");
        add(self.path.as_ref().map(pos), "path");
        keys
    }

    /// The keys a provider of `kind` takes besides `type` and `name`.
    ///
    /// ```
    /// assert_eq!(plugin_repo::ProviderEntry::allowed(plugin_repo::ProviderKind::Local), ["path"]);
    /// ```
    pub fn allowed(kind: ProviderKind) -> &'static [&'static str] {
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

    /// The provider's name as written.
    ///
    /// ```
    /// let e: plugin_repo::ProviderEntry = serde_saphyr::from_str("type: local\nname: dev\n").unwrap();
    /// assert_eq!(e.name(), "dev");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the keys against the type and builds the provider.
    ///
    /// ```
    /// let e: plugin_repo::ProviderEntry = serde_saphyr::from_str("type: local\nname: dev\n").unwrap();
    /// let problem = e.check().unwrap_err();
    /// assert_eq!(problem.message, "provider \"dev\" (type local): `path` is required");
    /// assert_eq!((problem.key, problem.line), (Some("path"), 0));
    /// assert_eq!(problem.help.as_deref(), Some("add `path:` (the folder) to this provider"));
    /// ```
    #[allow(clippy::too_many_lines)]
    pub fn check(self) -> Result<ProviderConfig, ProviderProblem> {
        let kind = self.kind;
        let name = self.name.clone();
        let whole =
            |message: String, key: Option<&'static str>, help: Option<String>| ProviderProblem {
                message,
                key,
                line: 0,
                column: 0,
                help,
            };
        if name.trim().is_empty() {
            return Err(whole(
                format!("provider of type {kind}: `name` must not be empty"),
                Some("name"),
                Some("give the provider a name that plugins refer to".into()),
            ));
        }
        let allowed = Self::allowed(kind);
        if let Some((key, (line, column))) = self
            .present_keys()
            .into_iter()
            .find(|(k, _)| !allowed.contains(k))
        {
            return Err(ProviderProblem {
                message: format!("provider {name:?}: `{key}` does not apply to type {kind}"),
                key: Some(key),
                line,
                column,
                help: Some(format!(
                    "a provider of type {kind} takes type, name, {}",
                    allowed.join(", ")
                )),
            });
        }
        let need = |v: Option<Spanned<String>>, key: &'static str, what: &str| match v {
            Some(s) if !s.value.trim().is_empty() => Ok(s.value),
            Some(s) => Err(ProviderProblem {
                message: format!("provider {name:?} (type {kind}): `{key}` is empty"),
                key: Some(key),
                line: s.referenced.line(),
                column: s.referenced.column(),
                help: Some(format!("set `{key}` to {what}")),
            }),
            None => Err(whole(
                format!("provider {name:?} (type {kind}): `{key}` is required"),
                Some(key),
                Some(format!("add `{key}:` ({what}) to this provider")),
            )),
        };
        // URLs are checked here, where their place is known, with the
        // rule the providers apply when built (an http(s) URL with a host).
        let web_url = |v: &Option<Spanned<String>>, key: &'static str, example: &str| {
            let Some(s) = v else { return Ok(()) };
            let problem = match url::Url::parse(s.value.trim()) {
                Err(e) => format!("provider {name:?}: `{key}` is not a valid URL: {e}"),
                Ok(u)
                    if !matches!(u.scheme(), "http" | "https")
                        || u.host_str().is_none_or(str::is_empty) =>
                {
                    format!(
                        "provider {name:?}: `{key}` must be an http:// or https:// URL with a host"
                    )
                }
                Ok(_) => return Ok(()),
            };
            Err(ProviderProblem {
                message: problem,
                key: Some(key),
                line: s.referenced.line(),
                column: s.referenced.column(),
                help: Some(format!("for example `{key}: {example}`")),
            })
        };
        web_url(&self.url, "url", "https://plugins.example.org/optimus/")?;
        web_url(&self.endpoint, "endpoint", "http://127.0.0.1:9000")?;
        let settings = match kind {
            ProviderKind::Http => {
                let auth_at = self.auth.as_ref().map(pos).unwrap_or_default();
                let auth = val(self.auth).unwrap_or_default();
                if auth.bearer.is_some() && auth.basic.is_some() {
                    return Err(ProviderProblem {
                        message: format!(
                            "provider {name:?} (type http): `auth` takes `bearer` or `basic`, not both"
                        ),
                        key: Some("auth"),
                        line: auth_at.0,
                        column: auth_at.1,
                        help: Some("keep one of `bearer` and `basic`".into()),
                    });
                }
                ProviderSettings::Http(HttpConfig {
                    url: need(self.url, "url", "the base URL")?,
                    auth,
                    netrc: val(self.netrc).unwrap_or(true),
                })
            }
            ProviderKind::Gcs => ProviderSettings::Gcs(GcsConfig {
                bucket: need(self.bucket, "bucket", "the bucket's name")?,
                prefix: val(self.prefix),
                service_account: val(self.service_account),
                endpoint: val(self.endpoint),
                anonymous: val(self.anonymous).unwrap_or(false),
            }),
            ProviderKind::S3 => {
                if self.access_key_id.is_some() != self.secret_access_key.is_some() {
                    let (key, at) = match (&self.access_key_id, &self.secret_access_key) {
                        (Some(s), None) => ("access_key_id", pos(s)),
                        (None, Some(s)) => ("secret_access_key", pos(s)),
                        _ => ("access_key_id", (0, 0)),
                    };
                    return Err(ProviderProblem {
                        message: format!(
                            "provider {name:?} (type s3): `access_key_id` and `secret_access_key` go together"
                        ),
                        key: Some(key),
                        line: at.0,
                        column: at.1,
                        help: Some("give both keys, or neither (the standard AWS chain)".into()),
                    });
                }
                ProviderSettings::S3(S3Config {
                    bucket: need(self.bucket, "bucket", "the bucket's name")?,
                    prefix: val(self.prefix),
                    region: val(self.region),
                    endpoint: val(self.endpoint),
                    path_style: val(self.path_style),
                    access_key_id: val(self.access_key_id),
                    secret_access_key: val(self.secret_access_key),
                    session_token: val(self.session_token),
                    anonymous: val(self.anonymous).unwrap_or(false),
                })
            }
            ProviderKind::Azure => {
                let use_emulator = self.use_emulator.as_ref().is_some_and(|s| s.value);
                if self.account.is_none() && !use_emulator {
                    return Err(whole(
                        format!(
                            "provider {name:?} (type azure): `account` is required (or `use_emulator: true`)"
                        ),
                        Some("account"),
                        Some("add `account:` (the storage account) to this provider".into()),
                    ));
                }
                if let (Some(_), Some(sas)) = (&self.access_key, &self.sas_token) {
                    let (line, column) = pos(sas);
                    return Err(ProviderProblem {
                        message: format!(
                            "provider {name:?} (type azure): give `access_key` or `sas_token`, not both"
                        ),
                        key: Some("sas_token"),
                        line,
                        column,
                        help: Some("keep one of `access_key` and `sas_token`".into()),
                    });
                }
                ProviderSettings::Azure(AzureConfig {
                    account: val(self.account),
                    container: need(self.container, "container", "the container's name")?,
                    prefix: val(self.prefix),
                    access_key: val(self.access_key),
                    sas_token: val(self.sas_token),
                    endpoint: val(self.endpoint),
                    use_emulator,
                    anonymous: val(self.anonymous).unwrap_or(false),
                })
            }
            ProviderKind::Local => match self.path {
                Some(p) if !p.value.as_os_str().is_empty() => {
                    ProviderSettings::Local(LocalConfig { path: p.value })
                }
                Some(p) => {
                    return Err(ProviderProblem {
                        message: format!("provider {name:?} (type local): `path` is empty"),
                        key: Some("path"),
                        line: p.referenced.line(),
                        column: p.referenced.column(),
                        help: Some("set `path` to the folder".into()),
                    });
                }
                None => {
                    return Err(whole(
                        format!("provider {name:?} (type local): `path` is required"),
                        Some("path"),
                        Some("add `path:` (the folder) to this provider".into()),
                    ));
                }
            },
        };
        Ok(ProviderConfig { name, settings })
    }
}

impl<'de> Deserialize<'de> for ProviderConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ProviderEntry::deserialize(d)?
            .check()
            .map_err(de::Error::custom)
    }
}
