//! The sampler on densities with known answers: a 10-d Gaussian with correlation 0.9
//! between neighbours-of-all (equicorrelated), and a 54-d diagonal Gaussian with scales
//! spanning 10^4 — what the whitened per-angle problem can look like before adaptation.

use std::collections::HashMap;

use homodyne_cmc::{NutsOptions, run_chain};
use ndarray::Array2;
use nuts_rs::{CpuLogpFunc, CpuMathError, HasDims, LogpError};
use rayon::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct NoError;
impl LogpError for NoError {
    fn is_recoverable(&self) -> bool {
        true
    }
}

/// N(0, Σ) through its precision matrix.
#[derive(Clone)]
struct Gaussian {
    precision: Vec<f64>,
    d: usize,
}

impl HasDims for Gaussian {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        HashMap::from([("unconstrained_parameter".to_string(), self.d as u64)])
    }
}

impl CpuLogpFunc for Gaussian {
    type LogpError = NoError;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;
    fn dim(&self) -> usize {
        self.d
    }
    fn logp(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, NoError> {
        let d = self.d;
        let mut q = 0.0;
        for i in 0..d {
            let pi: f64 = (0..d).map(|j| self.precision[i * d + j] * x[j]).sum();
            grad[i] = -pi;
            q += x[i] * pi;
        }
        Ok(-0.5 * q)
    }
    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        a: &[f64],
    ) -> Result<Vec<f64>, CpuMathError> {
        Ok(a.to_vec())
    }
}

/// Inverse of a symmetric positive-definite matrix (Gauss-Jordan; small d).
fn invert(a: &[f64], d: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    let mut inv = vec![0.0; d * d];
    for i in 0..d {
        inv[i * d + i] = 1.0;
    }
    for c in 0..d {
        let p = m[c * d + c];
        for j in 0..d {
            m[c * d + j] /= p;
            inv[c * d + j] /= p;
        }
        for r in 0..d {
            if r != c {
                let f = m[r * d + c];
                for j in 0..d {
                    m[r * d + j] -= f * m[c * d + j];
                    inv[r * d + j] -= f * inv[c * d + j];
                }
            }
        }
    }
    inv
}

fn check(cov: &[f64], d: usize, dense: bool) {
    let density = Gaussian {
        precision: invert(cov, d),
        d,
    };
    let options = NutsOptions {
        num_warmup: 1000,
        num_samples: 1000,
        num_chains: 4,
        dense_mass: dense,
        seed: 3,
        ..NutsOptions::default()
    };
    let start: Vec<f64> = (0..d).map(|k| 0.1 * k as f64).collect();
    let to_x = |z: &[f64]| z.to_vec();
    let chains: Vec<_> = (0..4u64)
        .into_par_iter()
        .map(|c| run_chain(density.clone(), &to_x, &options, c, 99, &start, &|_| true).unwrap())
        .collect();
    let divergences: usize = chains
        .iter()
        .map(|c| c.diverging.iter().filter(|&&v| v).count())
        .sum();
    assert_eq!(divergences, 0);
    let (mut max_rhat, mut min_ess) = (0.0f64, f64::INFINITY);
    for k in 0..d {
        let draws = Array2::from_shape_fn((4, 1000), |(c, g)| chains[c].x[g * d + k]);
        let s = homodyne_mcmc::summarize(draws.view());
        let sd_true = cov[k * d + k].sqrt();
        assert!(
            s.mean.abs() < 4.0 * s.mcse_mean,
            "param {k}: mean {} (mcse {})",
            s.mean,
            s.mcse_mean
        );
        let var_ratio = (s.sd / sd_true).powi(2);
        assert!(
            (0.9..=1.1).contains(&var_ratio),
            "param {k}: variance ratio {var_ratio}"
        );
        max_rhat = max_rhat.max(s.rhat);
        min_ess = min_ess.min(s.ess_bulk);
    }
    println!("d = {d}, dense {dense}: max R-hat {max_rhat:.4}, min ESS-bulk {min_ess:.0}");
    assert!(max_rhat < 1.01, "max R-hat {max_rhat}");
    assert!(min_ess > 800.0, "min ESS-bulk {min_ess}");
}

#[test]
fn correlated_gaussian_10d() {
    let d = 10;
    let cov: Vec<f64> = (0..d * d)
        .map(|ij| if ij / d == ij % d { 1.0 } else { 0.9 })
        .collect();
    check(&cov, d, true);
}

#[test]
fn badly_scaled_diagonal_gaussian_54d() {
    let d = 54;
    let cov: Vec<f64> = (0..d * d)
        .map(|ij| {
            let (i, j) = (ij / d, ij % d);
            if i == j {
                10f64.powf(4.0 * i as f64 / (d - 1) as f64 - 2.0).powi(2)
            } else {
                0.0
            }
        })
        .collect();
    check(&cov, d, false);
}
