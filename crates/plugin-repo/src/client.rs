//! The one way the workspace sets up a [`reqwest::Client`]: rustls with
//! the system's roots plus optional extra CA certificates, per-phase
//! timeouts, a user agent, a redirect policy and where proxies come from.
//!
//! ```
//! use std::time::Duration;
//! use plugin_repo::client::{ClientSettings, Proxies, Redirects};
//!
//! let client = ClientSettings::new()
//!     .user_agent(concat!("my-tool/", env!("CARGO_PKG_VERSION")))
//!     .connect_timeout(Duration::from_secs(10))
//!     .read_timeout(Duration::from_secs(30))
//!     .redirects(Redirects::None)
//!     .proxies(Proxies::FromEnv(std::sync::Arc::new(|_key: &str| None)))
//!     .build()?;
//! # drop(client);
//! # Ok::<(), plugin_repo::RepoError>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::{EnvLookup, RepoError};

/// Which redirects the client follows by itself.
///
/// ```
/// use plugin_repo::client::{ClientSettings, Redirects};
/// // Credentials are sent by hand, so redirects are too.
/// let client = ClientSettings::new().redirects(Redirects::None).build()?;
/// # drop(client);
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// None: a 3xx comes back as the response. For clients that send
    /// credentials and follow redirects by hand (only to the same origin).
    None,
    /// Up to this many hops, then an error.
    Follow(usize),
}

/// Where the client's proxies come from.
///
/// ```
/// use std::sync::Arc;
/// use plugin_repo::client::{ClientSettings, Proxies};
/// let env: plugin_repo::EnvLookup = Arc::new(|k: &str| (k == "HTTPS_PROXY").then(|| "http://127.0.0.1:3128".to_owned()));
/// let client = ClientSettings::new().proxies(Proxies::FromEnv(env)).build()?;
/// # drop(client);
/// assert_eq!(format!("{:?}", Proxies::None), "None");
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Clone)]
pub enum Proxies {
    /// reqwest's own lookup (the process's `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`, lower case too).
    System,
    /// No proxy at all (e.g. for a loopback server).
    None,
    /// The same variables, read through an [`EnvLookup`] rather than the
    /// process environment; lower case wins over upper case, empty values
    /// count as unset.
    FromEnv(EnvLookup),
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proxies::System => "System",
            Proxies::None => "None",
            Proxies::FromEnv(_) => "FromEnv(..)",
        })
    }
}

/// Settings of one HTTP client; [`ClientSettings::build`] makes it.
///
/// Defaults: no timeouts, no user agent, redirects followed up to 10 hops
/// (reqwest's default), [`Proxies::System`], the system's roots only.
///
/// ```
/// use std::time::Duration;
/// use plugin_repo::client::{ClientSettings, Proxies};
/// let client = ClientSettings::new()
///     .user_agent("optimus-plugin/0.1")
///     .connect_timeout(Duration::from_secs(5))
///     .read_timeout(Duration::from_secs(30))
///     .proxies(Proxies::None)
///     .build()?;
/// # drop(client);
/// # Ok::<(), plugin_repo::RepoError>(())
/// ```
#[derive(Clone)]
pub struct ClientSettings {
    user_agent: Option<String>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    timeout: Option<Duration>,
    redirects: Redirects,
    proxies: Proxies,
    ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("timeout", &self.timeout)
            .field("redirects", &self.redirects)
            .field("proxies", &self.proxies)
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self::new()
    }
}

/// The proxy variables, in the order they are applied.
const PROXY_VARS: [(&str, &str); 3] = [
    ("HTTPS_PROXY", "https_proxy"),
    ("HTTP_PROXY", "http_proxy"),
    ("ALL_PROXY", "all_proxy"),
];

