//! Capped exponential backoff with full jitter and an overall deadline.
//!
//! ```
//! use std::time::Duration;
//! use plugin_repo::retry::Backoff;
//!
//! let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(5), Duration::from_secs(30));
//! let wait = b.next_delay(None).expect("time left for another attempt");
//! assert!(wait <= Duration::from_millis(100));
//! ```

use std::time::{Duration, Instant, SystemTime};

/// Delay schedule for one operation (one artifact, one API call).
///
/// ```
/// use std::time::Duration;
/// let mut b = plugin_repo::retry::Backoff::new(Duration::from_millis(10), Duration::from_millis(40), Duration::from_secs(5));
/// let d = b.next_delay(None).unwrap();
/// assert!(d <= Duration::from_millis(10));
/// assert_eq!(b.attempts(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    deadline: Instant,
    attempt: u32,
}

impl Backoff {
    /// `base` is the first delay ceiling, doubled each attempt up to `cap`;
    /// no delay is handed out that would end past `budget` from now. A
    /// budget too large for the clock (e.g. `Duration::MAX`) is capped at
    /// [`Backoff::MAX_BUDGET`] instead of overflowing.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = plugin_repo::retry::Backoff::new(Duration::from_millis(10), Duration::from_secs(1), Duration::MAX);
    /// assert!(b.remaining() > Duration::from_secs(365 * 24 * 3600));
    /// ```
    pub fn new(base: Duration, cap: Duration, budget: Duration) -> Self {
        let now = Instant::now();
        let deadline = now
            .checked_add(budget.min(Self::MAX_BUDGET))
            .or_else(|| now.checked_add(Duration::from_hours(24)))
            .unwrap_or(now);
        Self {
            base,
            cap,
            deadline,
            attempt: 0,
        }
    }

    /// The longest budget honoured (100 years): effectively "no deadline".
    pub const MAX_BUDGET: Duration = Duration::from_hours(100 * 365 * 24);

    /// Attempts made so far (calls to [`Backoff::next_delay`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut b = plugin_repo::retry::Backoff::new(Duration::ZERO, Duration::ZERO, Duration::from_secs(1));
    /// assert_eq!(b.attempts(), 0);
    /// b.next_delay(None);
    /// assert_eq!(b.attempts(), 1);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Time left before the deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = plugin_repo::retry::Backoff::new(Duration::ZERO, Duration::ZERO, Duration::from_secs(60));
    /// assert!(b.remaining() <= Duration::from_secs(60));
    /// ```
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The deadline of the whole operation.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let b = plugin_repo::retry::Backoff::new(Duration::ZERO, Duration::ZERO, Duration::from_secs(60));
    /// assert!(b.deadline() > Instant::now());
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// How long to wait before the next attempt: a uniformly random delay in
    /// `[0, min(cap, base * 2^n)]`, or the server's `Retry-After` when given
    /// (capped by `cap`). `None` when waiting would pass the deadline: give
    /// up now rather than sleep and fail.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut b = plugin_repo::retry::Backoff::new(Duration::from_millis(1), Duration::from_secs(2), Duration::from_secs(10));
    /// // A server's Retry-After wins, capped at `cap`.
    /// assert_eq!(b.next_delay(Some(Duration::from_secs(60))), Some(Duration::from_secs(2)));
    /// // Past the deadline there is no delay to hand out.
    /// let mut spent = plugin_repo::retry::Backoff::new(Duration::from_secs(1), Duration::from_secs(1), Duration::ZERO);
    /// assert_eq!(spent.next_delay(None), None);
    /// ```
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let delay = if let Some(d) = retry_after {
            d.min(self.cap)
        } else {
            let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(rand::random_range(0..=nanos))
        };
        (delay < self.remaining()).then_some(delay)
    }
}

/// Whether an HTTP status is worth retrying: 408, 425, 429 and 5xx.
///
/// ```
/// use plugin_repo::retry::is_transient_status;
/// assert!(is_transient_status(503) && is_transient_status(429));
/// assert!(!is_transient_status(404) && !is_transient_status(200));
/// ```
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..=599).contains(&status)
}

/// Parses a `Retry-After` header value: delay seconds or an HTTP date.
///
/// ```
/// # use std::time::Duration;
/// assert_eq!(plugin_repo::retry::parse_retry_after("3"), Some(Duration::from_secs(3)));
/// assert_eq!(plugin_repo::retry::parse_retry_after("soon"), None);
/// ```
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_under_cap() {
        let mut b = Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(40),
            Duration::from_mins(1),
        );
        for n in 0..10 {
            let d = b.next_delay(None).unwrap();
            let ceiling = Duration::from_millis(10 * (1 << n.min(2)));
            assert!(d <= ceiling, "attempt {n}: {d:?} > {ceiling:?}");
        }
        assert_eq!(b.attempts(), 10);
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let mut b = Backoff::new(
            Duration::from_millis(10),
            Duration::from_secs(2),
            Duration::from_mins(1),
        );
        assert_eq!(
            b.next_delay(Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            b.next_delay(Some(Duration::from_secs(100))),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn no_delay_past_the_deadline() {
        let mut b = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(1),
            Duration::from_millis(50),
        );
        assert_eq!(b.next_delay(Some(Duration::from_secs(1))), None);
    }

    #[test]
    fn a_budget_too_large_for_the_clock_is_capped_not_a_panic() {
        let mut b = Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::MAX,
        );
        assert!(b.remaining() > Duration::from_hours(365 * 24));
        assert!(b.next_delay(None).is_some());
        let b = Backoff::new(
            Duration::ZERO,
            Duration::ZERO,
            Duration::from_secs(u64::MAX),
        );
        assert!(b.remaining() <= Backoff::MAX_BUDGET);
    }

    #[test]
    fn transient_statuses() {
        for s in [408, 425, 429, 500, 502, 503, 504] {
            assert!(is_transient_status(s), "{s}");
        }
        for s in [200, 301, 400, 401, 403, 404, 409] {
            assert!(!is_transient_status(s), "{s}");
        }
    }
}
