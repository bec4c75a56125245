//! Mahalanobis outlier filter on shard means (`robust_consensus_mc`).
//!
//! Distance of each shard mean to the coordinatewise median of shard means, measured with
//! the elementwise median of the shard covariances (a robust, permutation-invariant
//! "typical shard" scale; if that median matrix is not positive definite, its diagonal is
//! used). A shard is an outlier when the robust z of its distance,
//! `0.6745 (d - median d) / MAD d`, exceeds the threshold (one-sided: only far shards).
//! As in the reference: fewer than 3 candidates, MAD = 0, or fewer than 3 inliers left
//! ⇒ nothing is dropped.

use ndarray::{Array1, Array2};

use super::linalg::Cholesky;

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
    threshold: f64,
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
    let mad = median(&distances.iter().map(|d| (d - med).abs()).collect::<Vec<_>>());
    if mad <= 0.0 || !mad.is_finite() {
        return flags;
    }
    for (flag, &d) in flags.iter_mut().zip(&distances) {
        let z = 0.6745 * (d - med) / mad;
        if z > threshold {
            *flag = Some((d, z));
        }
    }
    let inliers = flags.iter().filter(|f| f.is_none()).count();
    if inliers < 3 {
        return vec![None; k];
    }
    flags
}
