//! Per-parameter summary row (the diagnostics columns of `az.summary`, plus 5/50/95 %
//! quantiles).

use ndarray::ArrayView2;
use serde::Serialize;

use super::ess::var_ddof1;
use super::quantile::{quantile_sorted, sorted};
use super::{DEFAULT_TAIL_PROBS, ess_bulk, ess_tail, mcse_mean, mcse_sd, rhat_rank};

/// Quantiles reported by [`Summary`].
pub const SUMMARY_QUANTILES: [f64; 3] = [0.05, 0.5, 0.95];

/// Posterior summary of one scalar quantity. Undefined entries are `NaN` (JSON `null`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Mean over all draws.
    pub mean: f64,
    /// Standard deviation over all draws (ddof = 1).
    pub sd: f64,
    /// 5 % quantile.
    pub q05: f64,
    /// Median.
    pub q50: f64,
    /// 95 % quantile.
    pub q95: f64,
    /// Rank-normalised split R-hat (`NaN` for one chain).
    pub rhat: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size at [`DEFAULT_TAIL_PROBS`].
    pub ess_tail: f64,
    /// Monte Carlo standard error of the mean.
    pub mcse_mean: f64,
    /// Monte Carlo standard error of the sd.
    pub mcse_sd: f64,
}

/// Summary of draws shaped (chain, draw). All fields are `NaN` if any draw is non-finite
/// or there are none; the diagnostics are also `NaN` below [`MIN_DRAWS`](super::MIN_DRAWS)
/// draws per chain.
pub fn summarize(draws: ArrayView2<f64>) -> Summary {
    if draws.is_empty() || draws.iter().any(|v| !v.is_finite()) {
        let nan = f64::NAN;
        return Summary {
            mean: nan,
            sd: nan,
            q05: nan,
            q50: nan,
            q95: nan,
            rhat: nan,
            ess_bulk: nan,
            ess_tail: nan,
            mcse_mean: nan,
            mcse_sd: nan,
        };
    }
    let flat: Vec<f64> = draws.iter().copied().collect();
    let s = sorted(flat.iter().copied());
    let [p05, p50, p95] = SUMMARY_QUANTILES;
    Summary {
        mean: flat.iter().sum::<f64>() / flat.len() as f64,
        sd: if flat.len() > 1 {
            var_ddof1(&flat).sqrt()
        } else {
            f64::NAN
        },
        q05: quantile_sorted(&s, p05),
        q50: quantile_sorted(&s, p50),
        q95: quantile_sorted(&s, p95),
        rhat: rhat_rank(draws),
        ess_bulk: ess_bulk(draws),
        ess_tail: ess_tail(draws, DEFAULT_TAIL_PROBS),
        mcse_mean: mcse_mean(draws),
        mcse_sd: mcse_sd(draws),
    }
}
