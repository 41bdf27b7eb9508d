//! http(s) provider (reqwest): base URL + path, auth, `.netrc`, redirects
//! that never carry credentials to another host, proxies from the env
//! lookup, ranged resume.

use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

mod response;

use response::{content_length, content_range, describe, meta_from};

use crate::client::{ClientSettings, Proxies, Redirects};
use crate::config::HttpConfig;
use crate::error::{AuthSent, Cause};
use crate::netrc::Netrc;
use crate::resume::{self, Failure, Opened, Opener, Policy, Target};
use crate::retry::{is_transient_status, parse_retry_after};
use crate::source::redacted_url;
use crate::{ArtifactMeta, Fetched, ListedObject, Provider, ProviderContext, RepoError};

const MAX_REDIRECTS: usize = 10;

/// Credentials resolved at build time.
#[derive(Clone, Default)]
struct Credentials {
    /// `Authorization` value.
    authorization: Option<SecretString>,
    /// Extra headers.
    headers: Vec<(HeaderName, SecretString)>,
}

impl Credentials {
    fn is_empty(&self) -> bool {
        self.authorization.is_none() && self.headers.is_empty()
    }
}

/// An http(s) base URL.
pub(crate) struct HttpProvider {
    name: String,
    base: Url,
    /// For a source URL: (its path, as [`crate::Source::path`] returns it,
    /// and the exact URL) so presigned URLs are sent byte for byte.
    exact: Option<(String, Url)>,
    client: reqwest::Client,
    creds: Credentials,
    netrc: Option<Netrc>,
    policy: Policy,
}

impl fmt::Debug for HttpProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpProvider")
            .field("name", &self.name)
            .field("base", &redacted_url(&self.base))
            .field("auth", &!self.creds.is_empty())
            .field("netrc", &self.netrc)
            .finish_non_exhaustive()
    }
}

fn config_err(name: &str, msg: impl fmt::Display) -> RepoError {
    RepoError::provider_config(name, msg)
}

fn sensitive(v: &SecretString, name: &str, what: &str) -> Result<HeaderValue, RepoError> {
    let mut hv = HeaderValue::from_str(v.expose_secret()).map_err(|_| {
        config_err(
            name,
            format!("{what} contains characters not allowed in an HTTP header"),
        )
    })?;
    hv.set_sensitive(true);
    Ok(hv)
}

/// Removes `user:password@` from `url` and returns it as a basic-auth
/// value (URL user info counts as basic auth, as go-getter does).
fn take_userinfo(url: &mut Url) -> Option<SecretString> {
    if url.username().is_empty() {
        return None;
    }
    let decode = |v: &str| {
        percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = decode(url.username());
    let pass = url.password().map(decode).unwrap_or_default();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(basic_value(&user, &pass))
}

fn basic_value(user: &str, password: &str) -> SecretString {
    use base64::Engine as _;
    let raw = format!("{user}:{password}");
    SecretString::from(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    ))
}

/// The context's shared client for these settings, built on first use.
fn client(ctx: &ProviderContext, name: &str) -> Result<reqwest::Client, RepoError> {
    // Everything `build_client` reads from the context. The key stays in
    // memory only (it may hold proxy credentials) and is never printed.
    let key = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ]
    .iter()
    .map(|k| ctx.var(k).unwrap_or_default())
    .fold(format!("{:?}", ctx.timeouts), |acc, v| acc + "\n" + &v);
    let mut cache = ctx
        .http_clients
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = cache.get(&key) {
        return Ok(c.clone());
    }
    let built = build_client(ctx, name)?;
    cache.insert(key, built.clone());
    Ok(built)
}

fn build_client(ctx: &ProviderContext, name: &str) -> Result<reqwest::Client, RepoError> {
    // Proxies come from the env lookup, not the process environment.
    let env = ctx.env.clone();
    ClientSettings::new()
        .connect_timeout(ctx.timeouts.connect)
        .read_timeout(ctx.timeouts.idle_read)
        .redirects(Redirects::None)
        .proxies(Proxies::FromEnv(env))
        .build()
        .map_err(|e| config_err(name, crate::error_chain(&e)))
}

