//! The retry runner: repeats an operation while its failures are
//! transient, under one [`Backoff`] and one deadline.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use super::Backoff;

/// What kind of failure an error is, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Another attempt may work (connection refused or reset, timeout,
    /// HTTP 408/425/429/5xx, a truncated body...). `retry_after` is the
    /// server's requested wait, when it gave one; it replaces the jittered
    /// delay (still capped by the policy's `cap`).
    Transient {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot change the outcome (not found, denied, bad input).
    Permanent,
}

/// Implemented by an error type to say whether a failure is worth another
/// attempt.
///
/// ```
/// use std::time::Duration;
/// use plugin_repo::retry::{Class, Classify};
///
/// enum CallError { Status(u16, Option<Duration>), BadUrl }
///
/// impl Classify for CallError {
///     fn class(&self) -> Class {
///         match self {
///             CallError::Status(code, retry_after) if plugin_repo::retry::is_transient_status(*code) => {
///                 Class::Transient { retry_after: *retry_after }
///             }
///             _ => Class::Permanent,
///         }
///     }
/// }
///
/// assert_eq!(CallError::Status(503, None).class(), Class::Transient { retry_after: None });
/// assert_eq!(CallError::BadUrl.class(), Class::Permanent);
/// ```
pub trait Classify {
    /// Transient (with the server's requested wait, if any) or permanent.
    fn class(&self) -> Class;
}

/// How often and for how long to retry: the first delay ceiling `base`,
/// doubled each attempt up to `cap` (full jitter), no wait that would end
/// past `budget` from the start, and optionally a limit on attempts.
///
/// ```
/// use std::time::Duration;
/// use plugin_repo::retry::RetryPolicy;
///
/// let policy = RetryPolicy::new(Duration::from_millis(250), Duration::from_secs(10), Duration::from_mins(1))
///     .with_max_attempts(5);
/// assert_eq!(policy.max_attempts(), Some(5));
/// assert_eq!(policy.budget(), Duration::from_mins(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    base: Duration,
    cap: Duration,
    budget: Duration,
    max_attempts: Option<u32>,
}

impl RetryPolicy {
    /// A policy without an attempt limit. A `budget` too large for the
    /// clock is capped at [`Backoff::MAX_BUDGET`].
    pub const fn new(base: Duration, cap: Duration, budget: Duration) -> Self {
        Self {
            base,
            cap,
            budget,
            max_attempts: None,
        }
    }

    /// Stops after `attempts` attempts even with time left (`0` counts as
    /// `1`: the operation always runs once).
    #[must_use]
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(if attempts == 0 { 1 } else { attempts });
        self
    }

    /// The first delay ceiling.
    pub const fn base(&self) -> Duration {
        self.base
    }

    /// The largest delay (also caps a server's `Retry-After`).
    pub const fn cap(&self) -> Duration {
        self.cap
    }

    /// The time all attempts and waits of one run share.
    pub const fn budget(&self) -> Duration {
        self.budget
    }

    /// The attempt limit, if any.
    pub const fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// Starts the clock: a [`Retry`] whose deadline is `budget` from now.
    /// Use it directly when one budget spans several steps (resuming a
    /// download); otherwise [`RetryPolicy::run`] is simpler.
    pub fn start(&self) -> Retry {
        Retry {
            policy: *self,
            backoff: self.backoff(),
            attempts: 0,
        }
    }

    /// Runs `op` until it succeeds, fails permanently, the attempts are
    /// spent or the next wait would pass the deadline. `op` gets the
    /// [`Attempt`] (its number from 1 and the time left, to bound the
    /// attempt itself); `on_retry(error, attempt, wait)` is called before
    /// each wait, e.g. to log.
    ///
    /// ```
    /// use std::time::Duration;
    /// use plugin_repo::retry::{Class, Classify, RetryPolicy, StopReason};
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Gone;
    /// impl Classify for Gone {
    ///     fn class(&self) -> Class { Class::Permanent }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let policy = RetryPolicy::new(Duration::from_millis(1), Duration::from_millis(1), Duration::from_secs(1));
    /// let gave_up = policy.run(|_| async { Err::<(), _>(Gone) }, |_, _, _| {}).await.unwrap_err();
    /// assert_eq!(gave_up.reason, StopReason::Permanent);
    /// assert_eq!(gave_up.attempts, 1);
    /// assert_eq!(gave_up.last, Gone);
    /// # }
    /// ```
    pub async fn run<T, E, F, Fut, L>(&self, op: F, on_retry: L) -> Result<T, GaveUp<E>>
    where
        E: Classify,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        L: FnMut(&E, u32, Duration),
    {
        self.start().run(op, on_retry).await
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(self.base, self.cap, self.budget)
    }
}

/// One attempt as the operation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt, counting every attempt of the [`Retry`].
    pub number: u32,
    /// Time left before the deadline: a natural timeout for this attempt.
    pub remaining: Duration,
}

