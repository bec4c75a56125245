//! `optimization.mcmc` and `optimization.cmc`: the sampler settings of the Bayesian
//! (consensus Monte Carlo) analysis. CMC defaults are the values the original program's
//! CMC code falls back to, which differ from its laminar template in a few places (e.g.
//! `min_success_rate` 0.90), because a key left out of a file gets the code's value.

use super::auto::AutoOr;
use std::collections::BTreeMap;

section! {
    /// `optimization.mcmc` (its `num_*` are copied into `cmc.per_shard_mcmc` by the CLI).
    pub struct McmcConfig {
        /// Backend label.
        pub backend: String = "numpyro".into(),
        /// Warm-up steps.
        pub num_warmup: u64 = 500,
        /// Samples.
        pub num_samples: u64 = 1000,
        /// Chains.
        pub num_chains: u64 = 4,
        /// Progress bar.
        pub progress_bar: bool = true,
        /// Target acceptance probability.
        pub target_accept_prob: f64 = 0.8,
        /// Tree depth.
        pub max_tree_depth: u64 = 10,
        /// Dense mass matrix.
        pub dense_mass_matrix: bool = true,
        /// `initial_values.*`.
        pub initial_values: McmcInitialValues = McmcInitialValues::default(),
    }
}

section! {
    /// `optimization.mcmc.initial_values`.
    pub struct McmcInitialValues {
        /// Per-phi initial values.
        pub phi: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
        /// Percentile fallback.
        pub percentile_fallback: PercentileFallback = PercentileFallback::default(),
    }
}

section! {
    /// `optimization.mcmc.initial_values.percentile_fallback`.
    pub struct PercentileFallback {
        /// Low percentile for contrast.
        pub contrast_low_pct: f64 = 5.0,
        /// High percentile for contrast.
        pub contrast_high_pct: f64 = 95.0,
        /// Percentile for offset.
        pub offset_pct: f64 = 50.0,
    }
}

/// `optimization.cmc.backend`: a name or a `{name: ...}` mapping.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum CmcBackend {
    /// `backend: "jax"`.
    Name(String),
    /// `backend: {name: ...}`.
    Config(BackendConfig),
}

impl CmcBackend {
    /// The backend name.
    pub fn name(&self) -> &str {
        match self {
            CmcBackend::Name(n) => n,
            CmcBackend::Config(c) => c.name.as_deref().unwrap_or("auto"),
        }
    }
}

section! {
    /// `optimization.cmc`.
    pub struct CmcConfig {
        /// "auto" | true | false.
        pub enable: AutoOr<bool> = AutoOr::Auto,
        /// auto ⇒ CMC when n_points ≥ this.
        pub min_points_for_cmc: u64 = 100_000,
        /// Run identifier.
        pub run_id: Option<String> = None,
        /// Backend name or mapping (`backend_config.name` wins when present).
        pub backend: Option<CmcBackend> = None,
        /// auto | constant | constant_averaged | individual
        /// ([`crate::CmcPerAngleMode`]).
        pub per_angle_mode: String = "auto".into(),
        /// auto → averaged when n_phi ≥ this.
        pub constant_scaling_threshold: u64 = 3,
        /// √K prior tempering.
        pub prior_tempering: bool = true,
        /// Random seed.
        pub seed: u64 = 42,
        /// `backend_config.*`.
        pub backend_config: BackendConfig = BackendConfig::default(),
        /// `sharding.*`.
        pub sharding: Sharding = Sharding::default(),
        /// Per-shard timeout in seconds.
        pub per_shard_timeout: f64 = 3600.0,
        /// Heartbeat timeout in seconds.
        pub heartbeat_timeout: f64 = 600.0,
        /// `combination.*`.
        pub combination: Combination = Combination::default(),
        /// `per_shard_mcmc.*`.
        pub per_shard_mcmc: PerShardMcmc = PerShardMcmc::default(),
        /// `validation.*`.
        pub validation: CmcValidation = CmcValidation::default(),
        /// `reparameterization.*`.
        pub reparameterization: Reparameterization = Reparameterization::default(),
    }
}

impl CmcConfig {
    /// Effective backend name: `backend_config.name` when present, else `backend`, else
    /// `"auto"`, with the legacy name `"jax"` mapped to `"multiprocessing"` (the backend
    /// that name used to select).
    pub fn effective_backend(&self) -> String {
        let name = match (&self.backend_config.name, &self.backend) {
            (Some(n), _) => n.as_str(),
            (None, Some(b)) => b.name(),
            (None, None) => "auto",
        };
        if name == "jax" {
            "multiprocessing".into()
        } else {
            name.into()
        }
    }

    /// Minimum ESS: `validation.min_ess`, else `validation.min_per_shard_ess`, else 400.
    pub fn min_ess(&self) -> f64 {
        self.validation
            .min_ess
            .or(self.validation.min_per_shard_ess)
            .unwrap_or(400.0)
    }
}

