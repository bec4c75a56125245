//! Effective sample size: Geyer's initial positive and monotone sequences on the
//! chain-averaged autocovariance (arviz-stats `_ess`), and its bulk/tail/mean variants.

use ndarray::{Array2, ArrayView2};

use super::autocov::{DIRECT_MAX_LAG, MeanAutocov};
use super::quantile::{quantile_sorted, sorted};
use super::rank::z_scale;
use super::{split_chains, valid};

/// ESS of a (chain, draw) array taken as is (no splitting or normalisation).
pub(crate) fn ess_raw(ary: ArrayView2<f64>) -> f64 {
    ess_raw_with(ary, DIRECT_MAX_LAG)
}

pub(crate) fn ess_raw_with(ary: ArrayView2<f64>, direct_max_lag: usize) -> f64 {
    let (n_chain, n_draw) = ary.dim();
    let size = (n_chain * n_draw) as f64;
    let (lo, hi) = ary
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    // np.finfo(float).resolution: a constant quantity is treated as independent draws.
    if hi - lo < 1e-15 {
        return size;
    }
    if n_draw < 2 {
        return f64::NAN;
    }
    let n = n_draw as f64;
    let mut acov = MeanAutocov::new(ary, direct_max_lag);
    let mean_var = acov.at(0) * n / (n - 1.0);
    let mut var_plus = mean_var * (n - 1.0) / n;
    if n_chain > 1 {
        let means: Vec<f64> = ary.rows().into_iter().map(|r| r.sum() / n).collect();
        var_plus += var_ddof1(&means);
    }

    let mut rho = vec![0.0; n_draw];
    let mut rho_even = 1.0;
    rho[0] = rho_even;
    let mut rho_odd = 1.0 - (mean_var - acov.at(1)) / var_plus;
    rho[1] = rho_odd;

    // Geyer's initial positive sequence.
    let mut t = 1usize;
    while t + 3 < n_draw && rho_even + rho_odd > 0.0 {
        rho_even = 1.0 - (mean_var - acov.at(t + 1)) / var_plus;
        rho_odd = 1.0 - (mean_var - acov.at(t + 2)) / var_plus;
        if rho_even + rho_odd >= 0.0 {
            rho[t + 1] = rho_even;
            rho[t + 2] = rho_odd;
        }
        t += 2;
    }
    // max_t = t - 2 may be -1 in Python; keep it as "number of leading terms" instead.
    let leading = t - 1; // = max_t + 1
    if rho_even > 0.0 {
        rho[leading] = rho_even;
    }
    // Geyer's initial monotone sequence.
    let mut t = 1usize;
    while t + 3 <= leading {
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0;
            rho[t + 2] = rho[t + 1];
        }
        t += 2;
    }
    let head: f64 = rho[..leading].iter().sum();
    let tail = rho.get(leading).copied().unwrap_or(0.0);
    let tau = (-1.0 + 2.0 * head + tail).max(1.0 / size.log10());
    if rho.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    size / tau
}

/// Sample variance with ddof = 1.
pub(crate) fn var_ddof1(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
}

/// Bulk ESS: ESS of the rank-normalised split chains.
pub fn ess_bulk(draws: ArrayView2<f64>) -> f64 {
    if !valid(draws, 1) {
        return f64::NAN;
    }
    ess_raw(z_scale(split_chains(draws).view()).view())
}

/// Tail ESS: the smaller ESS of the indicators `x <= q(p_lo)` and `x <= q(p_hi)` on split
/// chains. Use [`DEFAULT_TAIL_PROBS`](super::DEFAULT_TAIL_PROBS) for Vehtari et al.'s
/// 5 %/95 %.
pub fn ess_tail(draws: ArrayView2<f64>, probs: (f64, f64)) -> f64 {
    if !valid(draws, 1) {
        return f64::NAN;
    }
    let sorted = sorted(draws.iter().copied());
    let low = ess_quantile(draws, quantile_sorted(&sorted, probs.0));
    let high = ess_quantile(draws, quantile_sorted(&sorted, probs.1));
    // Python's min(low, high): keeps `low` unless `high` is strictly smaller.
    if high < low { high } else { low }
}

fn ess_quantile(draws: ArrayView2<f64>, q: f64) -> f64 {
    let indicator: Array2<f64> = draws.mapv(|v| if v <= q { 1.0 } else { 0.0 });
    ess_raw(split_chains(indicator.view()).view())
}

/// ESS of the mean: split chains, no rank normalisation.
pub fn ess_mean(draws: ArrayView2<f64>) -> f64 {
    if !valid(draws, 1) {
        return f64::NAN;
    }
    ess_raw(split_chains(draws).view())
}

#[cfg(test)]
mod tests {
    use super::ess_raw_with;
    use ndarray::Array2;

    /// Deterministic AR(1) with phi = 0.995 from a tiny LCG: long autocorrelation, so the
    /// sequence runs past the direct-sum lags and the FFT path is used.
    fn ar1(chains: usize, draws: usize) -> Array2<f64> {
        let mut state = 12345u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut out = Array2::zeros((chains, draws));
        for c in 0..chains {
            let mut x = 0.0;
            for d in 0..draws {
                x = 0.995 * x + uniform();
                out[[c, d]] = x;
            }
        }
        out
    }

    #[test]
    fn fft_and_direct_lags_agree() {
        let a = ar1(4, 3000);
        let direct = ess_raw_with(a.view(), usize::MAX);
        let fft = ess_raw_with(a.view(), 0);
        let mixed = ess_raw_with(a.view(), 16);
        assert!(direct.is_finite() && direct > 1.0);
        assert!(((fft - direct) / direct).abs() < 1e-10, "{fft} vs {direct}");
        assert!(
            ((mixed - direct) / direct).abs() < 1e-10,
            "{mixed} vs {direct}"
        );
    }
}
