//! Gaussian algebra of the combination: precision-weighted product of the shards' moment
//! fits, Scott et al.'s draw-by-draw consensus, and synthetic draws from the product.

use ndarray::{Array1, Array2, Array3, ArrayView3};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::error::CombineError;
use super::linalg::Cholesky;

/// Product of Gaussians `N(mu_k, Sigma_k)`: `Sigma = (Σ W_k)^-1`, `mu = Sigma Σ W_k mu_k`,
/// and the per-shard consensus matrices `M_k = Sigma W_k` (which sum to the identity).
pub(crate) struct GaussianProduct {
    pub(crate) mean: Array1<f64>,
    pub(crate) cov: Array2<f64>,
    pub(crate) maps: Vec<Array2<f64>>,
}

pub(crate) fn gaussian_product(
    means: &[&Array1<f64>],
    precisions: &[Array2<f64>],
) -> Result<GaussianProduct, CombineError> {
    let p = means[0].len();
    let mut total = Array2::<f64>::zeros((p, p));
    let mut weighted = Array1::<f64>::zeros(p);
    for (w, m) in precisions.iter().zip(means) {
        total += w;
        weighted += &w.dot(*m);
    }
    let chol = Cholesky::new(&total)
        .map_err(|pivot| CombineError::CombinedPrecision(format!("pivot {pivot}")))?;
    let cov = chol.inverse();
    let mean = cov.dot(&weighted);
    let maps = precisions.iter().map(|w| cov.dot(w)).collect();
    Ok(GaussianProduct { mean, cov, maps })
}

/// `theta_(c,g) = Σ_k M_k theta_(k,c,g)`: every combined draw is a weighted average of the
/// same (chain, draw) slot of every shard, so chains stay chains.
pub(crate) fn consensus_draws(shards: &[ArrayView3<f64>], maps: &[Array2<f64>]) -> Array3<f64> {
    let (chains, draws, p) = shards[0].dim();
    let mut out = Array3::<f64>::zeros((chains, draws, p));
    for c in 0..chains {
        for g in 0..draws {
            for (x, m) in shards.iter().zip(maps) {
                for i in 0..p {
                    let mut s = 0.0;
                    for j in 0..p {
                        s += m[[i, j]] * x[[c, g, j]];
                    }
                    out[[c, g, i]] += s;
                }
            }
        }
    }
    out
}

/// Synthetic draws `mu + L z`, `z ~ N(0, I)` from ChaCha8 seeded with `seed`, filled in
/// (chain, draw, param) order.
pub(crate) fn synthetic_draws(
    mean: &Array1<f64>,
    cov: &Array2<f64>,
    shape: (usize, usize),
    seed: u64,
) -> Result<Array3<f64>, CombineError> {
    let p = mean.len();
    let chol = Cholesky::new(cov)
        .map_err(|pivot| CombineError::CombinedPrecision(format!("covariance pivot {pivot}")))?;
    let l = chol.factor();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Array3::<f64>::zeros((shape.0, shape.1, p));
    let mut z = vec![0.0; p];
    for c in 0..shape.0 {
        for g in 0..shape.1 {
            for zj in z.iter_mut() {
                *zj = StandardNormal.sample(&mut rng);
            }
            for i in 0..p {
                let mut s = mean[i];
                for (j, zj) in z.iter().enumerate().take(i + 1) {
                    s += l[[i, j]] * zj;
                }
                out[[c, g, i]] = s;
            }
        }
    }
    Ok(out)
}