section! {
    /// `optimization.cmc.backend_config`.
    pub struct BackendConfig {
        /// auto | pjit | multiprocessing | pbs | slurm | jax (`null`/absent: use `backend`).
        pub name: Option<String> = None,
        /// Checkpoints on/off.
        pub enable_checkpoints: bool = true,
        /// Checkpoint every N shards.
        pub checkpoint_frequency: u64 = 1,
        /// Checkpoint folder.
        pub checkpoint_dir: String = "./checkpoints/cmc".into(),
        /// Checkpoints kept.
        pub keep_last_checkpoints: u64 = 3,
        /// Resume from checkpoint.
        pub resume_from_checkpoint: bool = true,
    }
}

section! {
    /// `optimization.cmc.sharding`.
    pub struct Sharding {
        /// stratified | random | contiguous.
        pub strategy: String = "random".into(),
        /// "auto" or a positive count.
        pub num_shards: AutoOr<u64> = AutoOr::Auto,
        /// "auto" or a positive size.
        pub max_points_per_shard: AutoOr<u64> = AutoOr::Auto,
        /// Minimum shard size.
        pub min_points_per_shard: u64 = 10_000,
        /// Base seed.
        pub seed_base: u64 = 0,
        /// Minimum points per parameter per shard.
        pub min_points_per_param: u64 = 1500,
        /// Deprecated (warns).
        pub optimal_shard_size: Option<serde_json::Value> = None,
    }
}

section! {
    /// `optimization.cmc.combination`.
    pub struct Combination {
        /// consensus_mc | robust_consensus_mc | weighted_gaussian | simple_average | auto.
        pub method: String = "robust_consensus_mc".into(),
        /// Validate shard results.
        pub validate_results: bool = true,
        /// Minimum shard success rate.
        pub min_success_rate: f64 = 0.90,
        /// Warn below this success rate.
        pub min_success_rate_warning: f64 = 0.80,
    }
}

section! {
    /// `optimization.cmc.per_shard_mcmc`.
    pub struct PerShardMcmc {
        /// Warm-up steps.
        pub num_warmup: u64 = 500,
        /// Samples.
        pub num_samples: u64 = 1500,
        /// Chains.
        pub num_chains: u64 = 4,
        /// "parallel" | "sequential".
        pub chain_method: String = "parallel".into(),
        /// Target acceptance probability.
        pub target_accept_prob: f64 = 0.85,
        /// Dense mass matrix.
        pub dense_mass: bool = true,
        /// Adaptive sample counts for small shards.
        pub adaptive_sampling: bool = true,
        /// NUTS tree depth.
        pub max_tree_depth: u64 = 10,
        /// Minimum warm-up.
        pub min_warmup: u64 = 100,
        /// Minimum samples.
        pub min_samples: u64 = 200,
        /// JAX profiling (no effect here).
        pub enable_jax_profiling: bool = false,
        /// Profile folder.
        pub jax_profile_dir: String = "./profiles/jax".into(),
        /// "auto" or a subsample size.
        pub subsample_size: AutoOr<u64> = AutoOr::Auto,
    }
}

section! {
    /// `optimization.cmc.validation`.
    pub struct CmcValidation {
        /// Strict mode.
        pub strict_mode: bool = false,
        /// Minimum ESS per shard.
        pub min_per_shard_ess: Option<f64> = None,
        /// Minimum ESS (wins over `min_per_shard_ess`).
        pub min_ess: Option<f64> = None,
        /// Maximum R-hat per shard.
        pub max_per_shard_rhat: f64 = 1.1,
        /// Maximum between-shard KL.
        pub max_between_shard_kl: f64 = 2.0,
        /// Minimum success rate.
        pub min_success_rate: f64 = 0.90,
        /// Shards above this divergence rate are dropped.
        pub max_divergence_rate: f64 = 0.10,
        /// Require an NLSQ warm start (laminar).
        pub require_nlsq_warmstart: bool = false,
        /// NLSQ-informed priors.
        pub use_nlsq_informed_priors: bool = true,
        /// NLSQ prior width factor.
        pub nlsq_prior_width_factor: f64 = 2.0,
        /// Heterogeneity CV threshold.
        pub max_parameter_cv: f64 = 1.0,
        /// Abort when the CV threshold is exceeded.
        pub heterogeneity_abort: bool = true,
    }
}

section! {
    /// `optimization.cmc.reparameterization`.
    pub struct Reparameterization {
        /// Reference-time D reparameterisation.
        pub enable_d_total: bool = true,
        /// Sample log γ̇.
        pub enable_log_gamma: bool = true,
        /// Bimodality: minimum component weight.
        pub bimodal_min_weight: f64 = 0.2,
        /// Bimodality: minimum relative separation.
        pub bimodal_min_separation: f64 = 0.5,
    }
}