fn check_url(name: &str, url: &Url) -> Result<(), RepoError> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(config_err(
            name,
            format!(
                "url {} must be an http:// or https:// URL with a host",
                redacted_url(url)
            ),
        ));
    }
    Ok(())
}

fn load_netrc(ctx: &ProviderContext, name: &str) -> Result<Option<Netrc>, RepoError> {
    match Netrc::path(ctx) {
        Some(p) => Netrc::load(&p).map_err(|m| config_err(name, format!(".netrc: {m}"))),
        None => Ok(None),
    }
}

pub(crate) fn build(
    name: &str,
    cfg: &HttpConfig,
    ctx: &ProviderContext,
) -> Result<Arc<HttpProvider>, RepoError> {
    let mut base = Url::parse(cfg.url.trim())
        .map_err(|e| config_err(name, format!("url is not a valid URL: {e}")))?;
    check_url(name, &base)?;
    if !base.path().ends_with('/') {
        let p = format!("{}/", base.path());
        base.set_path(&p);
    }
    let mut creds = Credentials::default();
    // URL user info counts as basic auth and is then removed from the URL.
    if let Some(basic) = take_userinfo(&mut base) {
        creds.authorization = Some(basic);
    }
    let auth = &cfg.auth;
    if let Some(b) = &auth.bearer {
        let token = b.resolve(ctx, &format!("provider {name:?}: auth.bearer"))?;
        creds.authorization = Some(SecretString::from(format!(
            "Bearer {}",
            token.expose_secret()
        )));
    }
    if let Some(basic) = &auth.basic {
        let user = basic
            .username
            .resolve(ctx, &format!("provider {name:?}: auth.basic.username"))?;
        let pass = basic
            .password
            .resolve(ctx, &format!("provider {name:?}: auth.basic.password"))?;
        creds.authorization = Some(basic_value(user.expose_secret(), pass.expose_secret()));
    }
    for (h, v) in &auth.headers {
        let hn = HeaderName::from_bytes(h.as_bytes()).map_err(|_| {
            config_err(
                name,
                format!("auth.headers: {h:?} is not a valid header name"),
            )
        })?;
        let val = v.resolve(ctx, &format!("provider {name:?}: auth.headers.{h}"))?;
        creds.headers.push((hn, val));
    }
    // Validate header values now rather than at the first request.
    if let Some(a) = &creds.authorization {
        sensitive(a, name, "auth")?;
    }
    for (h, v) in &creds.headers {
        sensitive(v, name, &format!("auth.headers.{h}"))?;
    }
    let netrc = if cfg.netrc && creds.is_empty() {
        load_netrc(ctx, name)?
    } else {
        None
    };
    Ok(Arc::new(HttpProvider {
        name: name.to_owned(),
        base,
        exact: None,
        client: client(ctx, name)?,
        creds,
        netrc,
        policy: Policy::from_ctx(ctx),
    }))
}

/// A provider for one source URL: `path` equal to the URL's last segment
/// fetches the URL exactly as given (minus go-getter options).
pub(crate) fn build_exact(
    name: &str,
    url: &Url,
    ctx: &ProviderContext,
) -> Result<Arc<HttpProvider>, RepoError> {
    check_url(name, url)?;
    let mut exact = url.clone();
    let mut creds = Credentials::default();
    if let Some(basic) = take_userinfo(&mut exact) {
        creds.authorization = Some(basic);
    }
    let last = exact
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("")
        .to_owned();
    let mut base = exact.clone();
    base.set_query(None);
    if let Ok(mut segs) = base.path_segments_mut() {
        segs.pop();
        segs.push("");
    }
    let netrc = if creds.is_empty() {
        load_netrc(ctx, name)?
    } else {
        None
    };
    Ok(Arc::new(HttpProvider {
        name: name.to_owned(),
        base,
        exact: Some((last, exact)),
        client: client(ctx, name)?,
        creds,
        netrc,
        policy: Policy::from_ctx(ctx),
    }))
}

