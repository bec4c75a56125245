//! Options of a fit, filled by the CLI from the configuration (or by hand).
//!
//! Defaults follow the reference's stratified least-squares path where it is sane:
//! `ftol = xtol = gtol = 1e-8`, linear loss, `per_angle_mode = auto` with
//! `constant_scaling_threshold = 3` and `fourier_order = 2`, memory fraction 0.75,
//! recovery on. Variables are scaled by Jacobian column norms by default so that
//! parameters of very different magnitudes (D0 ~ 1e4, gamma_dot_t0 ~ 1e-3) converge alike.
//!
//! sigma (the noise of c2) is measured from the data per angle by default
//! ([`SigmaSetting::Estimate`]), so that the reduced chi^2 and the quality flag judge
//! the model against the data's own noise; the reference assumed 0.01. The covariance
//! is scaled by the reduced chi^2 (`absolute_sigma = false`, as scipy's `curve_fit`):
//! with a measured sigma the factor is about 1 for a good model (the calibration study
//! in `scripts/calibration.sh` shows std(z) ~ 1 either way), and it widens the errors
//! honestly when the model does not describe the data.

use homodyne_model::scaling::PerAngleMode;
use serde::{Deserialize, Serialize};

use crate::error::NlsqError;
use crate::loss::Loss;
use crate::profile::ProfileSetting;
use crate::strategy::Strategy;

/// Variable scaling of the trust region.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XScale {
    /// Inverse Jacobian column norms, updated as the fit proceeds (scipy's `'jac'`).
    #[default]
    Jacobian,
    /// `|x0| + 1e-3` (the reference's choice).
    InitialMagnitude,
    /// Explicit characteristic scales, one per optimiser variable.
    Values(Vec<f64>),
}

/// Where the objective's sigma comes from (`optimization.nlsq.sigma`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigmaSetting {
    /// Measure sigma of each angle from the data
    /// ([`homodyne_model::noise::estimate_sigma`]: robust scale of second differences).
    #[default]
    Estimate,
    /// One value for every point.
    Value(f64),
}

impl std::fmt::Display for SigmaSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigmaSetting::Estimate => f.write_str("estimate"),
            SigmaSetting::Value(v) => write!(f, "{v}"),
        }
    }
}

/// Settings of the streaming strategy (L-BFGS warm-up then Gauss-Newton in
/// bounds-normalised variables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamingOptions {
    /// Maximum L-BFGS warm-up iterations (0 disables the warm-up).
    pub warmup_iterations: usize,
    /// Warm-up stops once an iteration lowers the cost by less than this fraction.
    pub warmup_rtol: f64,
    /// L-BFGS history length.
    pub lbfgs_memory: usize,
    /// Largest warm-up step per variable in normalised units.
    pub max_step: f64,
}

impl Default for StreamingOptions {
    fn default() -> Self {
        StreamingOptions {
            warmup_iterations: 20,
            warmup_rtol: 1e-4,
            lbfgs_memory: 8,
            max_step: 0.1,
        }
    }
}

/// The coarse stage of large fits ([`crate::CoarseStage`]): each local solve first walks
/// to the optimum of the objective restricted to the time pairs that involve every
/// `stride`-th frame (`stride` chosen so that about `target_points` points remain), then
/// finishes on all points with the same solver and criteria. The model is exact on every
/// chosen pair, so the coarse optimum is a consistent estimate close to the full one;
/// the answer and covariance are always the full objective's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoarseOptions {
    /// Use the coarse stage (for objectives of more than `min_points` points).
    pub enabled: bool,
    /// Objectives of at most this many points are fitted on all points from the start.
    pub min_points: usize,
    /// Aim for at most this many points in the coarse objective.
    pub target_points: usize,
}

impl Default for CoarseOptions {
    fn default() -> Self {
        CoarseOptions {
            enabled: true,
            min_points: 2_000_000,
            target_points: 500_000,
        }
    }
}

