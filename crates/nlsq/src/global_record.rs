//! The record a global search (multi-start, CMA-ES, anti-degeneracy layers; crate
//! `homodyne-global`) leaves on the result it chose: what ran and why, the starts, the
//! basins found and which anti-degeneracy layer acted. Written into
//! `convergence_metrics.json` as `global_search`.

use serde::Serialize;

/// One basin of attraction: the local solutions that ended at the same parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Basin {
    /// Robust cost (`sum rho`) of the basin's best solution.
    pub cost: f64,
    /// chi^2 of the basin's best solution.
    pub chi_squared: f64,
    /// Reduced chi^2 of the basin's best solution.
    pub reduced_chi_squared: f64,
    /// Names of the optimiser's variables.
    pub names: Vec<String>,
    /// The basin's best optimiser vector.
    pub parameters: Vec<f64>,
    /// How many refined starts ended in this basin.
    pub members: usize,
    /// Whether its best local solve met a tolerance.
    pub converged: bool,
}

/// An anti-degeneracy layer that acted, with why.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LayerAction {
    /// Layer number (2 hierarchical, 3 regularisation, 4 gradient monitoring, 5 shear
    /// weighting).
    pub layer: u8,
    /// Layer name.
    pub name: String,
    /// When and why it acted, and what it did.
    pub message: String,
}

/// The CMA-ES part of a global search.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CmaesRecord {
    /// Preset used.
    pub preset: String,
    /// Generations run (all restarts).
    pub generations: usize,
    /// Restarts made (BIPOP).
    pub restarts: usize,
    /// Population size of the first run.
    pub popsize: usize,
    /// Largest population used.
    pub max_popsize: usize,
    /// Best (profiled) chi^2 found by the evolution, before refinement.
    pub best_cost: f64,
    /// Why the evolution stopped.
    pub stop: String,
}

/// The coarse subset of the time pairs a global search on large data screened, evolved
/// and solved from its starts on ([`crate::CoarseSubset`], planned by the coarse options
/// as the local fit's coarse stage is); the best basins found there were then refined on
/// every point.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SearchSubset {
    /// Frames between the grid times whose pairs were kept (every pair with a time on
    /// the grid of every `stride`-th frame).
    pub stride: usize,
    /// Points of the subset objective.
    pub n_points: usize,
    /// Points of the full objective.
    pub n_points_full: usize,
    /// Basins of the subset refined on every point (0 when none was).
    pub full_refinements: usize,
}

impl GlobalSearchRecord {
    /// Basins other than the chosen one whose cost is within `scale` (`s^2`, one standard
    /// deviation of chi^2) of `cost`, the answer's: `(index, delta cost / scale)`. The
    /// data cannot tell such a basin from the answer. Empty for a search on a coarse
    /// subset (its basins' costs are the subset's).
    pub fn rivals(&self, cost: f64, scale: f64) -> Vec<(usize, f64)> {
        if self.subset.is_some() || !(scale > 0.0 && scale.is_finite()) {
            return Vec::new();
        }
        let chosen = if self.chosen_basin == usize::MAX {
            None
        } else {
            Some(self.chosen_basin)
        };
        self.basins
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != chosen)
            .map(|(i, b)| (i, (b.cost - cost) / scale))
            .filter(|&(_, d)| d < 1.0)
            .collect()
    }
}

/// What a global search did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GlobalSearchRecord {
    /// `multi_start` or `cmaes`.
    pub method: String,
    /// Why it ran (configuration, `values: null`, a poor local fit, ...).
    pub reason: String,
    /// How the method was chosen (explicit, or the scale-ratio rule with its value).
    pub selection: String,
    /// Seed of the random starts / evolution.
    pub seed: u64,
    /// Starts drawn (space-filling design plus given starts).
    pub n_starts: usize,
    /// Starts refined by a local solve after screening.
    pub n_refined: usize,
    /// Objective evaluations without derivatives (screening, evolution).
    pub evaluations: usize,
    /// Objective evaluations of the local solves (with and without derivatives).
    pub local_evaluations: usize,
    /// Basins found, best first.
    pub basins: Vec<Basin>,
    /// Index in `basins` of the chosen one (0: the best).
    pub chosen_basin: usize,
    /// Anti-degeneracy layers that acted.
    pub layers: Vec<LayerAction>,
    /// CMA-ES details when it ran.
    pub cmaes: Option<CmaesRecord>,
    /// The coarse subset of the time pairs the search worked on (large data); `None`
    /// when it worked on every point.
    pub subset: Option<SearchSubset>,
    /// Seconds spent in the search (local refinements included).
    pub seconds: f64,
}
