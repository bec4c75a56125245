//! Exact Gaussian subposteriors for the combination tests, with independent small-matrix
//! algebra (Gauss-Jordan, Cholesky) so the tests do not lean on the crate's own.
#![allow(dead_code)]

use ndarray::{Array1, Array2, Array3, array};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

pub fn inverse(a: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let mut m = a.clone();
    let mut inv = Array2::<f64>::eye(n);
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[[i, col]].abs().total_cmp(&m[[j, col]].abs()))
            .unwrap();
        for j in 0..n {
            m.swap([col, j], [pivot, j]);
            inv.swap([col, j], [pivot, j]);
        }
        let d = m[[col, col]];
        for j in 0..n {
            m[[col, j]] /= d;
            inv[[col, j]] /= d;
        }
        for i in 0..n {
            if i != col {
                let f = m[[i, col]];
                for j in 0..n {
                    m[[i, j]] -= f * m[[col, j]];
                    inv[[i, j]] -= f * inv[[col, j]];
                }
            }
        }
    }
    inv
}

pub fn cholesky(a: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[[i, k]] * l[[j, k]]).sum();
            l[[i, j]] = if i == j {
                (a[[i, i]] - s).sqrt()
            } else {
                (a[[i, j]] - s) / l[[j, j]]
            };
        }
    }
    l
}

/// Pooled sample mean and covariance (ddof = 1) of (chain, draw, param) draws.
pub fn sample_moments(x: &Array3<f64>) -> (Array1<f64>, Array2<f64>) {
    let p = x.dim().2;
    let rows = x.to_shape((x.len() / p, p)).unwrap().to_owned();
    let n = rows.nrows() as f64;
    let mean = rows.mean_axis(ndarray::Axis(0)).unwrap();
    let c = &rows - &mean;
    (mean, c.t().dot(&c) / (n - 1.0))
}

/// Target of the exact test: sds (0.1, 0.05, 0.2), correlation -0.95 between the first
/// two parameters.
pub fn target_cov() -> Array2<f64> {
    let sd = [0.1, 0.05, 0.2];
    let r = array![[1.0, -0.95, 0.3], [-0.95, 1.0, -0.25], [0.3, -0.25, 1.0]];
    Array2::from_shape_fn((3, 3), |(i, j)| r[[i, j]] * sd[i] * sd[j])
}

pub const TARGET_MEAN: [f64; 3] = [1.0, -2.0, 3.0];

/// K Gaussian subposteriors whose product is exactly the target: precisions
/// `P_k = L A_k L^T` with `P = L L^T` and `Σ A_k = I`, `A_k = w_k I + B_k` (shard sizes
/// `w_k` from 0.5 to 1.5 times 1/K, random symmetric `B_k` summing to zero and small enough
/// to keep every `A_k` positive definite), so covariances differ in size and shape; means
/// scattered like real shard means, `m_k ~ N(mu0, Sigma_k)`; and the analytic product.
pub struct Subposteriors {
    pub means: Vec<Array1<f64>>,
    pub covs: Vec<Array2<f64>>,
    pub product_mean: Array1<f64>,
    pub product_cov: Array2<f64>,
}

pub fn subposteriors(k: usize, seed: u64) -> Subposteriors {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let unit = Uniform::new(-1.0, 1.0).unwrap();
    let precision = inverse(&target_cov());
    let l = cholesky(&precision);
    let raw: Vec<f64> = (0..k)
        .map(|i| {
            0.5 + if k > 1 {
                i as f64 / (k - 1) as f64
            } else {
                0.5
            }
        })
        .collect();
    let total_w: f64 = raw.iter().sum();
    let sym: Vec<Array2<f64>> = (0..k)
        .map(|_| {
            let u = Array2::from_shape_fn((3, 3), |_| unit.sample(&mut rng));
            (&u + &u.t()) / 2.0
        })
        .collect();
    let mut means = Vec::new();
    let mut covs = Vec::new();
    let mut total = Array2::<f64>::zeros((3, 3));
    let mut weighted = Array1::<f64>::zeros(3);
    for i in 0..k {
        let w = raw[i] / total_w;
        // ||S_i - S_(i+1)|| <= 6, so ||B_i|| <= 0.3 / K < min w.
        let b = if k > 1 {
            (&sym[i] - &sym[(i + 1) % k]) * (0.05 / k as f64)
        } else {
            Array2::zeros((3, 3))
        };
        let a = Array2::<f64>::eye(3) * w + b;
        let p_k = l.dot(&a).dot(&l.t());
        let cov = inverse(&p_k);
        let z = Array1::from_shape_fn(3, |_| StandardNormal.sample(&mut rng));
        let m = Array1::from(TARGET_MEAN.to_vec()) + cholesky(&cov).dot(&z);
        total += &p_k;
        weighted += &p_k.dot(&m);
        means.push(m);
        covs.push(cov);
    }
    let product_cov = inverse(&total);
    let product_mean = product_cov.dot(&weighted);
    Subposteriors {
        means,
        covs,
        product_mean,
        product_cov,
    }
}

