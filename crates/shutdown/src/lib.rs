//! SIGTERM and SIGINT as a cancellation token, for the Optimus plugin tools.
//!
//! Kubernetes stops a pod with SIGTERM and, after the grace period,
//! SIGKILL; a user stops a command with Ctrl-C (SIGINT). A process killed
//! by the default action of those signals runs no destructor, so a staging
//! folder being filled stays behind. Instead, [`run_cancellable`] catches
//! the first of them and cancels a [`CancellationToken`] that the work was
//! given: the libraries (install, sync, optimus-init's boot) stop their
//! downloads, remove their staging folders and return their own
//! "cancelled" error, and the binary exits with [`Signal::exit_code`]
//! (143 for SIGTERM, 130 for SIGINT, as a shell reports them) after one
//! [`Interrupted`] line.
//!
//! Cancellation logic lives here and in the libraries; a binary only calls
//! [`run_cancellable`] and maps the outcome to an exit code.
//!
//! # Examples
//!
//! ```
//! use shutdown::{Interrupted, Signal};
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let cancel = shutdown::CancellationToken::new();
//! // The work checks its token (or selects on `cancelled()`).
//! let work = {
//!     let cancel = cancel.clone();
//!     async move { if cancel.is_cancelled() { Err("cancelled") } else { Ok(42) } }
//! };
//! let (out, signal) = shutdown::run_cancellable(&rt, &cancel, work);
//! assert_eq!(out, Ok(42));
//! assert_eq!(signal, None);
//!
//! let e = Interrupted::new(Signal::Terminate, "install into /app/plugins cancelled");
//! assert_eq!(e.to_string(), "interrupted by SIGTERM: install into /app/plugins cancelled");
//! assert_eq!(e.signal.exit_code(), 143);
//! ```

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};
pub use tokio_util::sync::CancellationToken;

/// The signals that stop a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM (15): how Kubernetes stops a pod.
    Terminate,
    /// SIGINT (2): Ctrl-C.
    Interrupt,
}

impl Signal {
    /// The signal's name, `SIGTERM` or `SIGINT`.
    ///
    /// ```
    /// assert_eq!(shutdown::Signal::Interrupt.name(), "SIGINT");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt => "SIGINT",
        }
    }

    /// The exit code of a process stopped by it, as a shell reports one
    /// killed by it: 128 + the signal number (143, 130).
    ///
    /// ```
    /// assert_eq!(shutdown::Signal::Terminate.exit_code(), 143);
    /// assert_eq!(shutdown::Signal::Interrupt.exit_code(), 130);
    /// ```
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Terminate => 143,
            Signal::Interrupt => 130,
        }
    }
}

/// Work stopped by a signal: the one line a binary prints, and (through
/// [`Signal::exit_code`]) its exit code.
///
/// ```
/// let e = shutdown::Interrupted::new(shutdown::Signal::Interrupt, "sync of .plugins cancelled");
/// assert_eq!(e.to_string(), "interrupted by SIGINT: sync of .plugins cancelled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}: {what}", signal.name())]
pub struct Interrupted {
    /// The signal.
    pub signal: Signal,
    /// What was interrupted and what was left as it was (usually the
    /// library's own "cancelled" error message).
    pub what: String,
}

impl Interrupted {
    /// `what` stopped by `signal`.
    pub fn new(signal: Signal, what: impl Into<String>) -> Self {
        Self {
            signal,
            what: what.into(),
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT delivered after it was
/// called: the handlers are installed by the call itself (which must be
/// made inside a tokio runtime), not at the first poll. Where a handler
/// cannot be installed, that signal is not waited for.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let first = tokio::time::timeout(std::time::Duration::from_millis(10), shutdown::wait()).await;
/// assert!(first.is_err(), "no signal was sent");
/// # });
/// ```
pub fn wait() -> impl Future<Output = Signal> + Send + 'static {
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        tokio::select! {
            () = recv(term) => Signal::Terminate,
            () = recv(int) => Signal::Interrupt,
        }
    }
}

async fn recv(s: std::io::Result<tokio::signal::unix::Signal>) {
    match s {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

/// Runs `work` on `rt` to completion. The first SIGTERM or SIGINT
/// cancels `cancel` (the token `work` was given); the work is then
/// expected to stop soon and clean up, and is still awaited, so its
/// destructors and cleanup have run when this returns. Returns the work's
/// output and the signal, if one arrived before the work finished.
/// Further signals are ignored meanwhile (Kubernetes's SIGKILL still ends
/// the process).
///
/// ```
/// let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// let cancel = shutdown::CancellationToken::new();
/// let work = {
///     let cancel = cancel.clone();
///     async move { if cancel.is_cancelled() { 0 } else { 2 } }
/// };
/// assert_eq!(shutdown::run_cancellable(&rt, &cancel, work), (2, None));
/// ```
pub fn run_cancellable<F: Future>(
    rt: &tokio::runtime::Runtime,
    cancel: &CancellationToken,
    work: F,
) -> (F::Output, Option<Signal>) {
    rt.block_on(async move {
        // Handlers first, so a signal sent as soon as the work starts is
        // caught.
        let mut signal = std::pin::pin!(wait());
        let mut work = std::pin::pin!(work);
        tokio::select! {
            out = &mut work => (out, None),
            sig = &mut signal => {
                cancel.cancel();
                (work.await, Some(sig))
            }
        }
    })
}
