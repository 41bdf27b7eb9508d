//! Retry and resume of streamed downloads, shared by every provider.
//!
//! A provider supplies an [`Opener`] that starts the body at a byte offset;
//! this module handles the first-byte and idle-read timeouts, the backoff
//! schedule, resuming after a transient failure mid-body, and detecting an
//! artifact that changed between attempts.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::retry::Backoff;
use crate::{ArtifactMeta, Fetched, ProviderContext, RepoError, RetrySettings, Timeouts};

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Worth another attempt (connect error, reset, 5xx, truncated body...).
    Transient {
        /// What happened (no secrets).
        msg: String,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// Final.
    Fatal(RepoError),
}

impl Failure {
    pub(crate) fn transient(msg: impl Into<String>) -> Self {
        Failure::Transient {
            msg: msg.into(),
            retry_after: None,
        }
    }
}

/// One response: the whole object's metadata and the body from the
/// requested offset.
pub(crate) struct Opened {
    /// Metadata; `size` is the whole object's size when known.
    pub meta: ArtifactMeta,
    /// Bytes to drop from the start of `body` (the server ignored the range
    /// and sent the object from byte 0).
    pub skip: u64,
    /// The body.
    pub body: BoxStream<'static, Result<Bytes, Failure>>,
}

/// Starts a body at an offset.
#[async_trait::async_trait]
pub(crate) trait Opener: Send + Sync + 'static {
    /// `offset` 0 and `etag` None for the first attempt; later attempts ask
    /// for the rest of the same version (`etag` from the first response).
    async fn open(&self, offset: u64, etag: Option<&str>) -> Result<Opened, Failure>;
}

/// Phase timeouts and the retry schedule of one provider.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub timeouts: Timeouts,
    pub retry: RetrySettings,
}

impl Policy {
    pub(crate) fn from_ctx(ctx: &ProviderContext) -> Self {
        Self {
            timeouts: ctx.timeouts,
            retry: ctx.retry,
        }
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(self.retry.base, self.retry.cap, self.retry.deadline)
    }
}

/// Names used in error messages.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub provider: String,
    pub path: String,
}

impl Target {
    fn exhausted(&self, attempts: u32, last: String) -> RepoError {
        RepoError::RetriesExhausted {
            provider: self.provider.clone(),
            path: self.path.clone(),
            attempts,
            last,
        }
    }
}

/// Runs `op` until it succeeds, fails for good, or the retry budget is
/// spent. Each attempt is limited by the first-byte timeout.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &Policy,
    target: &Target,
    mut op: F,
) -> Result<T, RepoError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    let mut backoff = policy.backoff();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let (msg, retry_after) = match tokio::time::timeout(policy.timeouts.first_byte, op()).await
        {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(Failure::Fatal(e))) => return Err(e),
            Ok(Err(Failure::Transient { msg, retry_after })) => (msg, retry_after),
            Err(_) => (
                format!(
                    "no response within {}",
                    humanize(policy.timeouts.first_byte)
                ),
                None,
            ),
        };
        tracing::debug!(provider = %target.provider, path = %target.path, attempt = attempts, error = %msg, "transient failure");
        match backoff.next_delay(retry_after) {
            Some(d) => tokio::time::sleep(d).await,
            None => return Err(target.exhausted(attempts, msg)),
        }
    }
}

struct State {
    opener: Arc<dyn Opener>,
    policy: Policy,
    target: Target,
    body: Option<BoxStream<'static, Result<Bytes, Failure>>>,
    skip: u64,
    offset: u64,
    size: Option<u64>,
    etag: Option<String>,
    attempts: u32,
    backoff: Option<Backoff>,
    done: bool,
}

/// Opens the artifact (with retries) and returns a stream that resumes
/// transparently after transient failures.
pub(crate) async fn resumable_get(
    opener: Arc<dyn Opener>,
    policy: Policy,
    target: Target,
) -> Result<Fetched, RepoError> {
    let mut attempts = 0u32;
    let first = with_retries(&policy, &target, || {
        attempts += 1;
        let o = opener.clone();
        async move { o.open(0, None).await }
    })
    .await?;
    let meta = first.meta.clone();
    let state = State {
        opener,
        policy,
        target,
        body: Some(first.body),
        skip: first.skip,
        offset: 0,
        size: meta.size,
        etag: meta.etag.clone(),
        attempts,
        backoff: None,
        done: false,
    };
    let body = futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        match st.next_chunk().await {
            Ok(Some(bytes)) => Some((Ok(bytes), st)),
            Ok(None) => None,
            Err(e) => {
                st.done = true;
                Some((Err(e), st))
            }
        }
    });
    Ok(Fetched {
        meta,
        body: Box::pin(body),
    })
}