/// Exact i.i.d. draws `m + L z` shaped (chain, draw, param).
pub fn draw(
    mean: &Array1<f64>,
    cov: &Array2<f64>,
    chains: usize,
    draws: usize,
    seed: u64,
) -> Array3<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let l = cholesky(cov);
    let p = mean.len();
    let mut out = Array3::zeros((chains, draws, p));
    for c in 0..chains {
        for g in 0..draws {
            let z = Array1::from_shape_fn(p, |_| StandardNormal.sample(&mut rng));
            let x = mean + &l.dot(&z);
            for j in 0..p {
                out[[c, g, j]] = x[j];
            }
        }
    }
    out
}

pub fn shard_draws(s: &Subposteriors, chains: usize, draws: usize, seed: u64) -> Vec<Array3<f64>> {
    s.means
        .iter()
        .zip(&s.covs)
        .enumerate()
        .map(|(k, (m, c))| draw(m, c, chains, draws, seed + k as u64))
        .collect()
}

/// Draws whose pooled sample mean and covariance (ddof = 1) are exactly `mean` and `cov`:
/// i.i.d. normals re-centred and whitened by their own sample moments, then coloured.
pub fn draw_moment_matched(
    mean: &Array1<f64>,
    cov: &Array2<f64>,
    chains: usize,
    draws: usize,
    seed: u64,
) -> Array3<f64> {
    let p = mean.len();
    let zeros = Array1::zeros(p);
    let z = draw(&zeros, &Array2::eye(p), chains, draws, seed);
    let (z_mean, z_cov) = sample_moments(&z);
    let whiten = inverse(&cholesky(&z_cov));
    let colour = cholesky(cov).dot(&whiten);
    let mut out = Array3::zeros((chains, draws, p));
    for c in 0..chains {
        for g in 0..draws {
            let centred = Array1::from_shape_fn(p, |j| z[[c, g, j]] - z_mean[j]);
            let x = mean + &colour.dot(&centred);
            for j in 0..p {
                out[[c, g, j]] = x[j];
            }
        }
    }
    out
}

pub fn shard_draws_moment_matched(
    s: &Subposteriors,
    chains: usize,
    draws: usize,
    seed: u64,
) -> Vec<Array3<f64>> {
    s.means
        .iter()
        .zip(&s.covs)
        .enumerate()
        .map(|(k, (m, c))| draw_moment_matched(m, c, chains, draws, seed + k as u64))
        .collect()
}

pub fn correlation(cov: &Array2<f64>, i: usize, j: usize) -> f64 {
    cov[[i, j]] / (cov[[i, i]] * cov[[j, j]]).sqrt()
}

/// Every entry within `tol` of the analytic covariance, relative to sqrt(C_ii C_jj).
pub fn assert_cov_close(got: &Array2<f64>, want: &Array2<f64>, tol: f64, what: &str) {
    for i in 0..want.nrows() {
        for j in 0..want.ncols() {
            let scale = (want[[i, i]] * want[[j, j]]).sqrt();
            let err = (got[[i, j]] - want[[i, j]]).abs() / scale;
            assert!(
                err <= tol,
                "{what} cov[{i},{j}]: {} vs {} (rel {err:.4})",
                got[[i, j]],
                want[[i, j]]
            );
        }
    }
}

pub fn assert_mean_close(
    got: &Array1<f64>,
    want: &Array1<f64>,
    cov: &Array2<f64>,
    tol_sd: f64,
    what: &str,
) {
    for j in 0..want.len() {
        let err = (got[j] - want[j]).abs() / cov[[j, j]].sqrt();
        assert!(
            err <= tol_sd,
            "{what} mean[{j}]: {} vs {} ({err:.4} sd)",
            got[j],
            want[j]
        );
    }
}
