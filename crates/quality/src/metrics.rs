//! Quality metrics of a c2 stack: value integrity (NaN/Inf/negative fractions, range,
//! moments), matrix structure (diagonal vs first off-diagonal ratio, symmetry error),
//! a robust noise estimate, the lag profile (lag-1 level, long-lag baseline, contrast,
//! baseline drift), signal-to-noise, correlation validity, time/angle consistency.
//! All values are finite (undefined ones are `None`), so metrics round-trip via JSON.
//! Measurement only: the controller's rules and score interpret these numbers.

use ndarray::{ArrayView1, ArrayView2, ArrayView3, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest reported signal-to-noise ratio (noise-free data).
pub(crate) const SNR_CAP: f64 = 1e6;

/// Metrics of one validation pass. Scores are on a 0–100 scale.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityMetrics {
    /// Overall 0–100 score (filled in by the controller).
    pub overall_score: f64,
    /// Shape `(n_phi, n_t1, n_t2)`.
    pub shape: [usize; 3],
    /// Fraction of finite values (0 for an empty stack).
    pub finite_fraction: f64,
    /// Fraction of NaN values.
    pub nan_fraction: f64,
    /// Fraction of ±Inf values.
    pub inf_fraction: f64,
    /// Fraction of finite negative values.
    pub negative_fraction: f64,
    /// Count of NaN values.
    pub nan_count: usize,
    /// Count of ±Inf values.
    pub inf_count: usize,
    /// Count of finite negative values.
    pub negative_count: usize,
    /// Minimum finite value.
    pub min: Option<f64>,
    /// Maximum finite value.
    pub max: Option<f64>,
    /// Mean of the finite values.
    pub mean: Option<f64>,
    /// Population standard deviation of the finite values.
    pub std: Option<f64>,
    /// `max − min` of the finite values.
    pub signal_range: Option<f64>,
    /// Mean diagonal / mean first off-diagonal (≈ 1 after diagonal correction).
    pub diagonal_ratio: Option<f64>,
    /// Mean |C − Cᵀ| / max |C| averaged over angles.
    pub symmetry_error: Option<f64>,
    /// `100 · (1 − symmetry_error)`, clamped to [0, 100] (0 when undefined).
    pub symmetry_score: f64,
    /// Robust noise: 1.4826 · MAD of `C[i,j] − C[i+1,j+1]` (lag ≥ 1) / √2, angle mean.
    pub noise_estimate: Option<f64>,
    /// Mean c2 at lag 1 (first off-diagonal).
    pub lag1_mean: Option<f64>,
    /// Mean c2 over the longest 25 % of lags ("g2 baseline").
    pub long_lag_baseline: Option<f64>,
    /// `lag1_mean − long_lag_baseline`.
    pub contrast_estimate: Option<f64>,
    /// |mean of the first half − mean of the second half of the long lags| / |contrast|:
    /// small when c2 has flattened to its baseline.
    pub baseline_drift: Option<f64>,
    /// `contrast / noise` (capped at 1e6), or `mean / std` without a lag profile.
    pub snr: Option<f64>,
    /// `min(10 · snr, 100)`.
    pub signal_to_noise: f64,
    /// 85 if the mean is in [0.5, 3], 60 in [0.1, 5], else 30; +15 with positive contrast.
    pub correlation_validity: f64,
    /// `t` finite, strictly increasing and of the matrix size; square matrices.
    pub time_consistency: bool,
    /// Number of angles.
    pub angle_count: usize,
    /// max − min of the finite angles, degrees.
    pub angle_span_deg: Option<f64>,
    /// Percentage of angles kept relative to the previous stage.
    pub filtering_efficiency: Option<f64>,
    /// No preprocessing artefacts (all finite, values in [−10, 100]).
    pub preprocessing_success: bool,
    /// `min(1, finite_fraction / max(0.1, previous finite_fraction))`.
    pub transformation_fidelity: Option<f64>,
    /// Weighted readiness for analysis (integrity, validity, SNR, consistency), 0–100.
    pub analysis_readiness: f64,
    /// Errors + warnings found before auto-repair.
    pub issues_detected: usize,
    /// Repair actions applied.
    pub issues_repaired: usize,
    /// `100 · issues_repaired / issues_detected`, capped at 100.
    pub repair_success_rate: f64,
}

