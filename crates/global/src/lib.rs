//! Global search for homodyne fits: what a user fitting an unfamiliar sample needs
//! when the start is far from the answer (the configuration's `values: null`, wide
//! bounds) or a local fit ends in a wrong basin.
//!
//! * [`multi_start`]: seeded Latin-hypercube starts over the free physical parameters
//!   (log-scaled where the bounds span decades, [`SearchSpace`]), screened by the
//!   profiled chi^2 ([`Profile`]: each start with its best contrast/offset), the best
//!   refined by local solves in parallel, the solutions clustered into basins.
//! * [`cmaes()`]: bounded CMA-ES with BIPOP restarts on the profiled chi^2, the
//!   population evaluated in parallel, refined by a local solve; [`choose_method`] is
//!   the reference's scale-ratio rule.
//! * [`layers`]: anti-degeneracy layers 2-5 (hierarchical alternation,
//!   regularisation, gradient monitoring, shear weighting), used by every local solve
//!   of a search ([`refine`]).
//!
//! Every search is deterministic for a seed: results do not depend on the thread
//! count. The chosen result carries a [`GlobalSearchRecord`] (starts, basins,
//! evaluations, layers that acted).

#![deny(missing_docs)]

pub mod cmaes;
mod driver;
pub mod layers;
mod multistart;
mod profile;
mod rng;
mod space;
mod subset;

pub use cmaes::{CmaesOptions, Preset, cmaes, cmaes_on};
pub use driver::{Plan, Trigger, fit};
pub use homodyne_nlsq::{Basin, CmaesRecord, GlobalSearchRecord, LayerAction};
pub use layers::{Layers, refine, refine_subset};
pub use multistart::{
    FULL_REFINEMENTS, MultiStartOptions, Outcome, Sampling, cost_at, multi_start, multi_start_on,
};
pub use profile::{Profile, Profiled};
pub use rng::{Rng, latin_hypercube};
pub use space::SearchSpace;
pub use subset::{CoarseSubset, SubsetObjective};

/// Which global method runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Multi-start.
    MultiStart,
    /// CMA-ES.
    Cmaes,
}

impl Method {
    /// `multi_start` or `cmaes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::MultiStart => "multi_start",
            Method::Cmaes => "cmaes",
        }
    }
}

/// The reference's auto-selection: CMA-ES when the scale ratio of the optimiser's
/// bounds (`max(hi - lo) / min(hi - lo)`) exceeds `threshold`, multi-start otherwise.
/// Returns the method and a sentence saying why.
pub fn choose_method(lower: &[f64], upper: &[f64], threshold: f64) -> (Method, String) {
    let ratio = SearchSpace::scale_ratio(lower, upper);
    if ratio > threshold {
        (
            Method::Cmaes,
            format!("scale ratio {ratio:.3e} > {threshold:e}: CMA-ES"),
        )
    } else {
        (
            Method::MultiStart,
            format!("scale ratio {ratio:.3e} <= {threshold:e}: multi-start"),
        )
    }
}
