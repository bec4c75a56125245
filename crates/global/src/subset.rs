//! The coarse subset the search works on for large data: the screening, the evolution
//! and the local solves from every start use the objective restricted to a
//! deterministic subset of the time pairs; only the best basins are then refined on
//! every point.
//!
//! The subset is the local fit's coarse stage's, planned by nlsq itself
//! ([`homodyne_nlsq::coarse`], configured by the same
//! [`CoarseOptions`](homodyne_nlsq::CoarseOptions)): the unordered pairs `(i, j)` of
//! which at least one time is on the grid of every `stride`-th frame, one residual per
//! pair, so the subset objective is the full one restricted to some of its points and
//! its minima are statistically consistent estimates of the full ones. The search
//! records what it used in [`GlobalSearchRecord::subset`].

use homodyne_nlsq::{GlobalSearchRecord, SearchSubset};

pub use homodyne_nlsq::CoarseSubset;
/// A problem's objective over the pairs of a [`CoarseSubset`]
/// ([`CoarseSubset::objective`]).
pub use homodyne_nlsq::coarse::Subset as SubsetObjective;

/// Record on `record` that the search works on `subset`, none of its basins refined on
/// every point yet.
pub(crate) fn note(record: &mut GlobalSearchRecord, subset: Option<&CoarseSubset>) {
    record.subset = subset.map(|s| SearchSubset {
        stride: s.stride,
        n_points: s.n_points,
        n_points_full: s.n_points_full,
        full_refinements: 0,
    });
}
