//! What a combination returns.

use ndarray::{Array1, Array2, Array3};
use serde::Serialize;

use super::method::CombineMethod;

/// The combined posterior and an account of every shard.
#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    /// Rule applied (`SimpleAverage` is reported as `ConsensusMc`).
    pub method: CombineMethod,
    /// Combined draws shaped (chain, draw, param) like each shard's.
    pub draws: Array3<f64>,
    /// Indices (into the input slice) of the shards combined, ascending.
    pub used: Vec<usize>,
    /// Shards left out, ascending, each with its reason.
    pub dropped: Vec<DroppedShard>,
    /// Shards reported as failed (no draws).
    pub failed: usize,
    /// `used / (shards given + failed)`.
    pub success_rate: f64,
    /// Coefficients of variation of the used shards' means.
    pub heterogeneity: Heterogeneity,
    /// Mean of the Gaussian product of the used shards' moment fits, `Σ Σ_k W_k μ_k`
    /// (the exact mean of the `consensus_mc` draws; the target of `weighted_gaussian`).
    pub mean: Array1<f64>,
    /// Covariance of that Gaussian product, `(Σ_k W_k)^-1`, `W_k = Σ_k^-1`.
    pub cov: Array2<f64>,
}

/// A shard left out of the combination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DroppedShard {
    /// Index into the input slice.
    pub shard: usize,
    /// Why it was dropped.
    pub reason: DropReason,
}

/// Reason for leaving a shard out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DropReason {
    /// More divergent draws than `max_divergence_rate` allows.
    Divergent {
        /// Number of divergent draws.
        divergent: usize,
        /// Divergent fraction of the shard's draws.
        rate: f64,
    },
    /// Sample covariance not positive definite (too few draws, a stuck chain, a constant
    /// parameter), so the shard has no consensus weight.
    SingularCovariance {
        /// Pivot at which the Cholesky factorisation failed.
        pivot: usize,
    },
    /// Mean far from the other shards' (`robust_consensus_mc` only).
    Outlier {
        /// Mahalanobis distance to the coordinatewise median of shard means.
        distance: f64,
        /// Robust z of that distance, `0.6745 (d - median d) / MAD d`.
        robust_z: f64,
    },
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DropReason::Divergent { divergent, rate } => write!(
                f,
                "{divergent} divergent draws ({:.1} %, above the allowed rate)",
                100.0 * rate
            ),
            DropReason::SingularCovariance { pivot } => write!(
                f,
                "its draws' covariance is singular (parameter {pivot} does not vary: a stuck \
                 chain or too few draws)"
            ),
            DropReason::Outlier { distance, robust_z } => write!(
                f,
                "its mean is an outlier among the shards (Mahalanobis distance {distance:.2}, \
                 robust z {robust_z:.1})"
            ),
        }
    }
}

/// Between-shard spread of the means of the used shards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heterogeneity {
    /// CV per parameter.
    pub cv: Vec<f64>,
    /// Checked parameters whose CV exceeds the warning level.
    pub warned: Vec<usize>,
    /// Checked parameters whose CV exceeds the abort level.
    pub exceeded: Vec<usize>,
    /// True when computed on caller-supplied means, false on the draws' own means.
    pub from_supplied_means: bool,
}