impl State {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, RepoError> {
        loop {
            let failure = match self.body.as_mut() {
                None => Failure::transient("connection lost"),
                Some(body) => {
                    match tokio::time::timeout(self.policy.timeouts.idle_read, body.next()).await {
                        Ok(Some(Ok(mut bytes))) => {
                            if self.skip > 0 {
                                let drop = usize::try_from(self.skip.min(bytes.len() as u64))
                                    .unwrap_or(bytes.len());
                                let _ = bytes.split_to(drop);
                                self.skip -= drop as u64;
                            }
                            if bytes.is_empty() {
                                continue;
                            }
                            self.offset += bytes.len() as u64;
                            if let Some(size) = self.size
                                && self.offset > size
                            {
                                return Err(RepoError::Other {
                                    provider: self.target.provider.clone(),
                                    path: self.target.path.clone(),
                                    detail: format!(
                                        "received more bytes than the announced size {size}"
                                    ),
                                });
                            }
                            // Progress: a later failure gets a fresh budget.
                            self.backoff = None;
                            return Ok(Some(bytes));
                        }
                        Ok(Some(Err(Failure::Fatal(e)))) => return Err(e),
                        Ok(Some(Err(f @ Failure::Transient { .. }))) => f,
                        Ok(None) => match self.size {
                            Some(size) if self.offset < size => Failure::transient(format!(
                                "body ended after {} of {size} bytes",
                                self.offset
                            )),
                            _ => {
                                self.done = true;
                                return Ok(None);
                            }
                        },
                        Err(_) => Failure::transient(format!(
                            "no data for {} while reading the body",
                            humanize(self.policy.timeouts.idle_read)
                        )),
                    }
                }
            };
            self.body = None;
            self.reopen(failure).await?;
        }
    }

    async fn reopen(&mut self, mut failure: Failure) -> Result<(), RepoError> {
        loop {
            let (msg, retry_after) = match failure {
                Failure::Fatal(e) => return Err(e),
                Failure::Transient { msg, retry_after } => (msg, retry_after),
            };
            tracing::debug!(provider = %self.target.provider, path = %self.target.path, offset = self.offset, error = %msg, "resuming download");
            let policy = self.policy;
            let backoff = self.backoff.get_or_insert_with(|| policy.backoff());
            match backoff.next_delay(retry_after) {
                Some(d) => tokio::time::sleep(d).await,
                None => return Err(self.target.exhausted(self.attempts, msg)),
            }
            self.attempts += 1;
            let attempt = tokio::time::timeout(
                self.policy.timeouts.first_byte,
                self.opener.open(self.offset, self.etag.as_deref()),
            )
            .await;
            failure = match attempt {
                Ok(Ok(opened)) => {
                    if let (Some(want), Some(got)) = (&self.etag, &opened.meta.etag)
                        && want != got
                    {
                        return Err(self.changed());
                    }
                    if let (Some(want), Some(got)) = (self.size, opened.meta.size)
                        && want != got
                    {
                        return Err(self.changed());
                    }
                    self.skip = opened.skip;
                    self.body = Some(opened.body);
                    return Ok(());
                }
                Ok(Err(f)) => f,
                Err(_) => Failure::transient(format!(
                    "no response within {}",
                    humanize(self.policy.timeouts.first_byte)
                )),
            };
        }
    }

    fn changed(&self) -> RepoError {
        RepoError::Other {
            provider: self.target.provider.clone(),
            path: self.target.path.clone(),
            detail: "the artifact changed on the server during the download".into(),
        }
    }
}

/// The error for a store answering "precondition failed" to a resume.
pub(crate) fn changed_error(target: &Target) -> RepoError {
    RepoError::Other {
        provider: target.provider.clone(),
        path: target.path.clone(),
        detail: "the artifact changed on the server during the download".into(),
    }
}

fn humanize(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}
