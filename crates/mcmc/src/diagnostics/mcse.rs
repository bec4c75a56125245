//! Monte Carlo standard errors of the mean and the sd, as arviz-stats 1.3.3 computes them
//! (`_mcse_mean`; `_mcse_sd` = delta method with the ESS of the squared deviations).

use ndarray::{Array2, ArrayView2};

use super::ess::{ess_mean, ess_raw, var_ddof1};
use super::{split_chains, valid};

/// MCSE of the mean: `sd(ddof = 1) / sqrt(ess_mean)`.
pub fn mcse_mean(draws: ArrayView2<f64>) -> f64 {
    if !valid(draws, 1) {
        return f64::NAN;
    }
    let flat: Vec<f64> = draws.iter().copied().collect();
    var_ddof1(&flat).sqrt() / ess_mean(draws).sqrt()
}

/// MCSE of the sd by the delta method on the variance:
/// `sqrt((E[d^4] - E[d^2]^2) / ess_sd / E[d^2] / 4)` with `d = x - mean` and `ess_sd` the
/// ESS of the split chains of `d^2` (arviz-stats `_ess_sd`).
pub fn mcse_sd(draws: ArrayView2<f64>) -> f64 {
    if !valid(draws, 1) {
        return f64::NAN;
    }
    let n = draws.len() as f64;
    let mean = draws.sum() / n;
    let sq: Array2<f64> = draws.mapv(|v| (v - mean) * (v - mean));
    let ess_sd = ess_raw(split_chains(sq.view()).view());
    let evar = sq.sum() / n;
    let e4 = sq.iter().map(|v| v * v).sum::<f64>() / n;
    let varvar = (e4 - evar * evar) / ess_sd;
    (varvar / evar / 4.0).sqrt()
}
