//! What a front end changes on top of a configuration file: the command line's
//! `--static-mode`, `--initial-d0`, `--max-iterations`, ..., or a Python call's keyword
//! arguments. Applied once, so every consumer (fit, simulation, plots) sees them.

use std::path::PathBuf;

use homodyne_model::AnalysisMode;

/// Changes to a loaded configuration. `Default` changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Force the analysis mode.
    pub mode: Option<AnalysisMode>,
    /// Use this data file instead of `experimental_data`'s.
    pub data_file: Option<PathBuf>,
    /// Start values of physical parameters, by canonical name or alias.
    pub initial: Vec<(String, f64)>,
    /// Cap on optimiser iterations (applies even when the file sets none).
    pub max_iterations: Option<usize>,
    /// Convergence tolerance: ftol = xtol = gtol.
    pub tolerance: Option<f64>,
    /// CMC: kept draws per chain (`--n-samples`).
    pub n_samples: Option<u64>,
    /// CMC: warm-up draws per chain (`--n-warmup`).
    pub n_warmup: Option<u64>,
    /// CMC: chains per shard (`--n-chains`).
    pub n_chains: Option<usize>,
    /// CMC: number of shards (`--cmc-num-shards`).
    pub cmc_num_shards: Option<usize>,
    /// CMC: backend name (`--cmc-backend`).
    pub cmc_backend: Option<String>,
}

impl Overrides {
    /// Set a physical parameter's start value.
    pub fn initial(mut self, name: impl Into<String>, value: f64) -> Self {
        self.initial.push((name.into(), value));
        self
    }
}
