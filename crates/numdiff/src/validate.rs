//! Accuracy validation against a known (analytical) gradient: runs every
//! applicable method through the public entry points and judges each one.
//! Kept out of the engines because it is a user-facing check, not part of
//! differentiation itself.

use num_complex::Complex64;

use crate::api::{gradient, gradient_complex};
use crate::config::DiffConfig;
use crate::error::NumDiffError;
use crate::eval::check_x;
use crate::method::Method;
use crate::result::Derivative;

/// Accuracy of one method.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodAccuracy {
    /// The method.
    pub method: Method,
    /// `max_k |g_k - known_k|` (infinite if the method failed).
    pub max_abs_error: f64,
    /// `max_k` of the relative error `|g_k - known_k| / |known_k|` (the
    /// absolute error where `known_k == 0`; infinite if the method failed).
    pub max_rel_error: f64,
    /// Largest error estimate reported by the method.
    pub max_estimated_error: f64,
    /// Whether `|g_k - known_k| <= error_k` held for every component.
    pub estimate_bounds_error: bool,
    /// Function evaluations used.
    pub n_evals: usize,
    /// `max_rel_error <= tolerance` and the method succeeded.
    pub passed: bool,
    /// The error message if the method failed.
    pub failure: Option<String>,
}

/// Per-method accuracy report.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationReport {
    /// Tolerance the methods were judged against.
    pub tolerance: f64,
    /// One entry per method, in the order they were run.
    pub methods: Vec<MethodAccuracy>,
}

impl ValidationReport {
    /// Whether every method passed.
    pub fn all_passed(&self) -> bool {
        self.methods.iter().all(|m| m.passed)
    }

    /// The entry for `method`, if it was run.
    pub fn get(&self, method: Method) -> Option<&MethodAccuracy> {
        self.methods.iter().find(|m| m.method == method)
    }

    /// The successful method with the smallest maximum relative error.
    pub fn best(&self) -> Option<&MethodAccuracy> {
        self.methods
            .iter()
            .filter(|m| m.failure.is_none())
            .min_by(|a, b| a.max_rel_error.total_cmp(&b.max_rel_error))
    }
}

fn judge(
    method: Method,
    r: Result<Derivative, NumDiffError>,
    known: &[f64],
    tolerance: f64,
) -> MethodAccuracy {
    match r {
        Ok(d) => {
            let mut max_abs: f64 = 0.0;
            let mut max_rel: f64 = 0.0;
            let mut bounds = true;
            for ((&g, &e), &k) in d.value.iter().zip(&d.error).zip(known) {
                let abs = (g - k).abs();
                let rel = if k == 0.0 { abs } else { abs / k.abs() };
                max_abs = max_abs.max(abs);
                max_rel = max_rel.max(rel);
                bounds &= abs <= e;
            }
            MethodAccuracy {
                method,
                max_abs_error: max_abs,
                max_rel_error: max_rel,
                max_estimated_error: d.max_error(),
                estimate_bounds_error: bounds,
                n_evals: d.n_evals,
                passed: max_rel <= tolerance,
                failure: None,
            }
        }
        Err(e) => MethodAccuracy {
            method,
            max_abs_error: f64::INFINITY,
            max_rel_error: f64::INFINITY,
            max_estimated_error: f64::INFINITY,
            estimate_bounds_error: false,
            n_evals: 0,
            passed: false,
            failure: Some(e.to_string()),
        },
    }
}

fn check_known(x: &[f64], known: &[f64], tolerance: f64) -> Result<(), NumDiffError> {
    check_x(x)?;
    if known.len() != x.len() {
        return Err(NumDiffError::KnownGradientLengthMismatch {
            expected: x.len(),
            got: known.len(),
        });
    }
    if !(tolerance.is_finite() && tolerance > 0.0) {
        return Err(NumDiffError::InvalidConfig(format!(
            "tolerance must be finite and > 0, got {tolerance}"
        )));
    }
    Ok(())
}

/// Runs forward, backward, central, Richardson and adaptive differentiation
/// of the real function `f` at `x` (default configuration otherwise) and
/// compares each with `known_gradient`.
///
/// The report gives, per method, the maximum absolute and relative error
/// against the known gradient, whether the method's own error estimate
/// bounded the true error, and pass/fail: a method passes when its maximum
/// relative error is at most `tolerance`. A method that returns an error is
/// reported as failed with the message. Errors only for bad input: empty or
/// non-finite `x`, a known gradient of the wrong length, or a tolerance that
/// is not finite and positive.
pub fn validate_gradient_accuracy<F>(
    f: F,
    x: &[f64],
    known_gradient: &[f64],
    tolerance: f64,
) -> Result<ValidationReport, NumDiffError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    check_known(x, known_gradient, tolerance)?;
    let methods = [
        Method::Forward,
        Method::Backward,
        Method::Central,
        Method::Richardson,
        Method::Adaptive,
    ]
    .into_iter()
    .map(|m| {
        let r = gradient(&f, x, &DiffConfig::with_method(m));
        judge(m, r, known_gradient, tolerance)
    })
    .collect();
    Ok(ValidationReport { tolerance, methods })
}

/// Like [`validate_gradient_accuracy`] for a complex-analytic function, adding
/// the complex-step method.
pub fn validate_gradient_accuracy_complex<F>(
    f: F,
    x: &[f64],
    known_gradient: &[f64],
    tolerance: f64,
) -> Result<ValidationReport, NumDiffError>
where
    F: Fn(&[Complex64]) -> Complex64 + Sync,
{
    check_known(x, known_gradient, tolerance)?;
    let methods = [
        Method::Forward,
        Method::Backward,
        Method::Central,
        Method::Richardson,
        Method::ComplexStep,
        Method::Adaptive,
    ]
    .into_iter()
    .map(|m| {
        let r = gradient_complex(&f, x, &DiffConfig::with_method(m));
        judge(m, r, known_gradient, tolerance)
    })
    .collect();
    Ok(ValidationReport { tolerance, methods })
}
