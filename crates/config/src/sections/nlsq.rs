//! `optimization.nlsq` and its sub-blocks: the least-squares fit's tolerances, robust
//! loss, strategy and the anti-degeneracy treatment of the per-angle contrast/offset.
//! Defaults are the original program's laminar-flow template values.

use homodyne_model::scaling::PerAngleMode;
use std::collections::BTreeMap;

section! {
    /// `optimization.nlsq`.
    pub struct NlsqConfig {
        /// NLSQ workflow preset.
        pub workflow: String = "auto".into(),
        /// NLSQ goal preset.
        pub goal: String = "quality".into(),
        /// Fraction of RAM the solver may use.
        pub memory_fraction: f64 = 0.75,
        /// Maximum function evaluations / iterations.
        pub max_iterations: u64 = 100,
        /// Function tolerance (ftol).
        pub tolerance: f64 = 1e-8,
        /// Parameter tolerance.
        pub xtol: f64 = 1e-8,
        /// Gradient tolerance.
        pub gtol: f64 = 1e-8,
        /// Trust-region scale.
        pub trust_region_scale: f64 = 1.0,
        /// Solver verbosity (bool or level).
        pub verbose: serde_json::Value = serde_json::Value::Bool(false),
        /// Robust loss (linear, soft_l1, huber, cauchy, arctan): a choice of the fitting
        /// crate, validated by the `homodyne` facade with the run's own parse.
        pub loss: String = "soft_l1".into(),
        /// Robust-loss scale.
        pub f_scale: f64 = 1.0,
        /// Noise level of c2 the residuals are divided by: `"estimate"` (measured per
        /// angle from the data, the default) or one positive number for every point (the
        /// original assumed 0.01). Not a key of the original program.
        pub sigma: NlsqSigma = NlsqSigma::Estimate,
        /// When a global search runs (not a key of the original program): `auto` (a
        /// quick multi-start when `initial_parameters.values` is null or the local fit
        /// ends poor), `off`, `multi_start` or `cmaes` (always). `multi_start.enable` /
        /// `cmaes.enable: true` run the configured search whatever this says.
        pub global_search: String = "auto".into(),
        /// Profile-likelihood intervals of the physical parameters (not a key of the
        /// original program): `auto` (every free physical parameter on data of at most
        /// 2 M points, on larger data those named by an identifiability doubt), `true`
        /// (always) or `false` (the covariance alone). Where chi^2 is not quadratic in a
        /// parameter, its profile interval replaces the covariance's sigma.
        pub profile_intervals: serde_json::Value = serde_json::Value::String("auto".into()),
        /// Per-parameter x scale (`null` = automatic).
        pub x_scale_map: Option<BTreeMap<String, f64>> = None,
        /// Global x scale ("jac" or a number).
        pub x_scale: Option<serde_json::Value> = None,
        /// Use the streaming optimiser (undocumented).
        pub use_streaming: bool = false,
        /// Memory threshold in GB (undocumented).
        pub memory_threshold_gb: Option<f64> = None,
        /// Strategy override (`standard|large|chunked|streaming`; see also
        /// `performance.strategy_override`): a choice of the fitting crate, validated by the
        /// `homodyne` facade with the run's own parse.
        pub strategy: Option<String> = None,
        /// Force the stratified least-squares path (warns).
        pub force_stratified_ls: Option<bool> = None,
        /// Shear transforms (undocumented, passed through).
        pub shear_transforms: Option<serde_json::Value> = None,
        /// `progress.*`.
        pub progress: NlsqProgress = NlsqProgress::default(),
        /// `diagnostics.*`.
        pub diagnostics: NlsqDiagnostics = NlsqDiagnostics::default(),
        /// `hybrid_streaming.*`.
        pub hybrid_streaming: HybridStreaming = HybridStreaming::default(),
        /// `anti_degeneracy.*`.
        pub anti_degeneracy: AntiDegeneracy = AntiDegeneracy::default(),
        /// `multi_start.*`.
        pub multi_start: MultiStart = MultiStart::default(),
        /// `cmaes.*`.
        pub cmaes: Cmaes = Cmaes::default(),
        /// `quality_validation.*`.
        pub quality_validation: QualityValidation = QualityValidation::default(),
    }
}

