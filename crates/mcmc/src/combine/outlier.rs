//! Mahalanobis outlier filter on shard means (`robust_consensus_mc`).
//!
//! Distance of each shard mean to the coordinatewise median of shard means, measured with
//! the elementwise median of the shard covariances (a robust, permutation-invariant
//! "typical shard" scale; if that median matrix is not positive definite, its diagonal is
//! used). A shard is an outlier when the robust z of its distance,
//! `0.6745 (d - median d) / MAD d`, exceeds the threshold (one-sided: only far shards).
//! As in the reference: fewer than 3 candidates, MAD = 0, or fewer than 3 inliers left
//! ⇒ nothing is dropped.
//!
//! The MAD of ~10 distances is itself noisy, so the robust z alone drops a consistent
//! shard in roughly 1 run in 10 (K = 11, 3-d, measured). A shard is therefore dropped only
//! if, in addition, its squared distance measured with its *own* covariance exceeds the
//! `chi2_prob` quantile of chi^2 with P degrees of freedom: a consistent shard's mean
//! scatters about like its own posterior, so that distance is roughly chi^2_P whatever
//! the shard's size (with the median covariance, small shards would look far).

use ndarray::{Array1, Array2};

use super::linalg::Cholesky;
use crate::diagnostics::inv_normal_cdf;

/// Wilson-Hilferty approximation of the chi^2 quantile (at 0.999: 3 % high at P = 1,
/// 1.7 % at P = 3, less beyond; ample for a threshold).
pub(crate) fn chi2_quantile(prob: f64, dof: usize) -> f64 {
    let k = dof as f64;
    let a = 2.0 / (9.0 * k);
    (k * (1.0 - a + inv_normal_cdf(prob) * a.sqrt()).powi(3)).max(0.0)
}

/// Median with numpy's even-count convention (mean of the two middle values).
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Outlier flags per candidate: `Some((distance, robust_z))` for the dropped ones.
pub(crate) fn outliers(
    means: &[&Array1<f64>],
    covs: &[&Array2<f64>],
    own: &[&Cholesky],
    threshold: f64,
    chi2_prob: f64,
) -> Vec<Option<(f64, f64)>> {
    let k = means.len();
    let mut flags = vec![None; k];
    if k < 3 {
        return flags;
    }
    let p = means[0].len();
    let center = Array1::from_shape_fn(p, |j| {
        median(&means.iter().map(|m| m[j]).collect::<Vec<_>>())
    });
    let scale = Array2::from_shape_fn((p, p), |(i, j)| {
        median(&covs.iter().map(|c| c[[i, j]]).collect::<Vec<_>>())
    });
    let chol = Cholesky::new(&scale).or_else(|_| {
        let diag = Array2::from_shape_fn((p, p), |(i, j)| if i == j { scale[[i, i]] } else { 0.0 });
        Cholesky::new(&diag)
    });
    let Ok(chol) = chol else {
        return flags;
    };
    let distances: Vec<f64> = means
        .iter()
        .map(|m| {
            let r: Vec<f64> = (0..p).map(|j| m[j] - center[j]).collect();
            chol.forward(&r).iter().map(|y| y * y).sum::<f64>().sqrt()
        })
        .collect();
    let med = median(&distances);
    let mad = median(
        &distances
            .iter()
            .map(|d| (d - med).abs())
            .collect::<Vec<_>>(),
    );
    if mad <= 0.0 || !mad.is_finite() {
        return flags;
    }
    let min_d2 = if chi2_prob > 0.0 {
        chi2_quantile(chi2_prob, p)
    } else {
        0.0
    };
    for (i, (flag, &d)) in flags.iter_mut().zip(&distances).enumerate() {
        let z = 0.6745 * (d - med) / mad;
        let r: Vec<f64> = (0..p).map(|j| means[i][j] - center[j]).collect();
        let own_d2: f64 = own[i].forward(&r).iter().map(|y| y * y).sum();
        if z > threshold && own_d2 > min_d2 {
            *flag = Some((d, z));
        }
    }
    let inliers = flags.iter().filter(|f| f.is_none()).count();
    if inliers < 3 {
        return vec![None; k];
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::chi2_quantile;

    #[test]
    fn wilson_hilferty_is_close_to_exact_quantiles() {
        // scipy.stats.chi2.ppf(0.999, k) for k = 1, 3, 10, 50.
        for (k, exact) in [
            (1, 10.827566),
            (3, 16.266236),
            (10, 29.588298),
            (50, 86.661132),
        ] {
            let rel = (chi2_quantile(0.999, k) - exact).abs() / exact;
            assert!(rel < 0.035, "k {k}: {} vs {exact}", chi2_quantile(0.999, k));
        }
    }
}
