//! Consensus and Gaussian-product combination against the analytic product of exact
//! Gaussian subposteriors (no sampler): K = 10, 3-d, correlation -0.95, heterogeneous
//! covariances, 4 chains x 25 000 draws per shard.

mod common;

use common::*;
use homodyne_mcmc::{
    CombineMethod, CombineOptions, ShardInput, combine, consensus_mc, rhat_rank, weighted_gaussian,
};
use ndarray::{Array1, Array3, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const K: usize = 10;
const CHAINS: usize = 4;
const DRAWS: usize = 25_000;

fn inputs(draws: &[Array3<f64>]) -> Vec<ShardInput<'_>> {
    draws.iter().map(|d| ShardInput::new(d.view(), 0)).collect()
}

/// The reference's rule: per parameter, precision-weighted mean and variance of the shard
/// moments, then independent normal draws (spec 04 §4.9).
fn diagonal_rule(draws: &[Array3<f64>], seed: u64) -> Array3<f64> {
    let p = draws[0].dim().2;
    let mut mu = Array1::<f64>::zeros(p);
    let mut var = Array1::<f64>::zeros(p);
    for j in 0..p {
        let (mut precision, mut weighted) = (0.0, 0.0);
        for d in draws {
            let x = d.index_axis(Axis(2), j);
            let n = x.len() as f64;
            let m = x.sum() / n;
            let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
            precision += 1.0 / v;
            weighted += m / v;
        }
        var[j] = 1.0 / precision;
        mu[j] = weighted / precision;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array3::from_shape_fn((CHAINS, DRAWS, p), |(_, _, j)| {
        let z: f64 = StandardNormal.sample(&mut rng);
        mu[j] + var[j].sqrt() * z
    })
}

/// Shards drawn exactly: sample moments equal to the subposterior's, so the consensus
/// mean must equal the analytic product mean to rounding, and the combined covariance
/// differs only by the random cross-covariances between shards (~1/sqrt(N)).
#[test]
fn consensus_recovers_the_analytic_product_and_keeps_the_correlation() {
    let sub = subposteriors(K, 11);
    let rho = correlation(&sub.product_cov, 0, 1);
    assert!(
        (rho + 0.95).abs() < 1e-9,
        "the product is the target, got {rho}"
    );
    let draws = shard_draws_moment_matched(&sub, CHAINS, DRAWS, 1000);
    let shards = inputs(&draws);

    let out = consensus_mc(&shards, 0, &CombineOptions::default()).unwrap();
    assert_eq!(out.method, CombineMethod::ConsensusMc);
    assert_eq!(out.used, (0..K).collect::<Vec<_>>());
    assert!(out.dropped.is_empty());
    assert_eq!(out.draws.dim(), (CHAINS, DRAWS, 3));

    let (mean, cov) = sample_moments(&out.draws);
    assert_mean_close(
        &mean,
        &sub.product_mean,
        &sub.product_cov,
        1e-9,
        "consensus draws",
    );
    assert_mean_close(
        &out.mean,
        &sub.product_mean,
        &sub.product_cov,
        1e-9,
        "reported mean",
    );
    assert_cov_close(&out.cov, &sub.product_cov, 1e-9, "reported product");
    assert_cov_close(&cov, &sub.product_cov, 0.02, "consensus draws");
    assert!((correlation(&cov, 0, 1) - rho).abs() < 0.005);

    // Chains stay chains: rank R-hat of each combined parameter is that of i.i.d. draws.
    for j in 0..3 {
        let r = rhat_rank(out.draws.index_axis(Axis(2), j));
        assert!(r < 1.01, "param {j}: R-hat {r}");
    }

    // Regression: the reference's per-parameter rule loses the correlation entirely.
    let diag = diagonal_rule(&draws, 5);
    let (_, diag_cov) = sample_moments(&diag);
    let diag_rho = correlation(&diag_cov, 0, 1);
    assert!(
        diag_rho.abs() < 0.05,
        "diagonal rule correlation {diag_rho}"
    );
}

/// Plain i.i.d. shard draws: the weights are estimated too. The combined mean's error is
/// ~sigma/sqrt(N) from the draws plus ~K sqrt(2/N) w sigma/sqrt(w) from the weights
/// (about 0.006 sd here), so 0.03 sd is a ~5-sigma bound; covariance within 2 %.
#[test]
fn consensus_with_estimated_weights_stays_within_sampling_error() {
    let sub = subposteriors(K, 11);
    let draws = shard_draws(&sub, CHAINS, DRAWS, 1000);
    let out = consensus_mc(&inputs(&draws), 0, &CombineOptions::default()).unwrap();
    let (mean, cov) = sample_moments(&out.draws);
    assert_mean_close(
        &mean,
        &sub.product_mean,
        &sub.product_cov,
        0.03,
        "consensus draws",
    );
    assert_cov_close(&cov, &sub.product_cov, 0.02, "consensus draws");
    assert!((correlation(&cov, 0, 1) + 0.95).abs() < 0.005);
}

#[test]
fn consensus_is_bit_reproducible() {
    let sub = subposteriors(K, 12);
    let draws = shard_draws(&sub, 2, 2000, 2000);
    let shards = inputs(&draws);
    let a = consensus_mc(&shards, 0, &CombineOptions::default()).unwrap();
    let b = consensus_mc(&shards, 0, &CombineOptions::default()).unwrap();
    assert!(
        a.draws
            .iter()
            .zip(&b.draws)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    assert_eq!(a, b);
}

/// Moment-matched shards, so the product's moments are exact and only the synthetic
/// draws are random: their mean is within 5 sampling sd (0.016 sd at N = 1e5).
#[test]
fn weighted_gaussian_is_the_seeded_analytic_product() {
    let sub = subposteriors(K, 13);
    let draws = shard_draws_moment_matched(&sub, CHAINS, DRAWS, 3000);
    let shards = inputs(&draws);
    let opts = CombineOptions {
        seed: 7,
        ..CombineOptions::default()
    };
    let a = weighted_gaussian(&shards, 0, &opts).unwrap();
    let b = weighted_gaussian(&shards, 0, &opts).unwrap();
    assert!(
        a.draws
            .iter()
            .zip(&b.draws)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    let other = weighted_gaussian(
        &shards,
        0,
        &CombineOptions {
            seed: 8,
            ..opts.clone()
        },
    )
    .unwrap();
    assert!(a.draws.iter().zip(&other.draws).any(|(x, y)| x != y));
    // Same product as the consensus rule; only the draws are synthetic.
    let consensus = consensus_mc(&shards, 0, &opts).unwrap();
    assert_eq!(a.mean, consensus.mean);
    assert_eq!(a.cov, consensus.cov);
    assert_mean_close(
        &a.mean,
        &sub.product_mean,
        &sub.product_cov,
        1e-9,
        "reported mean",
    );
    assert_cov_close(&a.cov, &sub.product_cov, 1e-9, "reported cov");

    assert_eq!(a.draws.dim(), (CHAINS, DRAWS, 3));
    let (mean, cov) = sample_moments(&a.draws);
    assert_mean_close(
        &mean,
        &sub.product_mean,
        &sub.product_cov,
        0.016,
        "weighted_gaussian",
    );
    assert_cov_close(&cov, &sub.product_cov, 0.02, "weighted_gaussian");
}

#[test]
fn simple_average_is_consensus() {
    let sub = subposteriors(4, 14);
    let draws = shard_draws(&sub, 2, 500, 4000);
    let shards = inputs(&draws);
    let opts = CombineOptions::default();
    let a = combine(&shards, 0, CombineMethod::SimpleAverage, &opts).unwrap();
    let b = combine(&shards, 0, CombineMethod::ConsensusMc, &opts).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.method, CombineMethod::ConsensusMc);
}
