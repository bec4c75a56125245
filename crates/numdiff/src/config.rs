//! Configuration: which method to use, how to choose steps, and tolerances.
//! Every engine reads a [`DiffConfig`]; this module only holds the settings and
//! their validation.
//!
//! [`DiffConfig`] is a plain struct with public fields and a [`Default`]; build
//! one with struct-update syntax:
//!
//! ```
//! use homodyne_numdiff::{DiffConfig, Method, Step};
//! let cfg = DiffConfig { method: Method::Central, step: Step::Uniform(1e-6), ..DiffConfig::default() };
//! assert_eq!(cfg.richardson_terms, 6);
//! ```

use crate::error::NumDiffError;
use crate::method::Method;

/// How the step for each parameter is chosen.
///
/// With [`DiffConfig::relative_step`] set, supplied steps are multiplied by
/// `max(|x_k|, 1)`. For [`Method::Richardson`] the step is the *largest* step
/// of the geometric sequence; for [`Method::ComplexStep`] it is the imaginary
/// step.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Step {
    /// Choose per parameter from a curvature estimate, with the rule below
    /// ([`auto_step`](crate::auto_step) returns the step it picks).
    ///
    /// For parameter `k` with typical scale `s = max(|x_k|, 1)` a coarse probe at
    /// `h_c = noise^(1/4) * s` (`noise` = [`DiffConfig::function_noise`]) gives the
    /// first and second difference quotients `D1 ≈ f'`, `D2 ≈ f''`. When the
    /// second difference is well above its own round-off level
    /// (`|D2| > 64 noise |f| / h_c^2`), two length scales follow:
    ///
    /// * `L_noise  = sqrt(F / |f''|)` with `F = max(|f|, |x_k| |f'|)`, the scale
    ///   at which round-off and truncation balance (`F` is the size of the values
    ///   whose round-off pollutes the differences); for a vector function the
    ///   Euclidean norms over the outputs are used;
    /// * `L_taylor = min(L_noise, |f'| / |f''|)`, a proxy for the distance over
    ///   which the Taylor expansion is useful; for a vector function it is the
    ///   minimum of the per-output values over outputs with measurable curvature,
    ///   so one sharply curved output cannot be hidden by large, flat ones.
    ///
    /// If `L_taylor < h_c / 4` the probe was too coarse and is repeated at
    /// `h_c = L_taylor` (at most three times); if a probe point is not finite the
    /// probe step is divided by 16. If the curvature cannot be measured (linear
    /// function, noise), `L_noise = L_taylor = s`. Both scales are clamped to
    /// `[1e-8 s, 1e3 s]`. The step is then
    ///
    /// | use                        | step                                                  |
    /// |----------------------------|-------------------------------------------------------|
    /// | forward/backward, `f'`     | `2 sqrt(noise) L_noise`                               |
    /// | central, `f'`              | `(3 noise)^(1/3) L_noise^(2/3) L_taylor^(1/3)`        |
    /// | forward/backward, `f''`    | `(4 noise)^(1/3) L_noise^(2/3) L_taylor^(1/3)`        |
    /// | central, `f''`             | `(48 noise)^(1/4) L_noise^(1/2) L_taylor^(1/2)`       |
    /// | Richardson (largest step)  | `0.5 L_taylor`                                        |
    /// | complex step               | `1e-20 s` (no probe)                                  |
    ///
    /// The forward rule is the textbook optimum `2 sqrt(noise |f| / |f''|)`; the
    /// central rules use `|f'''| ≈ |f''|^2 / |f'|`. Without a measurable curvature
    /// the central rule reduces to `(3 noise)^(1/3) max(|x_k|, 1)`, i.e. the usual
    /// `eps^(1/3)` scaling.
    #[default]
    Auto,
    /// The same step for every parameter.
    Uniform(f64),
    /// One step per parameter.
    PerParameter(Vec<f64>),
}