/// Everything that controls a local NLSQ fit.
#[derive(Debug, Clone, PartialEq)]
pub struct NlsqOptions {
    /// Relative cost-reduction tolerance.
    pub ftol: f64,
    /// Relative step tolerance.
    pub xtol: f64,
    /// Scaled-gradient tolerance (infinity norm).
    pub gtol: f64,
    /// Maximum objective evaluations per attempt (None: 100 x number of variables).
    pub max_nfev: Option<usize>,
    /// Maximum trust-region iterations per attempt (None: unlimited).
    pub max_iterations: Option<usize>,
    /// Robust loss (linear: plain least squares).
    pub loss: Loss,
    /// Soft margin between inlier and outlier residuals (robust losses only).
    pub f_scale: f64,
    /// Variable scaling of the trust region.
    pub x_scale: XScale,
    /// Per-angle contrast/offset handling.
    pub per_angle_mode: PerAngleMode,
    /// Angles from which `auto` starts with one averaged contrast/offset pair.
    pub constant_scaling_threshold: usize,
    /// Order of the Fourier series in phi of the `fourier` per-angle mode.
    pub fourier_order: usize,
    /// Force an execution strategy instead of the memory-based choice.
    pub strategy: Option<Strategy>,
    /// Memory budget in GiB for the strategy choice (None: `memory_fraction` of the
    /// available RAM read from /proc/meminfo, 16 GiB when unreadable).
    pub memory_limit_gb: Option<f64>,
    /// Fraction of available RAM usable by the fit (clamped to [0.1, 0.9]).
    pub memory_fraction: f64,
    /// Target number of data points per chunk on the chunked/streaming paths.
    pub chunk_points: usize,
    /// Settings of the streaming strategy.
    pub streaming: StreamingOptions,
    /// Retry failed attempts from other starts.
    pub recovery: bool,
    /// Number of recovery attempts after the first (at most 3 are defined).
    pub max_recovery_attempts: usize,
    /// Noise level of c2: measured per angle from the data (default) or one value. A
    /// per-point array passed to the fit overrides it.
    pub sigma: SigmaSetting,
    /// Treat sigma as absolute (covariance not scaled by the reduced chi^2).
    pub absolute_sigma: bool,
    /// After convergence, take undamped Gauss-Newton steps while they lower the cost
    /// (up to this many): pins the minimum far below the tolerances so that every
    /// execution strategy returns the same numbers.
    pub polish_steps: usize,
    /// The coarse stage of large fits (on by default above 2 M points; `enabled = false`
    /// fits on all points from the first iteration).
    pub coarse: CoarseOptions,
    /// Profile-likelihood intervals of the physical parameters ([`ProfileSetting`]).
    pub profile: ProfileSetting,
}

impl Default for NlsqOptions {
    fn default() -> Self {
        NlsqOptions {
            ftol: 1e-8,
            xtol: 1e-8,
            gtol: 1e-8,
            max_nfev: None,
            max_iterations: None,
            loss: Loss::Linear,
            f_scale: 1.0,
            x_scale: XScale::Jacobian,
            per_angle_mode: PerAngleMode::Auto,
            constant_scaling_threshold: 3,
            fourier_order: 2,
            strategy: None,
            memory_limit_gb: None,
            memory_fraction: 0.75,
            chunk_points: 2_000_000,
            streaming: StreamingOptions::default(),
            recovery: true,
            max_recovery_attempts: 3,
            sigma: SigmaSetting::Estimate,
            absolute_sigma: false,
            polish_steps: 8,
            coarse: CoarseOptions::default(),
            profile: ProfileSetting::Auto,
        }
    }
}

impl NlsqOptions {
    /// Check ranges; every problem is reported as a clear error.
    pub fn validate(&self) -> Result<(), NlsqError> {
        let positive = |name: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(NlsqError::Option {
                    name,
                    message: format!("{v} must be finite and >= 0"),
                })
            }
        };
        positive("ftol", self.ftol)?;
        positive("xtol", self.xtol)?;
        positive("gtol", self.gtol)?;
        if self.ftol < f64::EPSILON && self.xtol < f64::EPSILON && self.gtol < f64::EPSILON {
            return Err(NlsqError::Option {
                name: "ftol/xtol/gtol",
                message: "at least one tolerance must be >= machine epsilon".into(),
            });
        }
        if !(self.f_scale.is_finite() && self.f_scale > 0.0) {
            return Err(NlsqError::Option {
                name: "f_scale",
                message: format!("{} must be finite and > 0", self.f_scale),
            });
        }
        if self.max_nfev == Some(0) {
            return Err(NlsqError::Option {
                name: "max_nfev",
                message: "must be at least 1".into(),
            });
        }
        if let Some(gb) = self.memory_limit_gb
            && !(gb.is_finite() && gb > 0.0)
        {
            return Err(NlsqError::Option {
                name: "memory_limit_gb",
                message: format!("{gb} must be finite and > 0"),
            });
        }
        if !self.memory_fraction.is_finite() {
            return Err(NlsqError::Option {
                name: "memory_fraction",
                message: "must be finite".into(),
            });
        }
        if let SigmaSetting::Value(v) = self.sigma
            && !(v.is_finite() && v > 0.0)
        {
            return Err(NlsqError::Option {
                name: "sigma",
                message: format!("{v} must be finite and > 0 (or \"estimate\")"),
            });
        }
        if self.chunk_points == 0 {
            return Err(NlsqError::Option {
                name: "chunk_points",
                message: "must be at least 1".into(),
            });
        }
        if self.constant_scaling_threshold == 0 {
            return Err(NlsqError::Option {
                name: "constant_scaling_threshold",
                message: "must be at least 1".into(),
            });
        }
        if let XScale::Values(v) = &self.x_scale
            && v.iter().any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(NlsqError::Option {
                name: "x_scale",
                message: "explicit scales must be finite and > 0".into(),
            });
        }
        if self.coarse.enabled && self.coarse.target_points == 0 {
            return Err(NlsqError::Option {
                name: "coarse.target_points",
                message: "must be at least 1".into(),
            });
        }
        let s = &self.streaming;
        if !(s.max_step.is_finite() && s.max_step > 0.0) || s.lbfgs_memory == 0 {
            return Err(NlsqError::Option {
                name: "streaming",
                message: "max_step must be > 0 and lbfgs_memory >= 1".into(),
            });
        }
        Ok(())
    }
}
