//! Configuration: which method to use, how to choose steps, and tolerances.
//!
//! [`DiffConfig`] is a plain struct with public fields and a [`Default`]; build
//! one with struct-update syntax:
//!
//! ```
//! use homodyne_numdiff::{DiffConfig, Method, Step};
//! let cfg = DiffConfig { method: Method::Central, step: Step::Uniform(1e-6), ..DiffConfig::default() };
//! assert_eq!(cfg.richardson_terms, 6);
//! ```

use std::fmt;

use crate::error::NumDiffError;

/// Differentiation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// One-sided forward differences, `O(h)` truncation error.
    Forward,
    /// One-sided backward differences, `O(h)` truncation error.
    Backward,
    /// Central differences, `O(h^2)` truncation error.
    Central,
    /// Complex-step differentiation `Im f(x + i h e_k) / h`; needs the complex
    /// extension of the function, accurate to a few ulps.
    ComplexStep,
    /// Richardson extrapolation (Ridders' Neville table) of central differences
    /// over a geometric sequence of steps.
    Richardson,
    /// Pick automatically; see [`crate::adaptive`] for the rule.
    Adaptive,
}

impl Method {
    /// All concrete (non-adaptive) methods, in order of increasing accuracy.
    pub const CONCRETE: [Method; 5] = [
        Method::Forward,
        Method::Backward,
        Method::Central,
        Method::Richardson,
        Method::ComplexStep,
    ];

    /// Short lowercase name (`"forward"`, `"complex-step"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Method::Forward => "forward",
            Method::Backward => "backward",
            Method::Central => "central",
            Method::ComplexStep => "complex-step",
            Method::Richardson => "richardson",
            Method::Adaptive => "adaptive",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the step for each parameter is chosen.
///
/// With [`DiffConfig::relative_step`] set, supplied steps are multiplied by
/// `max(|x_k|, 1)`. For [`Method::Richardson`] the step is the *largest* step
/// of the geometric sequence; for [`Method::ComplexStep`] it is the imaginary
/// step.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Step {
    /// Choose per parameter from a curvature estimate (see [`crate::step`]).
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