/// A retry schedule in progress: the [`Backoff`], its deadline and the
/// attempts made. Made by [`RetryPolicy::start`].
///
/// ```
/// use std::time::Duration;
/// use plugin_repo::retry::{Class, Classify, RetryPolicy};
///
/// struct Reset;
/// impl Classify for Reset {
///     fn class(&self) -> Class { Class::Transient { retry_after: None } }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut retry = RetryPolicy::new(Duration::from_millis(1), Duration::from_millis(1), Duration::from_secs(5)).start();
/// let body = retry.run(|_| async { Ok::<_, Reset>("first part") }, |_, _, _| {}).await.ok();
/// assert_eq!(body, Some("first part"));
/// // The connection drops mid-body: wait, then open again, same schedule.
/// assert!(retry.wait_after(Reset, |_, _, _| {}).await.is_ok());
/// let rest = retry.run(|_| async { Ok::<_, Reset>("the rest") }, |_, _, _| {}).await.ok();
/// assert_eq!(rest, Some("the rest"));
/// assert_eq!(retry.attempts(), 2);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Retry {
    policy: RetryPolicy,
    backoff: Backoff,
    attempts: u32,
}

impl Retry {
    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.backoff.remaining()
    }

    /// A fresh budget and delay schedule from now, after progress (a
    /// download that received bytes); the attempt count is kept.
    pub fn renew(&mut self) {
        self.backoff = self.policy.backoff();
    }

    /// Like [`RetryPolicy::run`], on this schedule: attempts and waits
    /// count against the same deadline and attempt limit as the runs
    /// before.
    pub async fn run<T, E, F, Fut, L>(&mut self, mut op: F, mut on_retry: L) -> Result<T, GaveUp<E>>
    where
        E: Classify,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        L: FnMut(&E, u32, Duration),
    {
        loop {
            self.attempts = self.attempts.saturating_add(1);
            let attempt = Attempt {
                number: self.attempts,
                remaining: self.backoff.remaining(),
            };
            match op(attempt).await {
                Ok(v) => return Ok(v),
                Err(e) => self.pause(e, &mut on_retry).await?,
            }
        }
    }

    /// Handles a failure that happened outside [`Retry::run`] (a body that
    /// broke off): gives up if it is permanent, the attempts are spent or
    /// no wait fits before the deadline; otherwise calls `on_retry` and
    /// waits. The failed attempt is the last one counted.
    pub async fn wait_after<E, L>(&mut self, error: E, mut on_retry: L) -> Result<(), GaveUp<E>>
    where
        E: Classify,
        L: FnMut(&E, u32, Duration),
    {
        self.pause(error, &mut on_retry).await
    }

    async fn pause<E, L>(&mut self, error: E, on_retry: &mut L) -> Result<(), GaveUp<E>>
    where
        E: Classify,
        L: FnMut(&E, u32, Duration),
    {
        let give_up = |last, reason| GaveUp {
            last,
            attempts: self.attempts,
            reason,
        };
        let retry_after = match error.class() {
            Class::Permanent => return Err(give_up(error, StopReason::Permanent)),
            Class::Transient { retry_after } => retry_after,
        };
        if self
            .policy
            .max_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            return Err(give_up(error, StopReason::Attempts));
        }
        if self.backoff.remaining().is_zero() {
            return Err(give_up(error, StopReason::Deadline));
        }
        let Some(wait) = self.backoff.next_delay(retry_after) else {
            return Err(give_up(error, StopReason::Deadline));
        };
        on_retry(&error, self.attempts, wait);
        tokio::time::sleep(wait).await;
        if self.backoff.remaining().is_zero() {
            return Err(GaveUp {
                last: error,
                attempts: self.attempts,
                reason: StopReason::Deadline,
            });
        }
        Ok(())
    }
}

/// Why a [`Retry`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The last failure was [`Class::Permanent`].
    Permanent,
    /// The deadline passed, or the next wait would have ended past it.
    Deadline,
    /// The policy's attempt limit was reached.
    Attempts,
}

/// The outcome of a run that did not succeed: the last failure, how many
/// attempts were made and why retrying stopped. Displays as the last
/// failure, followed by the attempts when it was retried; its
/// [`source`](std::error::Error::source) is the last failure.
///
/// ```
/// use plugin_repo::retry::{GaveUp, StopReason};
///
/// let e = GaveUp { last: std::io::Error::other("connection reset"), attempts: 3, reason: StopReason::Deadline };
/// assert_eq!(e.to_string(), "connection reset (gave up after 3 attempts)");
/// assert!(!e.is_permanent());
/// ```
#[derive(Debug)]
pub struct GaveUp<E> {
    /// The failure of the last attempt.
    pub last: E,
    /// Attempts made, the last one included.
    pub attempts: u32,
    /// Why retrying stopped.
    pub reason: StopReason,
}

impl<E> GaveUp<E> {
    /// Whether retrying stopped because the last failure was permanent
    /// (rather than out of time or attempts).
    pub fn is_permanent(&self) -> bool {
        self.reason == StopReason::Permanent
    }

