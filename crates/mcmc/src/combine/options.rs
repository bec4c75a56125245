//! Tunable rules of the combination, with the reference's defaults (spec 04 §4.2, §4.8).

use serde::Serialize;

/// Shard-filter and combination settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombineOptions {
    /// Shards with a larger fraction of divergent draws are dropped (reference: 0.10).
    pub max_divergence_rate: f64,
    /// Error when (used shards) / (shards given + failed shards) is below this (0.90).
    pub min_success_rate: f64,
    /// Robust z above which a shard mean is an outlier in `robust_consensus_mc` (3.5).
    pub outlier_z: f64,
    /// An outlier must also have a squared Mahalanobis distance, measured with its own
    /// covariance, above this quantile of chi^2 with P dof (0.999), so consistent shards
    /// are not dropped by a noisy MAD; 0 disables the second condition.
    pub outlier_chi2_prob: f64,
    /// Heterogeneity (coefficient of variation of shard means) check.
    pub heterogeneity: HeterogeneityOptions,
    /// ChaCha8 seed of the synthetic draws of `weighted_gaussian` (42, the reference's).
    pub seed: u64,
}

impl Default for CombineOptions {
    fn default() -> Self {
        Self {
            max_divergence_rate: 0.10,
            min_success_rate: 0.90,
            outlier_z: 3.5,
            outlier_chi2_prob: 0.999,
            heterogeneity: HeterogeneityOptions::default(),
            seed: 42,
        }
    }
}

/// Coefficient of variation of shard means, per parameter:
/// `cv_j = sd(mu_kj over used shards k, ddof 0) / max(|mean_k mu_kj|, floor_j)`.
///
/// The CV is only meaningful in physical units: pass per-shard physical means through
/// [`ShardInput::heterogeneity_means`](super::ShardInput::heterogeneity_means) and the
/// reference's floors `0.01 (hi - lo)` through `floor` when the draws are whitened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeterogeneityOptions {
    /// CV above which a parameter is listed as a warning (0.5).
    pub warn_cv: f64,
    /// CV above which a checked parameter aborts the combination when `abort` (1.0).
    pub max_cv: f64,
    /// Whether exceeding `max_cv` is an error (reference `heterogeneity_abort`, true).
    pub abort: bool,
    /// Per-parameter scale floors; `None` means 0 (plain CV; a zero scale with non-zero
    /// spread gives an infinite CV).
    pub floor: Option<Vec<f64>>,
    /// Parameters that can warn or abort (the reference checks D0, alpha, D_offset,
    /// gamma_dot_t0, beta); `None` checks all. CVs are reported for every parameter.
    pub checked: Option<Vec<usize>>,
}

impl Default for HeterogeneityOptions {
    fn default() -> Self {
        Self {
            warn_cv: 0.5,
            max_cv: 1.0,
            abort: true,
            floor: None,
            checked: None,
        }
    }
}