impl HttpProvider {
    fn target(&self, path: &str) -> Target {
        Target {
            provider: self.name.clone(),
            path: path.to_owned(),
        }
    }

    /// The URL of `path` under the base: each segment percent-escaped, the
    /// base's query string kept.
    fn url_for(&self, path: &str) -> Result<Url, RepoError> {
        if let Some((p, url)) = &self.exact
            && p == path
        {
            return Ok(url.clone());
        }
        let trimmed = path.trim_start_matches('/');
        if trimmed.is_empty() {
            return Ok(self.base.clone());
        }
        if trimmed.split('/').any(|s| s == ".." || s == ".") {
            return Err(config_err(
                &self.name,
                format!("path {path:?} must not contain `.` or `..` segments"),
            ));
        }
        let mut url = self.base.clone();
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|()| config_err(&self.name, "url cannot have paths"))?;
            segs.pop_if_empty();
            segs.extend(trimmed.split('/'));
        }
        Ok(url)
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// Credentials for a request to `url`: the configured ones, else the
    /// `.netrc` entry of the base URL's host (`default` included), and only
    /// when `url` is on the base URL's origin. A redirect to another host
    /// gets none, whatever `.netrc` says about that host.
    fn auth_headers(&self, url: &Url) -> HeaderMap {
        let mut h = HeaderMap::new();
        if !self.same_origin(url) {
            return h;
        }
        if !self.creds.is_empty() {
            if let Some(a) = &self.creds.authorization
                && let Ok(v) = sensitive(a, &self.name, "auth")
            {
                h.insert(header::AUTHORIZATION, v);
            }
            for (n, v) in &self.creds.headers {
                if let Ok(v) = sensitive(v, &self.name, "header") {
                    h.insert(n.clone(), v);
                }
            }
        } else if let (Some(netrc), Some(host)) = (&self.netrc, self.base.host_str())
            && let Some(e) = netrc.lookup(host)
            && let Ok(v) = sensitive(
                &basic_value(e.login.expose_secret(), e.password.expose_secret()),
                &self.name,
                ".netrc",
            )
        {
            h.insert(header::AUTHORIZATION, v);
        }
        h
    }

    /// Sends one request, following redirects by hand so credentials (the
    /// config's and `.netrc`'s) only go to the base URL's origin.
    async fn send(
        &self,
        method: Method,
        path: &str,
        extra: &HeaderMap,
    ) -> Result<reqwest::Response, Failure> {
        let mut url = self.url_for(path).map_err(Failure::Fatal)?;
        for _ in 0..=MAX_REDIRECTS {
            let mut headers = self.auth_headers(&url);
            for (k, v) in extra {
                headers.insert(k.clone(), v.clone());
            }
            let resp = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| Failure::transient(describe(&e)))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(loc) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                else {
                    return Ok(resp);
                };
                url = url.join(loc).map_err(|_| {
                    Failure::Fatal(self.other(
                        path,
                        Cause::BadRedirect {
                            status: status.as_u16(),
                        },
                    ))
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(Failure::Fatal(self.other(path, Cause::NonHttpRedirect)));
                }
                continue;
            }
            return Ok(resp);
        }
        Err(Failure::Fatal(self.other(
            path,
            Cause::TooManyRedirects { max: MAX_REDIRECTS },
        )))
    }

    fn other(&self, path: &str, cause: Cause) -> RepoError {
        RepoError::Other {
            provider: self.name.clone(),
            path: path.to_owned(),
            cause,
        }
    }

    /// Maps a non-success status to a failure.
    fn status_failure(&self, path: &str, resp: &reqwest::Response) -> Failure {
        let status = resp.status();
        let code = status.as_u16();
        let reason = status.canonical_reason().unwrap_or("");
        match code {
            404 | 410 => Failure::Fatal(RepoError::NotFound {
                provider: self.name.clone(),
                path: path.to_owned(),
                status: format!(" (HTTP {code})"),
            }),
            401 | 403 => Failure::Fatal(RepoError::Denied {
                provider: self.name.clone(),
                path: path.to_owned(),
                cause: Cause::Status {
                    status: code,
                    credentials: Some(if self.creds.is_empty() && self.netrc.is_none() {
                        AuthSent::None
                    } else {
                        AuthSent::Refused
                    }),
                },
            }),
            412 => Failure::Fatal(self.other(path, Cause::Changed { http_412: true })),
            c if is_transient_status(c) => Failure::Transient {
                msg: format!("HTTP {code} {reason}"),
                retry_after: resp
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after),
            },
            _ => Failure::Fatal(self.other(
                path,
                Cause::Status {
                    status: code,
                    credentials: None,
                },
            )),
        }
    }
}

