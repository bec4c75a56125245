//! Progress of an analysis as it runs, for whoever drives it: the command line draws
//! spinners and bars, a notebook calls back into Python, a batch job ignores it.

use homodyne_io::Progress;

/// Receives the stages of an analysis. Every method has an empty default, so an
/// observer implements only what it shows. Methods may be called from worker threads.
pub trait Observer: Send + Sync {
    /// A long stage (loading, fitting) starts.
    fn stage_started(&self, _message: &str) {}
    /// The running stage ended after `seconds`.
    fn stage_finished(&self, _message: &str, _seconds: f64) {}
    /// The optimiser finished an iteration (cost = chi^2 of the robust loss).
    fn iteration(&self, _iteration: usize, _cost: f64) {}
    /// The NLSQ fit entered a phase (local fit, multi-start, CMA-ES, refinement): one
    /// line for people.
    fn fit_phase(&self, _message: &str) {}
    /// A job of `total` equal steps (figures) starts.
    fn steps_started(&self, _label: &str, _total: usize) {}
    /// One step of the running job is done.
    fn step(&self) {}
    /// The running job ended.
    fn steps_finished(&self) {}
    /// CMC sampling starts: `shards` shards of `chains` chains, `draws_per_chain` draws
    /// each (warm-up included); `resumed` shards come from checkpoints.
    fn cmc_started(&self, _shards: usize, _chains: usize, _draws_per_chain: u64, _resumed: usize) {}
    /// A chain of a shard made a draw (`tuning`: still in warm-up).
    fn cmc_draw(&self, _shard: usize, _chain: usize, _tuning: bool, _diverging: bool) {}
    /// A shard finished all its chains (`divergences`: its divergent kept draws).
    fn cmc_shard_finished(&self, _shard: usize, _divergences: usize) {}
    /// Whether the caller wants the running analysis to stop (finished CMC shards are
    /// kept).
    fn cancelled(&self) -> bool {
        false
    }
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}

/// An [`Observer`] seen as the result writers' [`Progress`].
pub(crate) struct AsProgress<'a>(pub &'a dyn Observer);

impl Progress for AsProgress<'_> {
    fn begin(&self, label: &str, total: usize) {
        self.0.steps_started(label, total);
    }
    fn step(&self) {
        self.0.step();
    }
    fn end(&self) {
        self.0.steps_finished();
    }
}

/// A running stage: reports its start, and its end with the elapsed time.
pub(crate) struct Stage<'a> {
    observer: &'a dyn Observer,
    started: std::time::Instant,
}

impl<'a> Stage<'a> {
    pub(crate) fn start(observer: &'a dyn Observer, message: &str) -> Self {
        tracing::info!("{message}");
        observer.stage_started(message);
        Stage {
            observer,
            started: std::time::Instant::now(),
        }
    }

    pub(crate) fn finish(self, message: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        tracing::info!("{message} ({seconds:.2} s)");
        self.observer.stage_finished(message, seconds);
    }
}