impl ClientSettings {
    /// The defaults.
    ///
    /// ```
    /// let client = plugin_repo::client::ClientSettings::new().build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    pub fn new() -> Self {
        Self {
            user_agent: None,
            connect_timeout: None,
            read_timeout: None,
            timeout: None,
            redirects: Redirects::Follow(10),
            proxies: Proxies::System,
            ca_pem: None,
        }
    }

    /// The `User-Agent` header of every request.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use plugin_repo::client::ClientSettings;
    /// let client = ClientSettings::new().user_agent("optimus-init/0.1").build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn user_agent(mut self, value: impl Into<String>) -> Self {
        self.user_agent = Some(value.into());
        self
    }

    /// Limit on TCP + TLS connect.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use plugin_repo::client::ClientSettings;
    /// let client = ClientSettings::new().connect_timeout(Duration::from_secs(5)).build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// Longest gap between two reads of a response (headers or body); a
    /// slow but steady download is never cut.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use plugin_repo::client::ClientSettings;
    /// let client = ClientSettings::new().read_timeout(Duration::from_secs(30)).build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = Some(d);
        self
    }

    /// Limit on a whole request, body included.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use plugin_repo::client::ClientSettings;
    /// let client = ClientSettings::new().timeout(Duration::from_mins(1)).build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// The redirect policy.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use plugin_repo::client::ClientSettings;
    /// let client = ClientSettings::new().redirects(plugin_repo::client::Redirects::Follow(3)).build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn redirects(mut self, r: Redirects) -> Self {
        self.redirects = r;
        self
    }

    /// Where proxies come from.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use plugin_repo::client::ClientSettings;
    /// let client = ClientSettings::new().proxies(plugin_repo::client::Proxies::None).build()?;
    /// # drop(client);
    /// # Ok::<(), plugin_repo::RepoError>(())
    /// ```
    #[must_use]
    pub fn proxies(mut self, p: Proxies) -> Self {
        self.proxies = p;
        self
    }

    /// PEM certificates (one or more) trusted besides the system's roots.
    ///
    /// ```
    /// use plugin_repo::client::ClientSettings;
    /// // Not PEM: building says which setting is wrong.
    /// let err = ClientSettings::new().ca_pem("-----BEGIN CERTIFICATE-----\nnope\n").build().unwrap_err();
    /// assert!(err.to_string().contains("CA certificates"), "{err}");
    /// ```
    #[must_use]
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Builds the client. Errors are [`RepoError::Client`], naming the
    /// setting at fault (`HTTPS_PROXY`, `CA certificates`, ...); a proxy
    /// URL is never repeated in the message (it may hold a password).
    ///
    /// ```
    /// use plugin_repo::client::ClientSettings;
    ///
    /// let err = ClientSettings::new().ca_pem(b"not a certificate".to_vec()).build().unwrap_err();
    /// assert!(err.to_string().contains("CA certificates"), "{err}");
    /// ```
    pub fn build(&self) -> Result<reqwest::Client, RepoError> {
        let mut b = reqwest::Client::builder().redirect(match self.redirects {
            Redirects::None => reqwest::redirect::Policy::none(),
            Redirects::Follow(n) => reqwest::redirect::Policy::limited(n),
        });
        if let Some(ua) = &self.user_agent {
            b = b.user_agent(ua.clone());
        }
        if let Some(d) = self.connect_timeout {
            b = b.connect_timeout(d);
        }
        if let Some(d) = self.read_timeout {
            b = b.read_timeout(d);
        }
        if let Some(d) = self.timeout {
            b = b.timeout(d);
        }
        if let Some(pem) = &self.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| client_err("CA certificates", "are not PEM certificates", Some(e)))?;
            if certs.is_empty() {
                return Err(client_err(
                    "CA certificates",
                    "hold no PEM certificate",
                    None,
                ));
            }
            b = b.tls_certs_merge(certs);
        }
        match &self.proxies {
            Proxies::System => {}
            Proxies::None => b = b.no_proxy(),
            Proxies::FromEnv(env) => {
                b = b.no_proxy();
                let var = |k: &str| env(k).filter(|v| !v.is_empty());
                let no_proxy = var("NO_PROXY")
                    .or_else(|| var("no_proxy"))
                    .and_then(|v| reqwest::NoProxy::from_string(&v));
                for (upper, lower) in PROXY_VARS {
                    let Some(url) = var(lower).or_else(|| var(upper)) else {
                        continue;
                    };
                    let proxy = match upper {
                        "HTTPS_PROXY" => reqwest::Proxy::https(&url),
                        "HTTP_PROXY" => reqwest::Proxy::http(&url),
                        _ => reqwest::Proxy::all(&url),
                    }
                    .map_err(|_| client_err(upper, "is not a valid proxy URL", None))?;
                    b = b.proxy(proxy.no_proxy(no_proxy.clone()));
                }
            }
        }
        b.build()
            .map_err(|e| client_err("HTTP client", "cannot be built", Some(e.without_url())))
    }
}

fn client_err(
    setting: &'static str,
    problem: &'static str,
    source: Option<reqwest::Error>,
) -> RepoError {
    RepoError::Client {
        setting,
        problem,
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_bad_proxy_is_named_without_its_value() {
        let env: EnvLookup =
            Arc::new(|k: &str| (k == "https_proxy").then(|| "http://user:hunter2@[bad".to_owned()));
        let err = ClientSettings::new()
            .proxies(Proxies::FromEnv(env))
            .build()
            .unwrap_err();
        let text = crate::error_chain(&err);
        assert!(
            text.contains("HTTPS_PROXY is not a valid proxy URL"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn every_setting_builds() {
        let env: EnvLookup = Arc::new(|k: &str| match k {
            "HTTP_PROXY" => Some("http://127.0.0.1:9".to_owned()),
            "no_proxy" => Some("localhost".to_owned()),
            _ => None,
        });
        for proxies in [Proxies::System, Proxies::None, Proxies::FromEnv(env)] {
            ClientSettings::new()
                .user_agent("t/1")
                .connect_timeout(Duration::from_secs(1))
                .read_timeout(Duration::from_secs(1))
                .timeout(Duration::from_secs(5))
                .redirects(Redirects::None)
                .proxies(proxies)
                .build()
                .unwrap();
        }
    }

    #[test]
    fn empty_ca_pem_is_refused() {
        let err = ClientSettings::new()
            .ca_pem(Vec::new())
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("CA certificates"), "{err}");
    }
}
