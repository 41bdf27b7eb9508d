//! The REST gateway call: `POST {host}/api/v1beta1/project/{p}/job/{j}/run_input`.

use std::time::Duration;

use plugin_repo::client::{ClientSettings, Redirects};
use plugin_repo::retry::{is_transient_status, parse_retry_after};

use crate::client::{Failure, printable};
use crate::{AttemptError, BootError, FetchOptions, ReplyProblem, RunInput, RunRequest};

/// The REST client, from plugin-repo's one client setup: no redirects
/// followed (a redirect is a refusal), the process's proxies, the extra CA
/// certificates of `--tls-ca-file`.
pub(crate) fn client(opts: &FetchOptions) -> Result<reqwest::Client, BootError> {
    let mut settings = ClientSettings::new()
        .user_agent(concat!("optimus-init/", env!("CARGO_PKG_VERSION")))
        .redirects(Redirects::None)
        .connect_timeout(opts.deadline.min(Duration::from_secs(10)));
    if let Some(pem) = &opts.ca_pem {
        settings = settings.ca_pem(pem.clone());
    }
    settings.build().map_err(|source| BootError::HttpClient {
        name: if opts.ca_pem.is_some() {
            "OPTIMUS_TLS_CA_FILE"
        } else {
            "HTTP client"
        },
        source,
    })
}

pub(crate) async fn attempt(
    client: &reqwest::Client,
    req: &RunRequest,
    opts: &FetchOptions,
    left: Duration,
) -> Result<(RunInput, u64), Failure> {
    let no_reply = || Failure::Transient(AttemptError::NoReply { left });
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
                no_reply()
            } else {
                Failure::Transient(AttemptError::Request(e))
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
            return Err(Failure::Transient(AttemptError::Status {
                status: status.as_u16(),
                message,
                retry_after,
            }));
        }
        return Err(Failure::Fatal(BootError::Refused {
            target: req.url().to_owned(),
            status: format!("HTTP {}", status.as_u16()),
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
        Err(ReadError::Net(e)) if e.is_timeout() => return Err(no_reply()),
        Err(ReadError::Net(e)) => return Err(Failure::Transient(AttemptError::Body(e))),
    };
    let input: RunInput = serde_json::from_slice(&body).map_err(|e| {
        Failure::Fatal(BootError::BadReply {
            target: req.url().to_owned(),
            // serde_json's message names the line and column, not the text.
            problem: ReplyProblem::Undecodable {
                what: "run-input JSON",
                reason: e.to_string(),
                source: Box::new(e),
            },
        })
    })?;
    Ok((input, body.len() as u64))
}

fn too_big(req: &RunRequest, opts: &FetchOptions) -> BootError {
    BootError::BadReply {
        target: req.url().to_owned(),
        problem: ReplyProblem::TooBig {
            limit: opts.max_reply_bytes,
            found: None,
        },
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
    printable(&text)
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
