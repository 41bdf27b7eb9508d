//! Reading an http(s) response: metadata headers, ranges and errors
//! without their URLs.

use reqwest::header::{self, HeaderMap};

use crate::ArtifactMeta;

/// Metadata from response headers. `total` is the object's size.
pub(super) fn meta_from(headers: &HeaderMap, total: Option<u64>) -> ArtifactMeta {
    let get = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    ArtifactMeta {
        size: total,
        etag: get("etag"),
        version: get("x-goog-generation").or_else(|| get("x-amz-version-id")),
        last_modified: get("last-modified").and_then(|v| http_date_to_rfc3339(&v)),
    }
}

/// `Last-Modified` (HTTP date) as RFC 3339.
fn http_date_to_rfc3339(v: &str) -> Option<String> {
    let t = httpdate::parse_http_date(v).ok()?;
    let ts = jiff::Timestamp::try_from(t).ok()?;
    Some(ts.to_string())
}

pub(super) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// `Content-Range: bytes START-END/TOTAL` -> (start, total).
pub(super) fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let v = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

/// A reqwest error without its URL (which may carry a signed query).
pub(super) fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if e.is_connect() {
        "connect error"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "request error"
    };
    let mut msg = kind.to_owned();
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        src = s.source();
    }
    msg
}
