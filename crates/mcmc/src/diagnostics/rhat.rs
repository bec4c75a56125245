//! Potential scale reduction factor: classic split R-hat and the rank-normalised version.

use ndarray::{Array2, ArrayView2};

use super::ess::var_ddof1;
use super::rank::z_scale;
use super::{median, split_chains, valid};

/// `sqrt((B/W + n - 1)/n)` for a (chain, draw) array taken as is (arviz-stats `_rhat`).
pub(crate) fn rhat_raw(ary: ArrayView2<f64>) -> f64 {
    let n = ary.ncols() as f64;
    let means: Vec<f64> = ary.rows().into_iter().map(|r| r.sum() / n).collect();
    let within = ary
        .rows()
        .into_iter()
        .map(|r| var_ddof1(&r.to_vec()))
        .sum::<f64>()
        / ary.nrows() as f64;
    let between = n * var_ddof1(&means);
    ((between / within + n - 1.0) / n).sqrt()
}

/// Split R-hat without rank normalisation. `NaN` for fewer than 2 chains.
pub fn rhat(draws: ArrayView2<f64>) -> f64 {
    if !valid(draws, 2) {
        return f64::NAN;
    }
    rhat_raw(split_chains(draws).view())
}

/// Rank-normalised split R-hat: the larger of the bulk R-hat (z-scaled split chains) and
/// the tail R-hat (z-scaled |split - median|). `NaN` for fewer than 2 chains or a constant
/// quantity.
pub fn rhat_rank(draws: ArrayView2<f64>) -> f64 {
    if !valid(draws, 2) {
        return f64::NAN;
    }
    let split = split_chains(draws);
    let bulk = rhat_raw(z_scale(split.view()).view());
    let med = median(split.view());
    let folded: Array2<f64> = split.mapv(|v| (v - med).abs());
    let tail = rhat_raw(z_scale(folded.view()).view());
    // Python's max(bulk, tail): keeps `bulk` (even NaN) unless `tail` is strictly larger.
    if tail > bulk { tail } else { bulk }
}