struct HttpOpener {
    provider: Arc<HttpProvider>,
    path: String,
}

#[async_trait::async_trait]
impl Opener for HttpOpener {
    async fn open(&self, offset: u64, etag: Option<&str>) -> Result<Opened, Failure> {
        let p = &self.provider;
        let mut extra = HeaderMap::new();
        if offset > 0 {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes={offset}-")) {
                extra.insert(header::RANGE, v);
            }
            // If-Match needs a strong validator.
            if let Some(tag) = etag.filter(|t| !t.starts_with("W/"))
                && let Ok(v) = HeaderValue::from_str(tag)
            {
                extra.insert(header::IF_MATCH, v);
            }
        }
        let resp = p.send(Method::GET, &self.path, &extra).await?;
        let status = resp.status();
        let (skip, total) = match status {
            StatusCode::OK => (offset, content_length(resp.headers())),
            StatusCode::PARTIAL_CONTENT => match content_range(resp.headers()) {
                Some((start, total)) if start == offset => (0, total),
                Some((start, total)) if start < offset => (offset - start, total),
                _ => {
                    return Err(Failure::transient(
                        "server answered a range request with an unusable Content-Range",
                    ));
                }
            },
            _ => return Err(p.status_failure(&self.path, &resp)),
        };
        let meta = meta_from(resp.headers(), total);
        let body = resp
            .bytes_stream()
            .map(|r| r.map_err(|e| Failure::transient(describe(&e))))
            .boxed();
        Ok(Opened { meta, skip, body })
    }
}

#[async_trait::async_trait]
impl Provider for HttpProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn head(&self, path: &str) -> Result<ArtifactMeta, RepoError> {
        self.url_for(path)?;
        resume::with_retries(&self.policy, &self.target(path), || async {
            let resp = self.send(Method::HEAD, path, &HeaderMap::new()).await?;
            if resp.status().is_success() {
                Ok(meta_from(resp.headers(), content_length(resp.headers())))
            } else {
                Err(self.status_failure(path, &resp))
            }
        })
        .await
    }

    async fn get(&self, path: &str) -> Result<Fetched, RepoError> {
        self.url_for(path)?;
        let me = Arc::new(self.clone_shallow());
        let opener = Arc::new(HttpOpener {
            provider: me,
            path: path.to_owned(),
        });
        resume::resumable_get(opener, self.policy, self.target(path)).await
    }

    async fn list(&self, _prefix: &str) -> Result<Vec<ListedObject>, RepoError> {
        Err(RepoError::Unsupported {
            provider: self.name.clone(),
            kind: "http",
            operation: "listing",
        })
    }
}

impl HttpProvider {
    /// A copy sharing the connection pool (reqwest clients are handles).
    fn clone_shallow(&self) -> HttpProvider {
        HttpProvider {
            name: self.name.clone(),
            base: self.base.clone(),
            exact: self.exact.clone(),
            client: self.client.clone(),
            creds: self.creds.clone(),
            netrc: self.netrc.clone(),
            policy: self.policy,
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn url_user_info_becomes_basic_auth_and_leaves_the_url() {
        let mut url = Url::parse("https://alice:p%40ss@host.invalid/x.tgz?sig=1").unwrap();
        let basic = take_userinfo(&mut url).unwrap();
        // base64("alice:p@ss")
        assert_eq!(basic.expose_secret(), "Basic YWxpY2U6cEBzcw==");
        assert_eq!(url.as_str(), "https://host.invalid/x.tgz?sig=1");
        assert!(take_userinfo(&mut url).is_none());
    }
}
