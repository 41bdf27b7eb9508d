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

use crate::error::Cause;
use crate::retry::{Class, Classify, GaveUp, Retry, RetryPolicy};
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

impl Classify for Failure {
    fn class(&self) -> Class {
        match self {
            Failure::Transient { retry_after, .. } => Class::Transient {
                retry_after: *retry_after,
            },
            Failure::Fatal(_) => Class::Permanent,
        }
    }
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

    fn retry(&self) -> RetryPolicy {
        RetryPolicy::new(self.retry.base, self.retry.cap, self.retry.deadline)
    }

    /// One attempt, limited by the first-byte timeout.
    async fn bounded<T>(
        &self,
        attempt: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        tokio::time::timeout(self.timeouts.first_byte, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(Failure::transient(format!(
                    "no response within {}",
                    humanize(self.timeouts.first_byte)
                )))
            })
    }
}

/// Names used in error messages.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub provider: String,
    pub path: String,
}

impl Target {
    /// The final error of a run that gave up.
    fn gave_up(&self, g: GaveUp<Failure>) -> RepoError {
        match g.last {
            Failure::Fatal(e) => e,
            Failure::Transient { msg, .. } => RepoError::RetriesExhausted {
                provider: self.provider.clone(),
                path: self.path.clone(),
                attempts: g.attempts,
                last: msg,
            },
        }
    }

    /// Logs a transient failure before the wait.
    fn log_retry(&self, offset: Option<u64>) -> impl FnMut(&Failure, u32, Duration) + '_ {
        move |f, attempt, wait| {
            if let Failure::Transient { msg, .. } = f {
                match offset {
                    None => {
                        tracing::debug!(provider = %self.provider, path = %self.path, attempt, wait_ms = wait.as_millis(), error = %msg, "transient failure");
                    }
                    Some(offset) => {
                        tracing::debug!(provider = %self.provider, path = %self.path, offset, attempt, wait_ms = wait.as_millis(), error = %msg, "resuming download");
                    }
                }
            }
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
    let mut retry = policy.retry().start();
    run_bounded(policy, &mut retry, target, &mut op).await
}

async fn run_bounded<T, F, Fut>(
    policy: &Policy,
    retry: &mut Retry,
    target: &Target,
    op: &mut F,
) -> Result<T, RepoError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    retry
        .run(|_| policy.bounded(op()), target.log_retry(None))
        .await
        .map_err(|g| target.gave_up(g))
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
    /// Attempts so far and the schedule of the current failure streak.
    retry: Retry,
    /// Bytes arrived since the last failure: the next one gets a fresh
    /// budget.
    progressed: bool,
    done: bool,
}

/// Opens the artifact (with retries) and returns a stream that resumes
/// transparently after transient failures.
pub(crate) async fn resumable_get(
    opener: Arc<dyn Opener>,
    policy: Policy,
    target: Target,
) -> Result<Fetched, RepoError> {
    let mut retry = policy.retry().start();
    let first = run_bounded(&policy, &mut retry, &target, &mut || {
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
        retry,
        progressed: true,
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
                                    cause: Cause::LongerThanAnnounced { size },
                                });
                            }
                            // Progress: a later failure gets a fresh budget.
                            self.progressed = true;
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

    async fn reopen(&mut self, failure: Failure) -> Result<(), RepoError> {
        if std::mem::take(&mut self.progressed) {
            self.retry.renew();
        }
        let target = &self.target;
        self.retry
            .wait_after(failure, target.log_retry(Some(self.offset)))
            .await
            .map_err(|g| target.gave_up(g))?;
        let (source, policy, offset) = (&self.opener, self.policy, self.offset);
        let etag = self.etag.clone();
        let opened = self
            .retry
            .run(
                |_| policy.bounded(source.open(offset, etag.as_deref())),
                target.log_retry(Some(offset)),
            )
            .await
            .map_err(|g| target.gave_up(g))?;
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
        Ok(())
    }

    fn changed(&self) -> RepoError {
        changed_error(&self.target)
    }
}

/// The error for a store answering "precondition failed" to a resume.
pub(crate) fn changed_error(target: &Target) -> RepoError {
    RepoError::Other {
        provider: target.provider.clone(),
        path: target.path.clone(),
        cause: Cause::Changed { http_412: false },
    }
}

fn humanize(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}