/// Configuration for every differentiation routine.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffConfig {
    /// Method; [`Method::Adaptive`] by default.
    pub method: Method,
    /// Step rule; [`Step::Auto`] by default.
    pub step: Step,
    /// Interpret supplied steps relative to `max(|x_k|, 1)`. No effect with
    /// [`Step::Auto`], which is already scale aware. Default `false`.
    pub relative_step: bool,
    /// Number of step sizes in the Richardson sequence (rows of the Neville
    /// table); the highest extrapolation order is `2 * richardson_terms`.
    /// Must be at least 2. Default 6.
    pub richardson_terms: usize,
    /// Ratio between successive Richardson steps (> 1). Default 2.
    pub step_ratio: f64,
    /// Number of parameters processed together; bounds the working memory
    /// (and the parallel fan-out when [`DiffConfig::parallel`] is set).
    /// `0` means all at once. Default 256. Working memory per parameter in
    /// flight is a few output vectors (finite differences) or about
    /// `4 * richardson_terms` output vectors (Richardson table).
    pub chunk_size: usize,
    /// Evaluate the parameters of a chunk in parallel with rayon (the function
    /// must be `Sync`). Results are identical either way. Default `false`.
    pub parallel: bool,
    /// Relative error the caller wants. Components whose estimated relative
    /// error exceeds it produce a warning in the result. Default `1e-6`.
    pub error_tolerance: f64,
    /// Relative noise of one function value (round-off of evaluating `f`),
    /// used for step selection and the round-off part of error estimates.
    /// Default `4 * f64::EPSILON`; raise it for noisy functions.
    pub function_noise: f64,
}

impl Default for DiffConfig {
    fn default() -> Self {
        Self {
            method: Method::Adaptive,
            step: Step::Auto,
            relative_step: false,
            richardson_terms: 6,
            step_ratio: 2.0,
            chunk_size: 256,
            parallel: false,
            error_tolerance: 1e-6,
            function_noise: 4.0 * f64::EPSILON,
        }
    }
}

impl DiffConfig {
    /// A default configuration using `method`.
    pub fn with_method(method: Method) -> Self {
        Self {
            method,
            ..Self::default()
        }
    }

    /// Check the configuration against a problem with `n` parameters.
    pub fn validate(&self, n: usize) -> Result<(), NumDiffError> {
        if self.richardson_terms < 2 {
            return Err(NumDiffError::InvalidConfig(format!(
                "richardson_terms must be >= 2, got {}",
                self.richardson_terms
            )));
        }
        if !(self.step_ratio.is_finite() && self.step_ratio > 1.0) {
            return Err(NumDiffError::InvalidConfig(format!(
                "step_ratio must be finite and > 1, got {}",
                self.step_ratio
            )));
        }
        if !(self.error_tolerance.is_finite() && self.error_tolerance > 0.0) {
            return Err(NumDiffError::InvalidConfig(format!(
                "error_tolerance must be finite and > 0, got {}",
                self.error_tolerance
            )));
        }
        if !(self.function_noise.is_finite() && self.function_noise >= 0.0) {
            return Err(NumDiffError::InvalidConfig(format!(
                "function_noise must be finite and >= 0, got {}",
                self.function_noise
            )));
        }
        match &self.step {
            Step::Auto => {}
            Step::Uniform(h) => {
                if !(h.is_finite() && *h > 0.0) {
                    return Err(NumDiffError::InvalidStep {
                        index: 0,
                        value: *h,
                    });
                }
            }
            Step::PerParameter(v) => {
                if v.len() != n {
                    return Err(NumDiffError::StepLengthMismatch {
                        expected: n,
                        got: v.len(),
                    });
                }
                if let Some((index, &value)) = v
                    .iter()
                    .enumerate()
                    .find(|(_, h)| !(h.is_finite() && **h > 0.0))
                {
                    return Err(NumDiffError::InvalidStep { index, value });
                }
            }
        }
        Ok(())
    }

    /// Effective chunk size for `n` parameters.
    pub(crate) fn chunk(&self, n: usize) -> usize {
        if self.chunk_size == 0 {
            n.max(1)
        } else {
            self.chunk_size
        }
    }
}
