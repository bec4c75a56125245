//! Progress for long stages: a spinner with elapsed time on a terminal (hidden
//! otherwise), and a log line when the stage ends.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The spinner of the running stage, if any, with its base message.
static CURRENT: Mutex<Option<(ProgressBar, String)>> = Mutex::new(None);

/// Shows the solver's iteration count and (robust) cost on the running stage's spinner
/// (events `trf iteration` of homodyne-nlsq).
pub struct IterationLayer;

/// Target of the solver's per-iteration events.
pub const ITERATION_TARGET: &str = "homodyne_nlsq::solver::trf";

#[derive(Default)]
struct IterationFields {
    iteration: Option<u64>,
    cost: Option<f64>,
}

impl Visit for IterationFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "iteration" {
            self.iteration = Some(value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "cost" {
            self.cost = Some(value);
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for IterationLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = IterationFields::default();
        event.record(&mut fields);
        let (Some(it), Some(cost)) = (fields.iteration, fields.cost) else {
            return;
        };
        if let Ok(guard) = CURRENT.lock()
            && let Some((bar, base)) = guard.as_ref()
        {
            bar.set_message(format!("{base}: iteration {it}, cost {cost:.5e}"));
        }
    }
}

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
        if let Ok(mut current) = CURRENT.lock() {
            *current = Some((bar.clone(), message.to_string()));
        }
        Stage {
            bar,
            started: Instant::now(),
        }
    }

    pub fn finish(self, message: &str) {
        if let Ok(mut current) = CURRENT.lock() {
            *current = None;
        }
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
