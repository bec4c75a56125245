//! Progress for long stages: a spinner with elapsed time on a terminal (hidden
//! otherwise), and a log line when the stage ends.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A running stage.
pub struct Stage {
    bar: ProgressBar,
    started: Instant,
}

impl Stage {
    pub fn start(message: &str) -> Self {
        tracing::info!("{message}");
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Stage {
            bar,
            started: Instant::now(),
        }
    }

    pub fn finish(self, message: &str) {
        self.bar.finish_and_clear();
        tracing::info!("{message} ({:.2} s)", self.started.elapsed().as_secs_f64());
    }
}

/// A bar with a known length and ETA (e.g. one step per plot written).
pub fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} [{elapsed_precise} ETA {eta}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_string());
    bar
}
