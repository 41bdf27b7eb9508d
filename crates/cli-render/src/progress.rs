//! Install and lock progress: indicatif bars with bytes and rate on a
//! terminal ([`Bars`]), else one `tracing` info event per step ([`Events`]),
//! which the binary's logger shows at `-v` or as JSON.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use plugin_manager::{Event, Reporter};

/// One bar per download, with bytes, total and rate; drawn on stderr.
///
/// # Examples
///
/// ```
/// use plugin_manager::{Event, Reporter};
/// let bars = cli_render::progress::Bars::hidden();
/// bars.event(&Event::FetchStart { source: "web:neo.zip", size: Some(10) });
/// bars.event(&Event::FetchProgress { source: "web:neo.zip", bytes: 5 });
/// assert_eq!(bars.active(), 1);
/// bars.event(&Event::FetchDone { source: "web:neo.zip", bytes: 10, files: 1 });
/// assert_eq!(bars.active(), 0);
/// ```
#[derive(Default)]
pub struct Bars {
    multi: indicatif::MultiProgress,
    bars: Mutex<HashMap<String, indicatif::ProgressBar>>,
}

impl Bars {
    /// Bars drawn nowhere (tests, examples).
    pub fn hidden() -> Bars {
        Bars {
            multi: indicatif::MultiProgress::with_draw_target(
                indicatif::ProgressDrawTarget::hidden(),
            ),
            bars: Mutex::default(),
        }
    }

    /// How many downloads are running.
    pub fn active(&self) -> usize {
        self.bars
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Reporter for Bars {
    fn event(&self, event: &Event<'_>) {
        let mut bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        match *event {
            Event::FetchStart { source, size } => {
                let bar = match size {
                    Some(n) => indicatif::ProgressBar::new(n),
                    None => indicatif::ProgressBar::no_length(),
                };
                let style = indicatif::ProgressStyle::with_template(
                    "{msg:40!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
                let bar = self.multi.add(bar.with_style(style));
                bar.set_message(source.to_owned());
                bars.insert(source.to_owned(), bar);
            }
            Event::FetchProgress { source, bytes } => {
                if let Some(b) = bars.get(source) {
                    b.set_position(bytes);
                }
            }
            Event::FetchDone { source, .. } => {
                if let Some(b) = bars.remove(source) {
                    b.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}

/// One `tracing` info event per step: `plan` (per artifact), `downloading`,
/// `downloaded` (with `ms`), `published`.
///
/// # Examples
///
/// ```
/// use plugin_manager::{Event, Reporter};
/// let events = cli_render::progress::Events::default();
/// events.event(&Event::Published { generation: "g-1" });
/// ```
#[derive(Default)]
pub struct Events {
    started: Mutex<HashMap<String, Instant>>,
}

impl Reporter for Events {
    fn event(&self, event: &Event<'_>) {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        match *event {
            Event::Planned(plan) => {
                for item in &plan.items {
                    let (source, reason) = (item.source.as_str(), item.reason.as_str());
                    tracing::info!(source, action = item.action.as_str(), reason, "plan");
                }
            }
            Event::FetchStart { source, size } => {
                started.insert(source.to_owned(), Instant::now());
                tracing::info!(source, size, "downloading");
            }
            Event::FetchDone {
                source,
                bytes,
                files,
            } => {
                let ms = started.remove(source).map_or(0, |t| {
                    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
                });
                tracing::info!(source, bytes, files, ms, "downloaded");
            }
            Event::Published { generation } => tracing::info!(generation, "published"),
            _ => {}
        }
    }
}
