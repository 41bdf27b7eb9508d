//! The one retry policy of the workspace: capped exponential backoff with
//! full jitter under an overall deadline, and a runner that repeats an
//! operation while its failures are transient.
//!
//! An error type says what kind of failure it is by implementing
//! [`Classify`]; [`RetryPolicy::run`] owns the [`Backoff`], the deadline and
//! the attempt count, and gives up with a [`GaveUp`] naming the last cause,
//! the attempts made and why it stopped. A callback sees each retry (the
//! failure, the attempt number and the wait) so callers can log it.
//!
//! ```
//! use std::time::Duration;
//! use plugin_repo::retry::{Class, Classify, RetryPolicy, StopReason};
//!
//! #[derive(Debug)]
//! struct Busy;
//! impl Classify for Busy {
//!     fn class(&self) -> Class {
//!         Class::Transient { retry_after: None }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let policy = RetryPolicy::new(Duration::from_millis(1), Duration::from_millis(2), Duration::from_secs(5));
//! let mut logged = 0;
//! let answer = policy
//!     .run(
//!         |attempt| async move { if attempt.number < 3 { Err(Busy) } else { Ok(42) } },
//!         |_err: &Busy, _attempt, _wait| logged += 1,
//!     )
//!     .await;
//! assert_eq!(answer.unwrap(), 42);
//! assert_eq!(logged, 2);
//!
//! let gave_up = policy.with_max_attempts(2).run(|_| async { Err::<(), _>(Busy) }, |_, _, _| {}).await.unwrap_err();
//! assert_eq!((gave_up.attempts, gave_up.reason), (2, StopReason::Attempts));
//! # }
//! ```

mod backoff;
mod run;

pub use backoff::{Backoff, is_transient_status, parse_retry_after};
pub use run::{Attempt, Class, Classify, GaveUp, Retry, RetryPolicy, StopReason};
