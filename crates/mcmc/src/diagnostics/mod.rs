//! Convergence diagnostics for the draws of one scalar quantity, shaped (chain, draw).
//!
//! Formulas follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
//! folding, and localization: an improved R-hat", exactly as arviz-stats 1.3
//! (`base/diagnostics.py`) computes them, so results agree with ArviZ to ~1e-13.
//!
//! Conventions (also ArviZ's):
//! * fewer than [`MIN_DRAWS`] draws per chain, or any non-finite draw ⇒ `NaN`;
//! * R-hat needs at least 2 chains before splitting ⇒ `NaN` for one chain;
//! * a constant quantity has ESS = number of draws after splitting (all of them for an even
//!   draw count) and R-hat `NaN` (0/0), MCSE of the mean 0 and MCSE of the sd `NaN`.
//!
//! `NaN` is the single "undefined" marker; serde_json writes it as `null`.

mod autocov;
mod bfmi;
mod ess;
mod fft;
mod mcse;
mod normal;
mod quantile;
mod rank;
mod rhat;
mod summary;

use ndarray::{Array2, ArrayView2, s};

pub use bfmi::ebfmi;
pub use ess::{ess_bulk, ess_mean, ess_tail};
pub use mcse::{mcse_mean, mcse_sd};
pub use normal::inv_normal_cdf;
pub use rhat::{rhat, rhat_rank};
pub use summary::{SUMMARY_QUANTILES, Summary, summarize};

/// Tail-ESS quantiles of Vehtari et al. (2021), Stan and ArviZ 0.x. ArviZ 1.x instead
/// derives them from `rcParams["stats.ci_prob"]` (0.89 ⇒ 0.11/0.89); we do not.
pub const DEFAULT_TAIL_PROBS: (f64, f64) = (0.05, 0.95);

/// Fewer draws per chain than this give `NaN` (arviz-stats `min_draws`).
pub const MIN_DRAWS: usize = 4;

/// Shape and finiteness check shared by every statistic (arviz-stats `not_valid`, with
/// infinities rejected as well as NaN).
fn valid(ary: ArrayView2<f64>, min_chains: usize) -> bool {
    let (chains, draws) = ary.dim();
    chains >= min_chains && draws >= MIN_DRAWS && ary.iter().all(|v| v.is_finite())
}

/// First and last halves of every chain stacked as separate chains; the middle draw of an
/// odd-length chain is dropped.
fn split_chains(ary: ArrayView2<f64>) -> Array2<f64> {
    let (chains, draws) = ary.dim();
    let half = draws / 2;
    let mut out = Array2::zeros((2 * chains, half));
    out.slice_mut(s![..chains, ..])
        .assign(&ary.slice(s![.., ..half]));
    out.slice_mut(s![chains.., ..])
        .assign(&ary.slice(s![.., draws - half..]));
    out
}

/// Sample quantile `p` over all chains (numpy `quantile`, method "linear"); `NaN` if any
/// draw is non-finite or there are none.
pub fn quantile(draws: ArrayView2<f64>, p: f64) -> f64 {
    if draws.is_empty() || draws.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    quantile::quantile_sorted(&quantile::sorted(draws.iter().copied()), p)
}

/// Median of all entries (numpy `median`); callers guarantee finite values.
fn median(ary: ArrayView2<f64>) -> f64 {
    quantile::quantile_sorted(&quantile::sorted(ary.iter().copied()), 0.5)
}

#[cfg(test)]
mod tests {
    use super::split_chains;
    use ndarray::array;

    #[test]
    fn split_drops_middle_of_odd_chains() {
        let a = array![[1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]];
        let s = split_chains(a.view());
        assert_eq!(s, array![[1.0, 2.0], [6.0, 7.0], [4.0, 5.0], [9.0, 10.0]]);
    }
}