    /// The last failure.
    pub fn into_last(self) -> E {
        self.last
    }
}

impl<E: fmt::Display> fmt::Display for GaveUp<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.reason, self.attempts) {
            (StopReason::Permanent, _) | (_, 0) => write!(f, "{}", self.last),
            (_, 1) => write!(f, "{} (gave up after 1 attempt)", self.last),
            (_, n) => write!(f, "{} (gave up after {n} attempts)", self.last),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for GaveUp<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[derive(Debug, PartialEq)]
    enum Fail {
        Again(Option<Duration>),
        Stop,
    }

    impl Classify for Fail {
        fn class(&self) -> Class {
            match self {
                Fail::Again(retry_after) => Class::Transient {
                    retry_after: *retry_after,
                },
                Fail::Stop => Class::Permanent,
            }
        }
    }

    fn quick(budget: Duration) -> RetryPolicy {
        RetryPolicy::new(Duration::from_millis(1), Duration::from_millis(2), budget)
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let waits = Cell::new(0);
        let got = quick(Duration::from_secs(5))
            .run(
                |a| async move {
                    if a.number < 4 {
                        Err(Fail::Again(None))
                    } else {
                        Ok(a.number)
                    }
                },
                |e, n, wait| {
                    assert_eq!(e, &Fail::Again(None));
                    assert!(wait <= Duration::from_millis(2));
                    assert_eq!(n, waits.get() + 1);
                    waits.set(n);
                },
            )
            .await;
        assert_eq!(got.unwrap(), 4);
        assert_eq!(waits.get(), 3);
    }

    #[tokio::test]
    async fn a_permanent_failure_stops_at_once() {
        let e = quick(Duration::from_secs(5))
            .run(
                |a| async move {
                    if a.number == 1 {
                        Err::<(), _>(Fail::Again(None))
                    } else {
                        Err(Fail::Stop)
                    }
                },
                |_, _, _| {},
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.last, e.attempts, e.reason),
            (Fail::Stop, 2, StopReason::Permanent)
        );
    }

    #[tokio::test]
    async fn the_attempt_limit_holds() {
        let e = quick(Duration::from_secs(5))
            .with_max_attempts(3)
            .run(|_| async { Err::<(), _>(Fail::Again(None)) }, |_, _, _| {})
            .await
            .unwrap_err();
        assert_eq!((e.attempts, e.reason), (3, StopReason::Attempts));
    }

    #[tokio::test]
    async fn no_wait_past_the_deadline_and_the_last_cause_is_kept() {
        let started = std::time::Instant::now();
        let e = RetryPolicy::new(
            Duration::from_millis(1),
            Duration::from_secs(1),
            Duration::from_millis(50),
        )
        .run(
            |_| async { Err::<(), _>(Fail::Again(Some(Duration::from_secs(1)))) },
            |_, _, _| panic!("a 1 s Retry-After does not fit a 50 ms budget"),
        )
        .await
        .unwrap_err();
        assert_eq!(e.reason, StopReason::Deadline);
        assert_eq!(e.attempts, 1);
        assert_eq!(e.last, Fail::Again(Some(Duration::from_secs(1))));
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[tokio::test]
    async fn attempts_see_the_time_left() {
        let budget = Duration::from_secs(30);
        quick(budget)
            .run(
                |a| async move {
                    assert!(a.remaining <= budget && a.remaining > Duration::from_secs(29));
                    Ok::<_, Fail>(())
                },
                |_, _, _| {},
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn one_schedule_spans_runs_and_renew_restores_the_budget() {
        let mut retry = RetryPolicy::new(
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_secs(5),
        )
        .with_max_attempts(2)
        .start();
        retry
            .run(|_| async { Ok::<_, Fail>(()) }, |_, _, _| {})
            .await
            .unwrap();
        retry
            .wait_after(Fail::Again(None), |_, _, _| {})
            .await
            .unwrap();
        let e = retry
            .run(|_| async { Err::<(), _>(Fail::Again(None)) }, |_, _, _| {})
            .await
            .unwrap_err();
        assert_eq!((e.attempts, e.reason), (2, StopReason::Attempts));
        retry.renew();
        assert!(retry.remaining() > Duration::from_secs(4));
        assert_eq!(retry.attempts(), 2);
        let permanent = retry
            .wait_after(Fail::Stop, |_, _, _| {})
            .await
            .unwrap_err();
        assert!(permanent.is_permanent());
    }

    #[test]
    fn gave_up_displays_the_cause_and_attempts() {
        let io = |m: &str| std::io::Error::other(m.to_owned());
        let one = GaveUp {
            last: io("refused"),
            attempts: 1,
            reason: StopReason::Deadline,
        };
        assert_eq!(one.to_string(), "refused (gave up after 1 attempt)");
        let permanent = GaveUp {
            last: io("not found"),
            attempts: 2,
            reason: StopReason::Permanent,
        };
        assert_eq!(permanent.to_string(), "not found");
        assert_eq!(crate::error_chain(&permanent), "not found");
    }
}
