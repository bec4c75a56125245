//! Sample mean and covariance of one shard, pooled over chains, in a fixed summation
//! order (chain, then draw) so results are bit-reproducible.

use ndarray::{Array1, Array2, ArrayView3};

/// Mean and covariance (ddof = 1) of all (chain, draw) rows of a (chain, draw, param)
/// array.
pub(crate) fn mean_cov(draws: ArrayView3<f64>) -> (Array1<f64>, Array2<f64>) {
    let (chains, n_draws, p) = draws.dim();
    let n = (chains * n_draws) as f64;
    let mut mean = Array1::<f64>::zeros(p);
    for c in 0..chains {
        for g in 0..n_draws {
            for j in 0..p {
                mean[j] += draws[[c, g, j]];
            }
        }
    }
    mean /= n;
    let mut cov = Array2::<f64>::zeros((p, p));
    let mut d = vec![0.0; p];
    for c in 0..chains {
        for g in 0..n_draws {
            for j in 0..p {
                d[j] = draws[[c, g, j]] - mean[j];
            }
            for i in 0..p {
                for j in 0..=i {
                    cov[[i, j]] += d[i] * d[j];
                }
            }
        }
    }
    for i in 0..p {
        for j in 0..=i {
            let v = cov[[i, j]] / (n - 1.0);
            cov[[i, j]] = v;
            cov[[j, i]] = v;
        }
    }
    (mean, cov)
}