section! {
    /// `optimization.nlsq.progress`.
    pub struct NlsqProgress {
        /// Show progress.
        pub enable: bool = true,
        /// Verbosity level.
        pub verbose: i64 = 1,
        /// Log every N iterations.
        pub log_interval: i64 = 10,
    }
}

section! {
    /// `optimization.nlsq.diagnostics` (`enable` accepted as an alias of `enabled`).
    pub struct NlsqDiagnostics {
        /// Diagnostics on/off.
        pub enabled: bool = false,
        /// Sample size for gradient checks.
        pub sample_size: u64 = 2048,
        /// Check gradients.
        pub check_gradients: bool = true,
        /// Log Jacobian norms.
        pub log_jacobian_norms: bool = false,
    }
}

section! {
    /// `optimization.nlsq.hybrid_streaming`.
    pub struct HybridStreaming {
        /// On/off.
        pub enable: bool = true,
        /// Normalise parameters.
        pub normalize: bool = true,
        /// Normalisation strategy.
        pub normalization_strategy: String = "auto".into(),
        /// Warm-up iterations.
        pub warmup_iterations: u64 = 200,
        /// Maximum warm-up iterations.
        pub max_warmup_iterations: u64 = 500,
        /// Warm-up learning rate.
        pub warmup_learning_rate: f64 = 0.001,
        /// Gauss–Newton iterations.
        pub gauss_newton_max_iterations: u64 = 100,
        /// Gauss–Newton tolerance.
        pub gauss_newton_tol: f64 = 1e-8,
        /// Chunk size (points).
        pub chunk_size: u64 = 10000,
        /// Initial trust radius.
        pub trust_region_initial: f64 = 1.0,
        /// Regularisation factor.
        pub regularization_factor: f64 = 1e-10,
        /// Checkpoints on/off.
        pub enable_checkpoints: bool = true,
        /// Checkpoint every N iterations.
        pub checkpoint_frequency: u64 = 100,
        /// Check numerics.
        pub validate_numerics: bool = true,
        /// Verbosity.
        pub verbose: i64 = 1,
        /// Log frequency.
        pub log_frequency: u64 = 1,
        /// Warm-start detection.
        pub enable_warm_start_detection: bool = true,
        /// Warm-start threshold.
        pub warm_start_threshold: f64 = 0.01,
        /// Adaptive warm-up learning rate.
        pub enable_adaptive_warmup_lr: bool = true,
        /// Refinement learning rate.
        pub warmup_lr_refinement: f64 = 1e-6,
        /// Careful learning rate.
        pub warmup_lr_careful: f64 = 1e-5,
        /// Cost guard.
        pub enable_cost_guard: bool = true,
        /// Tolerated cost increase.
        pub cost_increase_tolerance: f64 = 0.05,
        /// Step clipping.
        pub enable_step_clipping: bool = true,
        /// Maximum warm-up step.
        pub max_warmup_step_size: f64 = 0.1,
    }
}

section! {
    /// `optimization.nlsq.anti_degeneracy`: how the per-angle contrast/offset are
    /// parameterised (so they cannot absorb the physical parameters' signal) and the
    /// hierarchical, regularised and monitored fitting that guards against degeneracy.
    pub struct AntiDegeneracy {
        /// On/off.
        pub enable: bool = true,
        /// One of [`homodyne_model::scaling::PerAngleMode::ACCEPTED`]; see
        /// [`AntiDegeneracy::scaling_mode`].
        pub per_angle_mode: String = "auto".into(),
        /// auto → averaged when n_phi ≥ this.
        pub constant_scaling_threshold: u64 = 3,
        /// Fourier harmonics.
        pub fourier_order: u64 = 2,
        /// Minimum angles for Fourier.
        pub fourier_auto_threshold: u64 = 6,
        /// `hierarchical.*`.
        pub hierarchical: Hierarchical = Hierarchical::default(),
        /// `regularization.*`.
        pub regularization: Regularization = Regularization::default(),
        /// `gradient_monitoring.*`.
        pub gradient_monitoring: GradientMonitoring = GradientMonitoring::default(),
        /// `shear_weighting.*`.
        pub shear_weighting: ShearWeighting = ShearWeighting::default(),
    }
}

