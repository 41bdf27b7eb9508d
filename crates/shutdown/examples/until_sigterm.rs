//! Counts until SIGTERM or Ctrl-C, then says which signal stopped it and
//! exits with the code a shell would report (143 or 130):
//! `cargo run -p shutdown --example until_sigterm`, then Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let cancel = shutdown::CancellationToken::new();
    let work = {
        let cancel = cancel.clone();
        async move {
            let mut ticks = 0u32;
            while !cancel.is_cancelled() {
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_millis(500)) => ticks += 1,
                }
            }
            ticks
        }
    };
    match shutdown::run_cancellable(&rt, &cancel, work) {
        (ticks, Some(sig)) => {
            eprintln!(
                "{}",
                shutdown::Interrupted::new(sig, format!("counting at {ticks}"))
            );
            ExitCode::from(sig.exit_code())
        }
        (_, None) => ExitCode::SUCCESS,
    }
}
