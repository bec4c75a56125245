//! Progress of writing a known number of files (figures): the front end decides how to
//! show it (a terminal bar, a notebook callback, nothing).

/// Receives the steps of a counted job. Every method has an empty default.
pub trait Progress: Sync {
    /// A job of `total` steps starts.
    fn begin(&self, _label: &str, _total: usize) {}
    /// One step is done (may be called from several threads).
    fn step(&self) {}
    /// The job is over (also after a failure).
    fn end(&self) {}
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