/// Per-angle structural statistics.
#[derive(Default)]
struct AngleStats {
    diag_ratio: Option<f64>,
    sym_err: Option<f64>,
    noise: Option<f64>,
    lag1: Option<f64>,
    baseline: Option<f64>,
    drift: Option<f64>,
}

fn finite_mean(it: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for v in it.filter(|v| v.is_finite()) {
        s += v;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

fn mean_opt(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    finite_mean(v.flatten())
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let k = v.len() / 2;
    let hi = *v.select_nth_unstable_by(k, f64::total_cmp).1;
    if v.len() % 2 == 1 {
        Some(hi)
    } else {
        let lo = v[..k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(0.5 * (lo + hi))
    }
}

fn angle_stats(m: ArrayView2<f64>) -> AngleStats {
    let n = m.nrows();
    let mut st = AngleStats::default();
    if n < 2 || m.ncols() != n {
        return st;
    }
    // Lag profile g[lag] (both triangles).
    let mut g = vec![f64::NAN; n];
    for (lag, gl) in g.iter_mut().enumerate() {
        *gl = finite_mean((0..n - lag).flat_map(|i| [m[[i, i + lag]], m[[i + lag, i]]]))
            .unwrap_or(f64::NAN);
    }
    st.lag1 = g[1].is_finite().then_some(g[1]);
    if let (true, Some(l1)) = (g[0].is_finite(), st.lag1)
        && l1 != 0.0
    {
        st.diag_ratio = Some(g[0] / l1);
    }
    // Long-lag baseline over the last 25 % of lags (at least one lag >= 1).
    let l0 = ((0.75 * (n - 1) as f64).floor() as usize).max(1);
    let long = &g[l0..];
    st.baseline = finite_mean(long.iter().copied());
    if long.len() >= 2 {
        let h = long.len() / 2;
        if let (Some(a), Some(b), Some(l1), Some(base)) = (
            finite_mean(long[..h].iter().copied()),
            finite_mean(long[h..].iter().copied()),
            st.lag1,
            st.baseline,
        ) {
            let c = (l1 - base).abs();
            if c > 0.0 {
                st.drift = Some(((a - b).abs() / c).min(SNR_CAP));
            }
        }
    }
    // Symmetry.
    let max_abs = m
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let sym = finite_mean(
        (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| (m[[i, j]] - m[[j, i]]).abs()),
    );
    if let Some(e) = sym
        && max_abs > 0.0
    {
        st.sym_err = Some(e / max_abs);
    } else if sym.is_some() {
        st.sym_err = Some(0.0);
    }
    // Noise from differences along constant-lag lines (upper triangle, lag >= 1).
    if n >= 3 {
        let mut d: Vec<f64> = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n - 1 {
            for j in i + 1..n - 1 {
                let v = m[[i, j]] - m[[i + 1, j + 1]];
                if v.is_finite() {
                    d.push(v);
                }
            }
        }
        if let Some(med) = median(&mut d) {
            for v in &mut d {
                *v = (*v - med).abs();
            }
            if let Some(mad) = median(&mut d) {
                st.noise = Some(1.4826 * mad / std::f64::consts::SQRT_2);
            }
        }
    }
    st
}

/// Computes the metrics of `c2` (`(n_phi, n_t1, n_t2)`) with time axis `t` (length
/// `n_t2`) and angles `phi` (degrees, length `n_phi`). Never panics; structural
/// metrics need square matrices with n >= 2 and are `None` otherwise.
pub fn compute_metrics(
    c2: ArrayView3<f64>,
    t: ArrayView1<f64>,
    phi: ArrayView1<f64>,
) -> QualityMetrics {
    let (n_phi, n1, n2) = c2.dim();
    let total = c2.len();
    let mut q = QualityMetrics {
        shape: [n_phi, n1, n2],
        angle_count: n_phi,
        ..Default::default()
    };
    let (mut nan, mut inf, mut neg, mut cnt) = (0usize, 0usize, 0usize, 0usize);
    let (mut sum, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for &v in c2.iter() {
        if v.is_nan() {
            nan += 1;
        } else if v.is_infinite() {
            inf += 1;
        } else {
            cnt += 1;
            sum += v;
            lo = lo.min(v);
            hi = hi.max(v);
            if v < 0.0 {
                neg += 1;
            }
        }
    }
    if total > 0 {
        let tf = total as f64;
        q.finite_fraction = cnt as f64 / tf;
        q.nan_fraction = nan as f64 / tf;
        q.inf_fraction = inf as f64 / tf;
        q.negative_fraction = neg as f64 / tf;
    }
    q.nan_count = nan;
    q.inf_count = inf;
    q.negative_count = neg;
    if cnt > 0 {
        let mean = sum / cnt as f64;
        let var = c2
            .iter()
            .filter(|v| v.is_finite())
            .map(|v| (v - mean) * (v - mean))
            .sum::<f64>()
            / cnt as f64;
        q.min = Some(lo);
        q.max = Some(hi);
        q.mean = Some(mean);
        q.std = Some(var.sqrt());
        q.signal_range = Some(hi - lo);
    }

    let stats: Vec<AngleStats> = c2
        .axis_iter(Axis(0))
        .into_par_iter()
        .map(angle_stats)
        .collect();
    q.diagonal_ratio = mean_opt(stats.iter().map(|s| s.diag_ratio));
    q.symmetry_error = mean_opt(stats.iter().map(|s| s.sym_err));
    q.symmetry_score = q
        .symmetry_error
        .map_or(0.0, |e| (100.0 * (1.0 - e)).clamp(0.0, 100.0));
    q.noise_estimate = mean_opt(stats.iter().map(|s| s.noise));
    q.lag1_mean = mean_opt(stats.iter().map(|s| s.lag1));
    q.long_lag_baseline = mean_opt(stats.iter().map(|s| s.baseline));
    q.baseline_drift = mean_opt(stats.iter().map(|s| s.drift));
    if let (Some(a), Some(b)) = (q.lag1_mean, q.long_lag_baseline) {
        q.contrast_estimate = Some(a - b);
    }
    q.snr = match (q.contrast_estimate, q.noise_estimate) {
        (Some(c), Some(nz)) if nz > 0.0 => Some((c / nz).clamp(-SNR_CAP, SNR_CAP)),
        (Some(c), Some(_)) => Some(if c > 0.0 { SNR_CAP } else { 0.0 }),
        _ => match (q.mean, q.std) {
            (Some(m), Some(s)) if m > 0.0 => Some(if s > 0.0 {
                (m / s).min(SNR_CAP)
            } else {
                SNR_CAP
            }),
            _ => None,
        },
    };
    q.signal_to_noise = q.snr.map_or(0.0, |s| (10.0 * s).clamp(0.0, 100.0));
    q.correlation_validity = match q.mean {
        None => 0.0,
        Some(m) => {
            let base = if (0.5..=3.0).contains(&m) {
                85.0
            } else if (0.1..=5.0).contains(&m) {
                60.0
            } else {
                30.0
            };
            base + if q.contrast_estimate.is_some_and(|c| c > 0.0) {
                15.0
            } else {
                0.0
            }
        }
    };
    q.time_consistency = n1 == n2
        && t.len() == n2
        && t.iter().all(|v| v.is_finite())
        && t.windows(2).into_iter().all(|w| w[1] > w[0])
        && phi.len() == n_phi;
    let fphi: Vec<f64> = phi.iter().copied().filter(|v| v.is_finite()).collect();
    if !fphi.is_empty() {
        let a = fphi.iter().copied().fold(f64::INFINITY, f64::min);
        let b = fphi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        q.angle_span_deg = Some(b - a);
    }
    q.preprocessing_success = total > 0 && cnt == total && lo >= -10.0 && hi <= 100.0;
    q.analysis_readiness =
        0.4 * (q.finite_fraction * 100.0 + q.correlation_validity + q.signal_to_noise) / 3.0
            + 0.3 * if total > 0 { 100.0 } else { 0.0 }
            + 0.2 * if q.time_consistency { 100.0 } else { 0.0 }
            + 0.1 * if q.preprocessing_success { 100.0 } else { 0.0 };
    q
}
