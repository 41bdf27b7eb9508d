//! One download of the plugin archive: `GET` with `If-None-Match`, retries
//! of transient failures (network errors, 408/425/429/5xx, `Retry-After`
//! honoured) within the retry budget, the download size cap, and a check
//! that the body is a zip before anything reads it.

use std::time::Duration;

use plugin_repo::client::{ClientSettings, Proxies};
use plugin_repo::retry::{Class, Classify, RetryPolicy, is_transient_status, parse_retry_after};

use crate::archive::looks_like_zip;
use crate::client::SyncOptions;
use crate::error::{NetworkError, SyncError};

/// What one download brought.
pub(crate) enum Fetched {
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
}

/// One attempt's failure: worth retrying or not.
enum Failure {
    Retry(Transient, Option<Duration>),
    Fail(SyncError),
}

impl Classify for Failure {
    fn class(&self) -> Class {
        match self {
            Failure::Retry(_, retry_after) => Class::Transient {
                retry_after: *retry_after,
            },
            Failure::Fail(_) => Class::Permanent,
        }
    }
}

/// A failure worth retrying, typed so the final error keeps the status
/// code without reading it back from a message.
enum Transient {
    /// The server answered with a transient status; `detail` is
    /// `" <reason>"` plus an excerpt of the body.
    Status { status: u16, detail: String },
    /// The request or the transfer failed.
    Network(NetworkError),
}

impl std::fmt::Display for Transient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transient::Status { status, detail } => write!(f, "HTTP {status}{detail}"),
            Transient::Network(why) => write!(f, "{why}"),
        }
    }
}

/// Downloads `opts.url`, retrying transient failures.
pub(crate) async fn fetch(
    opts: &SyncOptions,
    shown: &str,
    etag: Option<&str>,
) -> Result<Fetched, SyncError> {
    let loopback = match opts.url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    let mut settings = ClientSettings::new()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("optimus-plugin/", env!("CARGO_PKG_VERSION")));
    if loopback {
        settings = settings.proxies(Proxies::None);
    }
    let client = settings.build().map_err(|e| SyncError::Network {
        url: shown.to_owned(),
        cause: NetworkError::Client(e),
        attempts: 0,
    })?;
    let policy = RetryPolicy::new(
        Duration::from_millis(200),
        Duration::from_secs(5),
        opts.retry_budget,
    )
    .with_max_attempts(opts.max_attempts.max(1));
    let log = |failure: &Failure, number: u32, wait: Duration| {
        if let Failure::Retry(why, _) = failure {
            tracing::warn!(attempt = number, "{shown}: {why}; retrying in {wait:?}");
        }
    };
    let client = &client;
    policy
        .run(|_| attempt(client, opts, shown, etag), log)
        .await
        .map_err(|gave_up| match gave_up.last {
            Failure::Fail(e) => e,
            Failure::Retry(why, _) => last_error(shown, why, gave_up.attempts),
        })
}

/// The retryable failure of the last attempt, as the final error.
fn last_error(shown: &str, why: Transient, attempts: u32) -> SyncError {
    let tries = if attempts == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{attempts} attempts")
    };
    match why {
        Transient::Status { status, detail } => SyncError::Status {
            url: shown.to_owned(),
            status,
            detail: format!("{detail} (after {tries})"),
        },
        Transient::Network(cause) => SyncError::Network {
            url: shown.to_owned(),
            cause,
            attempts,
        },
    }
}

async fn attempt(
    client: &reqwest::Client,
    opts: &SyncOptions,
    shown: &str,
    etag: Option<&str>,
) -> Result<Fetched, Failure> {
    let mut req = client
        .get(opts.url.clone())
        .header(reqwest::header::ACCEPT, "application/zip");
    if let Some(tag) = etag {
        req = req.header(reqwest::header::IF_NONE_MATCH, tag);
    }
    let mut resp = req.send().await.map_err(|e| {
        Failure::Retry(
            Transient::Network(NetworkError::Request(e.without_url())),
            None,
        )
    })?;
    let status = resp.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let new_etag = header(reqwest::header::ETAG);
    let retry_after = header(reqwest::header::RETRY_AFTER);
    if status == 304 {
        if etag.is_none() {
            return Err(Failure::Fail(SyncError::Status {
                url: shown.to_owned(),
                status,
                detail: " Not Modified, but no If-None-Match was sent".into(),
            }));
        }
        return Ok(Fetched::NotModified);
    }
    if status != 200 {
        let reason = resp.status().canonical_reason().unwrap_or("").to_owned();
        let excerpt = body_excerpt(&mut resp, content_type.as_deref()).await;
        if is_transient_status(status) {
            return Err(Failure::Retry(
                Transient::Status {
                    status,
                    detail: format!(" {reason}{excerpt}"),
                },
                retry_after.as_deref().and_then(parse_retry_after),
            ));
        }
        return Err(Failure::Fail(SyncError::Status {
            url: shown.to_owned(),
            status,
            detail: format!(" {reason}{excerpt}"),
        }));
    }
    let limit = opts.limits.max_download_bytes;
    let too_large = || {
        Failure::Fail(SyncError::TooLarge {
            url: shown.to_owned(),
            limit,
        })
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(
        usize::try_from(resp.content_length().unwrap_or(0).min(limit)).unwrap_or(0),
    );
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(Failure::Retry(
                    Transient::Network(NetworkError::Transfer {
                        received: bytes.len(),
                        source: e.without_url(),
                    }),
                    None,
                ));
            }
        }
    }
    if !looks_like_zip(&bytes) {
        return Err(Failure::Fail(SyncError::NotAZip {
            url: shown.to_owned(),
            content_type: content_type.unwrap_or_else(|| "none".into()),
            start: printable(&bytes[..bytes.len().min(40)]),
        }));
    }
    Ok(Fetched::Body {
        bytes,
        etag: new_etag,
    })
}

/// `": <first 200 printable characters>"` of a text error body, else "".
async fn body_excerpt(resp: &mut reqwest::Response, content_type: Option<&str>) -> String {
    let texty = content_type.is_some_and(|c| c.starts_with("text/") || c.contains("json"));
    if !texty {
        return String::new();
    }
    let mut buf = Vec::new();
    while buf.len() < 200 {
        match resp.chunk().await {
            Ok(Some(c)) => buf.extend_from_slice(&c),
            _ => break,
        }
    }
    let text = printable(&buf[..buf.len().min(200)]);
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// Bytes as text with control characters replaced, for messages.
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