impl AntiDegeneracy {
    /// `per_angle_mode` parsed by the model's [`PerAngleMode`] (what validation and the
    /// run both use).
    pub fn scaling_mode(&self) -> Result<PerAngleMode, String> {
        self.per_angle_mode.parse()
    }
}

section! {
    /// `anti_degeneracy.hierarchical`.
    pub struct Hierarchical {
        /// On/off.
        pub enable: bool = true,
        /// Outer iterations.
        pub max_outer_iterations: u64 = 5,
        /// Outer tolerance.
        pub outer_tolerance: f64 = 1e-6,
        /// Physical-stage iterations.
        pub physical_max_iterations: u64 = 100,
        /// Per-angle-stage iterations.
        pub per_angle_max_iterations: u64 = 50,
    }
}

section! {
    /// `anti_degeneracy.regularization`.
    pub struct Regularization {
        /// On/off.
        pub enable: bool = false,
        /// "relative" or "absolute".
        pub mode: String = "relative".into(),
        /// Weight.
        pub lambda: f64 = 1.0,
        /// Target coefficient of variation.
        pub target_cv: f64 = 0.10,
        /// Target contribution to the cost.
        pub target_contribution: f64 = 0.10,
        /// Maximum CV.
        pub max_cv: f64 = 0.20,
        /// Auto-tune lambda.
        pub auto_tune_lambda: bool = true,
    }
}

section! {
    /// `anti_degeneracy.gradient_monitoring`.
    pub struct GradientMonitoring {
        /// On/off.
        pub enable: bool = true,
        /// Ratio threshold.
        pub ratio_threshold: f64 = 0.01,
        /// Consecutive triggers before responding.
        pub consecutive_triggers: u64 = 5,
        /// "hierarchical" | "warn".
        pub response: String = "hierarchical".into(),
    }
}

section! {
    /// `anti_degeneracy.shear_weighting`.
    pub struct ShearWeighting {
        /// On/off.
        pub enable: bool = true,
        /// Exponent.
        pub alpha: f64 = 1.0,
        /// Minimum weight.
        pub min_weight: f64 = 0.3,
        /// Update every N iterations.
        pub update_frequency: u64 = 50,
        /// Normalise weights.
        pub normalize: bool = true,
    }
}

section! {
    /// `optimization.nlsq.multi_start`.
    pub struct MultiStart {
        /// On/off.
        pub enable: bool = false,
        /// Number of starts.
        pub n_starts: u64 = 10,
        /// Random seed.
        pub seed: u64 = 42,
        /// latin_hypercube | sobol | random.
        pub sampling_strategy: String = "latin_hypercube".into(),
        /// Worker count (0 = auto).
        pub n_workers: u64 = 0,
        /// Screening on/off.
        pub use_screening: bool = true,
        /// Fraction kept after screening.
        pub screen_keep_fraction: f64 = 0.5,
        /// Refine the best K.
        pub refine_top_k: u64 = 3,
        /// Refinement ftol.
        pub refinement_ftol: f64 = 1e-12,
        /// Degeneracy threshold.
        pub degeneracy_threshold: f64 = 0.1,
    }
}

