//! The terminal's view of an analysis: a spinner with elapsed time (and the solver's
//! iteration and cost) for long stages, a bar with ETA for figures. indicatif hides
//! both when stderr is not a terminal.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use homodyne::Observer;
use indicatif::{ProgressBar, ProgressStyle};

/// Spinners and bars on stderr.
#[derive(Default)]
pub struct Terminal {
    /// The running stage's spinner and its base message.
    stage: Mutex<Option<(ProgressBar, String)>>,
    /// The running counted job's bar.
    steps: Mutex<Option<ProgressBar>>,
    /// CMC: the draws bar, shards (done, total) and divergent kept draws so far.
    cmc: Mutex<Option<ProgressBar>>,
    cmc_shards: AtomicUsize,
    cmc_total: AtomicUsize,
    cmc_divergences: AtomicUsize,
}

impl Terminal {
    fn cmc_message(&self) -> String {
        format!(
            "CMC shards {}/{}, {} divergent",
            self.cmc_shards.load(Ordering::Relaxed),
            self.cmc_total.load(Ordering::Relaxed),
            self.cmc_divergences.load(Ordering::Relaxed)
        )
    }
}

impl Observer for Terminal {
    fn stage_started(&self, message: &str) {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut stage) = self.stage.lock() {
            *stage = Some((bar, message.to_string()));
        }
    }

    fn stage_finished(&self, _message: &str, _seconds: f64) {
        if let Ok(mut stage) = self.stage.lock()
            && let Some((bar, _)) = stage.take()
        {
            bar.finish_and_clear();
        }
    }

    fn iteration(&self, iteration: usize, cost: f64) {
        if let Ok(stage) = self.stage.lock()
            && let Some((bar, base)) = stage.as_ref()
        {
            bar.set_message(format!("{base}: iteration {iteration}, cost {cost:.5e}"));
        }
    }

    fn fit_phase(&self, message: &str) {
        // One line per phase (multi-start, CMA-ES, refinement), kept above the spinner.
        if let Ok(stage) = self.stage.lock()
            && let Some((bar, _)) = stage.as_ref()
        {
            bar.println(message);
            return;
        }
        crate::out::errln!("{message}");
    }

    fn steps_started(&self, label: &str, total: usize) {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:30} {pos}/{len} [{elapsed_precise} ETA {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(label.to_string());
        if let Ok(mut steps) = self.steps.lock() {
            *steps = Some(bar);
        }
    }

    fn step(&self) {
        if let Ok(steps) = self.steps.lock()
            && let Some(bar) = steps.as_ref()
        {
            bar.inc(1);
        }
    }

    fn cmc_started(&self, shards: usize, chains: usize, draws_per_chain: u64, resumed: usize) {
        // The stage spinner gives way to the draws bar.
        if let Ok(stage) = self.stage.lock()
            && let Some((bar, _)) = stage.as_ref()
        {
            bar.disable_steady_tick();
            bar.finish_and_clear();
        }
        self.cmc_shards.store(resumed, Ordering::Relaxed);
        self.cmc_total.store(shards, Ordering::Relaxed);
        self.cmc_divergences.store(0, Ordering::Relaxed);
        let total = (shards - resumed.min(shards)) as u64 * chains as u64 * draws_per_chain;
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:30} {pos}/{len} draws ({per_sec}) [{elapsed_precise} ETA {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(self.cmc_message());
        if let Ok(mut cmc) = self.cmc.lock() {
            *cmc = Some(bar);
        }
    }

    fn cmc_draw(&self, _shard: usize, _chain: usize, tuning: bool, diverging: bool) {
        if let Ok(cmc) = self.cmc.lock()
            && let Some(bar) = cmc.as_ref()
        {
            bar.inc(1);
            if diverging && !tuning {
                self.cmc_divergences.fetch_add(1, Ordering::Relaxed);
                bar.set_message(self.cmc_message());
            }
        }
    }

    fn cmc_shard_finished(&self, _shard: usize, _divergences: usize) {
        let done = self.cmc_shards.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut cmc) = self.cmc.lock() {
            if let Some(bar) = cmc.as_ref() {
                bar.set_message(self.cmc_message());
            }
            if done >= self.cmc_total.load(Ordering::Relaxed)
                && let Some(bar) = cmc.take()
            {
                bar.finish_and_clear();
            }
        }
    }

    fn steps_finished(&self) {
        if let Ok(mut steps) = self.steps.lock()
            && let Some(bar) = steps.take()
        {
            bar.finish_and_clear();
        }
    }
}
