//! Combination of per-shard posterior draws (Consensus Monte Carlo, design CMC.md §2).
//!
//! Every shard supplies draws shaped (chain, draw, param) in one common space (the
//! whitened unconstrained space of the sampler), all with the same shape. The rules, in
//! order:
//! 1. shapes must agree and every draw must be finite (errors name the shard);
//! 2. shards with a divergent fraction above `max_divergence_rate` are dropped;
//! 3. shards whose pooled sample covariance is not positive definite are dropped;
//! 4. `robust_consensus_mc` only: Mahalanobis outliers among shard means are dropped
//!    (robust z > 3.5 and improbable as sampling scatter, see `outlier_chi2_prob`);
//! 5. used / (given + failed) below `min_success_rate` is an error;
//! 6. heterogeneity: CV of the used shards' means, warned / aborting per options (computed
//!    after the filters, so a dropped outlier cannot abort the run);
//! 7. combination: consensus (draw by draw, `W_k = Σ_k^-1`) or Gaussian-product synthetic
//!    draws. One used shard is returned unchanged.
//!
//! All sums run in a fixed order on one thread: the same input gives bit-identical output.

mod error;
mod heterogeneity;
mod linalg;
mod method;
mod moments;
mod options;
mod outlier;
mod product;
mod result;

use ndarray::{Array1, Array2, ArrayView3};

pub use error::CombineError;
pub use heterogeneity::heterogeneity;
pub use method::{CombineMethod, ParseMethodError};
pub use options::{CombineOptions, HeterogeneityOptions};
pub use result::{Combined, DropReason, DroppedShard, Heterogeneity};

use linalg::Cholesky;

/// One shard's output.
#[derive(Debug, Clone, Copy)]
pub struct ShardInput<'a> {
    /// Draws shaped (chain, draw, param).
    pub draws: ArrayView3<'a, f64>,
    /// Number of divergent draws (post-warmup).
    pub divergent: usize,
    /// Optional per-parameter means in physical units for the heterogeneity check (give
    /// them for every shard or for none); without them the draws' own means are used.
    pub heterogeneity_means: Option<&'a [f64]>,
}

impl<'a> ShardInput<'a> {
    /// A shard with its draws and divergence count, no heterogeneity means.
    pub fn new(draws: ArrayView3<'a, f64>, divergent: usize) -> Self {
        Self {
            draws,
            divergent,
            heterogeneity_means: None,
        }
    }
}

/// Combine shards with `method`; `failed` counts shards that produced no draws at all.
pub fn combine(
    shards: &[ShardInput],
    failed: usize,
    method: CombineMethod,
    opts: &CombineOptions,
) -> Result<Combined, CombineError> {
    let method = method.effective();
    let (chains, draws, _) = validate(shards, failed, opts)?;

    // Divergences, then covariance, then (robust only) outliers.
    let mut dropped = Vec::new();
    let mut fits: Vec<(usize, Array1<f64>, Array2<f64>, Cholesky)> = Vec::new();
    let per_shard = (chains * draws) as f64;
    for (k, shard) in shards.iter().enumerate() {
        let rate = shard.divergent as f64 / per_shard;
        if rate > opts.max_divergence_rate {
            dropped.push(DroppedShard {
                shard: k,
                reason: DropReason::Divergent {
                    divergent: shard.divergent,
                    rate,
                },
            });
            continue;
        }
        let (mean, cov) = moments::mean_cov(shard.draws);
        match Cholesky::new(&cov) {
            Ok(chol) => fits.push((k, mean, cov, chol)),
            Err(pivot) => dropped.push(DroppedShard {
                shard: k,
                reason: DropReason::SingularCovariance { pivot },
            }),
        }
    }
    if method == CombineMethod::RobustConsensusMc {
        let means: Vec<&Array1<f64>> = fits.iter().map(|f| &f.1).collect();
        let covs: Vec<&Array2<f64>> = fits.iter().map(|f| &f.2).collect();
        let own: Vec<&Cholesky> = fits.iter().map(|f| &f.3).collect();
        let flags = outlier::outliers(&means, &covs, &own, opts.outlier_z, opts.outlier_chi2_prob);
        let mut kept = Vec::with_capacity(fits.len());
        for (fit, flag) in fits.into_iter().zip(flags) {
            match flag {
                Some((distance, robust_z)) => dropped.push(DroppedShard {
                    shard: fit.0,
                    reason: DropReason::Outlier { distance, robust_z },
                }),
                None => kept.push(fit),
            }
        }
        fits = kept;
    }
    dropped.sort_by_key(|d| d.shard);

    let attempted = shards.len() + failed;
    let used: Vec<usize> = fits.iter().map(|f| f.0).collect();
    let success_rate = used.len() as f64 / attempted as f64;
    if used.is_empty() || success_rate < opts.min_success_rate {
        return Err(CombineError::LowSuccessRate {
            used: used.len(),
            attempted,
            failed,
            rate: success_rate,
            min_rate: opts.min_success_rate,
            dropped,
        });
    }

    let supplied = shards[0].heterogeneity_means.is_some();
    let het_means: Vec<Vec<f64>> = fits
        .iter()
        .map(|f| match shards[f.0].heterogeneity_means {
            Some(m) => m.to_vec(),
            None => f.1.to_vec(),
        })
        .collect();
    let het = heterogeneity(&het_means, &opts.heterogeneity, supplied);
    if opts.heterogeneity.abort
        && let Some(&param) = het
            .exceeded
            .iter()
            .max_by(|&&a, &&b| het.cv[a].total_cmp(&het.cv[b]).then(b.cmp(&a)))
    {
        return Err(CombineError::Heterogeneous {
            param,
            cv: het.cv[param],
            max_cv: opts.heterogeneity.max_cv,
            report: het,
        });
    }

    let means: Vec<&Array1<f64>> = fits.iter().map(|f| &f.1).collect();
    let (mean, cov, combined) = if fits.len() == 1 {
        // Consensus of one: the shard itself, bit for bit.
        let (k, mean, cov, _) = &fits[0];
        let draws = match method {
            CombineMethod::WeightedGaussian => {
                product::synthetic_draws(mean, cov, (chains, draws), opts.seed)?
            }
            _ => shards[*k].draws.to_owned(),
        };
        (mean.clone(), cov.clone(), draws)
    } else {
        let precisions: Vec<Array2<f64>> = fits.iter().map(|f| f.3.inverse()).collect();
        let prod = product::gaussian_product(&means, &precisions)?;
        let draws = match method {
            CombineMethod::WeightedGaussian => {
                product::synthetic_draws(&prod.mean, &prod.cov, (chains, draws), opts.seed)?
            }
            _ => {
                let views: Vec<ArrayView3<f64>> = used.iter().map(|&k| shards[k].draws).collect();
                product::consensus_draws(&views, &prod.maps)
            }
        };
        (prod.mean, prod.cov, draws)
    };
    Ok(Combined {
        method,
        draws: combined,
        used,
        dropped,
        failed,
        success_rate,
        heterogeneity: het,
        mean,
        cov,
    })
}