section! {
    /// `optimization.nlsq.cmaes`.
    pub struct Cmaes {
        /// On/off.
        pub enable: bool = false,
        /// Preset.
        pub preset: String = "cmaes-global".into(),
        /// Generations (`null` = adaptive).
        pub max_generations: Option<u64> = None,
        /// Initial sigma.
        pub sigma: f64 = 0.5,
        /// Sigma with warm start.
        pub sigma_warmstart: f64 = 0.05,
        /// Skip when the warm start is good.
        pub warmstart_auto_skip: bool = true,
        /// Skip threshold (reduced χ²).
        pub warmstart_skip_threshold: f64 = 5.0,
        /// Population (`null` = adaptive).
        pub popsize: Option<u64> = None,
        /// Function tolerance.
        pub tol_fun: f64 = 1e-8,
        /// Parameter tolerance.
        pub tol_x: f64 = 1e-8,
        /// Restart strategy.
        pub restart_strategy: String = "bipop".into(),
        /// Maximum restarts.
        pub max_restarts: u64 = 10,
        /// Population batch size.
        pub population_batch_size: Option<u64> = None,
        /// Data chunk size.
        pub data_chunk_size: Option<u64> = None,
        /// Memory limit in GB.
        pub memory_limit_gb: f64 = 8.0,
        /// Automatic selection.
        pub auto_select: bool = true,
        /// Scale-ratio threshold.
        pub scale_threshold: f64 = 1000.0,
        /// Bounds-based normalisation.
        pub normalize: bool = true,
        /// Normalisation epsilon.
        pub normalization_epsilon: f64 = 1e-12,
        /// Refine with NLSQ.
        pub refine_with_nlsq: bool = true,
        /// Refinement workflow.
        pub refinement_workflow: String = "auto".into(),
        /// Refinement ftol.
        pub refinement_ftol: f64 = 1e-10,
        /// Refinement xtol.
        pub refinement_xtol: f64 = 1e-10,
        /// Refinement gtol.
        pub refinement_gtol: f64 = 1e-10,
        /// Refinement evaluations.
        pub refinement_max_nfev: u64 = 500,
        /// Refinement loss.
        pub refinement_loss: String = "linear".into(),
        /// Diagonal policy (undocumented).
        pub diagonal_filtering: String = "remove".into(),
        /// NLSQ warm start (undocumented).
        pub nlsq_warmstart: bool = true,
    }
}

section! {
    /// `optimization.nlsq.quality_validation`.
    pub struct QualityValidation {
        /// On/off.
        pub enable: bool = true,
        /// Reduced χ² threshold.
        pub reduced_chi_squared_threshold: f64 = 10.0,
        /// Warn on max restarts.
        pub warn_on_max_restarts: bool = true,
        /// Warn on bounds hit.
        pub warn_on_bounds_hit: bool = true,
        /// Warn on convergence failure.
        pub warn_on_convergence_failure: bool = true,
        /// Bounds tolerance.
        pub bounds_tolerance: f64 = 1e-9,
    }
}

/// `optimization.nlsq.sigma`: `"estimate"` or a number (numeric strings accepted, like
/// every number of the configuration). The range (finite, > 0) is checked by validation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum NlsqSigma {
    /// Measure sigma of each angle from the data.
    #[default]
    Estimate,
    /// One sigma for every point.
    Value(f64),
}

impl NlsqSigma {
    /// The explicit value, if any.
    pub fn value(&self) -> Option<f64> {
        match self {
            NlsqSigma::Estimate => None,
            NlsqSigma::Value(v) => Some(*v),
        }
    }
}

impl std::fmt::Display for NlsqSigma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NlsqSigma::Estimate => f.write_str("estimate"),
            NlsqSigma::Value(v) => write!(f, "{v}"),
        }
    }
}

impl serde::Serialize for NlsqSigma {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NlsqSigma::Estimate => s.serialize_str("estimate"),
            NlsqSigma::Value(v) => s.serialize_f64(*v),
        }
    }
}

impl<'de> serde::Deserialize<'de> for NlsqSigma {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = NlsqSigma;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"estimate\" or a positive number")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<NlsqSigma, E> {
                Ok(NlsqSigma::Value(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<NlsqSigma, E> {
                Ok(NlsqSigma::Value(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<NlsqSigma, E> {
                Ok(NlsqSigma::Value(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<NlsqSigma, E> {
                let t = s.trim();
                if t.eq_ignore_ascii_case("estimate") {
                    Ok(NlsqSigma::Estimate)
                } else {
                    t.parse().map(NlsqSigma::Value).map_err(|_| {
                        E::custom(format!(
                            "invalid value \"{s}\"; expected \"estimate\" or a positive number"
                        ))
                    })
                }
            }
        }
        d.deserialize_any(V)
    }
}
