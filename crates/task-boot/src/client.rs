//! The run-input API client, with retries under one deadline.

use std::time::{Duration, Instant};

use plugin_repo::retry::{Backoff, is_transient_status, parse_retry_after};

use crate::{BootError, Limits, RunInput, RunRequest};

/// How to call the API.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The one deadline for all attempts and waits together.
    pub deadline: Duration,
    /// First backoff ceiling (doubles per attempt, full jitter).
    pub base_delay: Duration,
    /// Largest wait between attempts (also caps `Retry-After`).
    pub max_delay: Duration,
    /// Largest reply body accepted.
    pub max_reply_bytes: u64,
}

impl FetchOptions {
    /// Defaults (250 ms first delay, 10 s cap, reply limit from
    /// [`Limits::default`]) with the given deadline.
    pub fn with_deadline(deadline: Duration) -> Self {
        Self {
            deadline,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_reply_bytes: Limits::default().max_reply_bytes(),
        }
    }
}

/// What fetching took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchStats {
    /// Attempts made (1 when the first one worked).
    pub attempts: u32,
    /// Time from the first attempt to the parsed reply.
    pub elapsed: Duration,
    /// Size of the reply body.
    pub reply_bytes: u64,
}

enum Failure {
    /// Worth another attempt; `retry_after` from the server if it said so.
    Transient {
        what: String,
        retry_after: Option<Duration>,
    },
    Fatal(BootError),
}

/// `POST {host}/api/v1beta1/project/{p}/job/{j}/run_input` until it works,
/// a non-transient failure happens, or the deadline passes.
///
/// Retried: connection and DNS errors, resets and timeouts, HTTP 408, 425,
/// 429 and 5xx (honouring `Retry-After`). Any other non-2xx status fails at
/// once with the server's message. Each attempt's timeout is the time left;
/// no wait is started that would end past the deadline.
pub async fn fetch_run_input(
    req: &RunRequest,
    opts: &FetchOptions,
) -> Result<(RunInput, FetchStats), BootError> {
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .user_agent(concat!("optimus-init/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.deadline.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| BootError::Setting {
            name: "HTTP client",
            message: plugin_repo::error_chain(&e),
        })?;
    let mut backoff = Backoff::new(opts.base_delay, opts.max_delay, opts.deadline);
    let mut attempts = 0u32;
    loop {
        let left = backoff.remaining();
        let outcome = if left.is_zero() {
            Err(Failure::Transient {
                what: "the deadline passed".into(),
                retry_after: None,
            })
        } else {
            attempts += 1;
            match tokio::time::timeout(left, attempt(&client, req, opts, left)).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Transient {
                    what: no_reply_within(left),
                    retry_after: None,
                }),
            }
        };
        match outcome {
            Ok((input, reply_bytes)) => {
                return Ok((
                    input,
                    FetchStats {
                        attempts,
                        elapsed: started.elapsed(),
                        reply_bytes,
                    },
                ));
            }
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Transient { what, retry_after }) => {
                let give_up = |last: String| BootError::GaveUp {
                    url: req.url().to_owned(),
                    attempts,
                    elapsed: started.elapsed(),
                    deadline: opts.deadline,
                    last,
                };
                if backoff.remaining().is_zero() {
                    return Err(give_up(what));
                }
                let Some(wait) = backoff.next_delay(retry_after) else {
                    return Err(give_up(what));
                };
                tracing::warn!(
                    attempt = attempts,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %what,
                    "run-input request failed; retrying"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn attempt(
    client: &reqwest::Client,
    req: &RunRequest,
    opts: &FetchOptions,
    left: Duration,
) -> Result<(RunInput, u64), Failure> {
    let transient = |what: String| Failure::Transient {
        what,
        retry_after: None,
    };
    let mut resp = client
        .post(req.url())
        .json(&req.body())
        .timeout(left)
        .send()
        .await
        .map_err(|e| {
            if e.is_builder() {
                Failure::Fatal(BootError::Setting {
                    name: "OPTIMUS_HOST",
                    message: plugin_repo::error_chain(&e),
                })
            } else if e.is_timeout() {
                transient(no_reply_within(left))
            } else {
                transient(plugin_repo::error_chain(&e))
            }
        })?;
    let status = resp.status();
    if !status.is_success() {
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = read_limited(&mut resp, 8 << 10, true)
            .await
            .unwrap_or_default();
        let message = server_message(&body);
        if is_transient_status(status.as_u16()) {
            return Err(Failure::Transient {
                what: format!("HTTP {}: {message}", status.as_u16()),
                retry_after,
            });
        }
        return Err(Failure::Fatal(BootError::Refused {
            url: req.url().to_owned(),
            status: status.as_u16(),
            message,
        }));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > opts.max_reply_bytes)
    {
        return Err(Failure::Fatal(too_big(req, opts)));
    }
    let body = match read_limited(&mut resp, opts.max_reply_bytes, false).await {
        Ok(b) => b,
        Err(ReadError::TooBig) => return Err(Failure::Fatal(too_big(req, opts))),
        Err(ReadError::Net(e)) if e.is_timeout() => return Err(transient(no_reply_within(left))),
        Err(ReadError::Net(e)) => {
            return Err(transient(format!(
                "reading the reply: {}",
                plugin_repo::error_chain(&e)
            )));
        }
    };
    let input: RunInput = serde_json::from_slice(&body).map_err(|e| {
        Failure::Fatal(BootError::BadReply {
            url: req.url().to_owned(),
            // serde_json's message names the line and column, not the text.
            detail: format!("not the run-input JSON ({e})"),
        })
    })?;
    Ok((input, body.len() as u64))
}

fn no_reply_within(left: Duration) -> String {
    format!(
        "no complete reply within the {:.1}s left",
        left.as_secs_f64()
    )
}

fn too_big(req: &RunRequest, opts: &FetchOptions) -> BootError {
    BootError::BadReply {
        url: req.url().to_owned(),
        detail: format!(
            "the reply is over {} bytes (raise --max-bytes)",
            opts.max_reply_bytes
        ),
    }
}

enum ReadError {
    TooBig,
    Net(reqwest::Error),
}

/// Reads the body up to `limit` bytes; with `truncate` a longer body is cut
/// instead of refused (error bodies are only shown in part).
async fn read_limited(
    resp: &mut reqwest::Response,
    limit: u64,
    truncate: bool,
) -> Result<Vec<u8>, ReadError> {
    let cap = resp.content_length().unwrap_or(0).min(limit);
    let mut out = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Net)? {
        if (out.len() + chunk.len()) as u64 > limit {
            if truncate {
                let room = usize::try_from(limit).unwrap_or(usize::MAX) - out.len();
                out.extend_from_slice(&chunk[..room.min(chunk.len())]);
                return Ok(out);
            }
            return Err(ReadError::TooBig);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The message of a gRPC-gateway error body (`{"code":5,"message":"..."}`),
/// or the body text, cut to 500 characters with control characters escaped.
fn server_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct GatewayError {
        message: String,
    }
    let text = match serde_json::from_slice::<GatewayError>(body) {
        Ok(e) => e.message,
        Err(_) => String::from_utf8_lossy(body).trim().to_owned(),
    };
    if text.is_empty() {
        return "(empty body)".into();
    }
    let mut out: String = text
        .chars()
        .take(500)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > 500 {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(br#"{"code":5,"message":"job not found","details":[]}"#),
            "job not found"
        );
        assert_eq!(server_message(b"plain\ntext"), "plain\\ntext");
        assert_eq!(server_message(b""), "(empty body)");
        assert_eq!(server_message("x".repeat(600).as_bytes()).len(), 503);
    }
}