/// [`combine`] with [`CombineMethod::ConsensusMc`].
pub fn consensus_mc(
    shards: &[ShardInput],
    failed: usize,
    opts: &CombineOptions,
) -> Result<Combined, CombineError> {
    combine(shards, failed, CombineMethod::ConsensusMc, opts)
}

/// [`combine`] with [`CombineMethod::RobustConsensusMc`].
pub fn robust_consensus_mc(
    shards: &[ShardInput],
    failed: usize,
    opts: &CombineOptions,
) -> Result<Combined, CombineError> {
    combine(shards, failed, CombineMethod::RobustConsensusMc, opts)
}

/// [`combine`] with [`CombineMethod::WeightedGaussian`] (synthetic draws from
/// `opts.seed`).
pub fn weighted_gaussian(
    shards: &[ShardInput],
    failed: usize,
    opts: &CombineOptions,
) -> Result<Combined, CombineError> {
    combine(shards, failed, CombineMethod::WeightedGaussian, opts)
}

/// Shapes, finiteness, options and side inputs; returns (chains, draws, params).
fn validate(
    shards: &[ShardInput],
    failed: usize,
    opts: &CombineOptions,
) -> Result<(usize, usize, usize), CombineError> {
    let invalid = |msg: String| Err(CombineError::InvalidInput(msg));
    let rates = [
        ("max_divergence_rate", opts.max_divergence_rate),
        ("min_success_rate", opts.min_success_rate),
        ("outlier_chi2_prob", opts.outlier_chi2_prob),
    ];
    for (name, v) in rates {
        if !(0.0..=1.0).contains(&v) {
            return invalid(format!("{name} = {v} is not in [0, 1]"));
        }
    }
    if opts.outlier_chi2_prob >= 1.0 {
        return invalid("outlier_chi2_prob must be < 1".into());
    }
    if opts.outlier_z.is_nan() {
        return invalid("outlier_z is NaN".into());
    }
    let Some(first) = shards.first() else {
        if failed == 0 {
            return Err(CombineError::NoShards);
        }
        return Err(CombineError::LowSuccessRate {
            used: 0,
            attempted: failed,
            failed,
            rate: 0.0,
            min_rate: opts.min_success_rate,
            dropped: Vec::new(),
        });
    };
    let (c, d, p) = first.draws.dim();
    for (k, shard) in shards.iter().enumerate() {
        let (sc, sd, sp) = shard.draws.dim();
        if (sc, sd, sp) != (c, d, p) || sc == 0 || sd == 0 || sp == 0 {
            return Err(CombineError::ShapeMismatch {
                shard: k,
                expected: [c, d, p],
                found: [sc, sd, sp],
            });
        }
        if let Some(((chain, draw, param), _)) =
            shard.draws.indexed_iter().find(|(_, v)| !v.is_finite())
        {
            return Err(CombineError::NonFinite {
                shard: k,
                chain,
                draw,
                param,
            });
        }
        if shard.heterogeneity_means.is_some() != first.heterogeneity_means.is_some() {
            return invalid(format!(
                "heterogeneity_means given for some shards but not shard {k}"
            ));
        }
    }
    let het_p = first.heterogeneity_means.map_or(p, <[f64]>::len);
    for (k, shard) in shards.iter().enumerate() {
        if let Some(m) = shard.heterogeneity_means
            && m.len() != het_p
        {
            return invalid(format!(
                "shard {k}: {} heterogeneity means, shard 0 has {het_p}",
                m.len()
            ));
        }
    }
    let h = &opts.heterogeneity;
    if let Some(f) = &h.floor
        && f.len() != het_p
    {
        return invalid(format!(
            "{} heterogeneity floors for {het_p} parameters",
            f.len()
        ));
    }
    if let Some(idx) = &h.checked
        && let Some(&j) = idx.iter().find(|&&j| j >= het_p)
    {
        return invalid(format!("checked parameter {j} >= {het_p}"));
    }
    Ok((c, d, p))
}
