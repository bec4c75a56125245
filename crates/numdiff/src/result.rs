//! Result containers: values, per-component error estimates, evaluation counts.
//!
//! [`Derivative`] holds a vector (a gradient); [`DerivativeMatrix`] holds a
//! row-major matrix (a Jacobian with one row per output, or a Hessian). Every
//! component carries an error estimate (truncation + round-off), and every
//! result records the method actually used, the number of function
//! evaluations and any warnings.

use crate::method::Method;

/// A vector-valued derivative (a gradient) with error estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct Derivative {
    /// The derivative, one entry per parameter.
    pub value: Vec<f64>,
    /// Estimated absolute error of each entry (truncation + round-off).
    pub error: Vec<f64>,
    /// The method that produced `value` (never [`Method::Adaptive`]).
    pub method: Method,
    /// Number of function evaluations (real or complex) used.
    pub n_evals: usize,
    /// Non-fatal problems: fallbacks taken, tolerance not met, ...
    pub warnings: Vec<String>,
}

impl Derivative {
    /// Largest estimated absolute error.
    pub fn max_error(&self) -> f64 {
        self.error.iter().fold(0.0, |a, &e| a.max(e))
    }

    /// Estimated relative error of entry `k`: `error[k] / |value[k]|`
    /// (infinite when the value is zero and the error is not).
    pub fn relative_error(&self, k: usize) -> f64 {
        rel(self.error[k], self.value[k])
    }
}

/// A matrix-valued derivative (Jacobian or Hessian), row-major.
///
/// For a Jacobian of `f: R^n -> R^m`, `nrows = m`, `ncols = n` and entry
/// `(i, k)` is `d f_i / d x_k`; row `i` is the gradient of output `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivativeMatrix {
    /// Number of rows (outputs for a Jacobian).
    pub nrows: usize,
    /// Number of columns (parameters).
    pub ncols: usize,
    /// Row-major values, `nrows * ncols`.
    pub value: Vec<f64>,
    /// Row-major estimated absolute errors.
    pub error: Vec<f64>,
    /// The method that produced `value` (never [`Method::Adaptive`]).
    pub method: Method,
    /// Number of function evaluations (real or complex) used.
    pub n_evals: usize,
    /// Non-fatal problems: fallbacks taken, tolerance not met, ...
    pub warnings: Vec<String>,
}

impl DerivativeMatrix {
    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.value[i * self.ncols + j]
    }

    /// Estimated absolute error of entry `(i, j)`.
    pub fn error_at(&self, i: usize, j: usize) -> f64 {
        self.error[i * self.ncols + j]
    }

    /// Row `i` as a slice.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.value[i * self.ncols..(i + 1) * self.ncols]
    }

    /// Column `j` (copied).
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.nrows).map(|i| self.get(i, j)).collect()
    }

    /// Values as a vector of rows.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        (0..self.nrows).map(|i| self.row(i).to_vec()).collect()
    }

    /// Largest estimated absolute error.
    pub fn max_error(&self) -> f64 {
        self.error.iter().fold(0.0, |a, &e| a.max(e))
    }

    /// Returns the single row of a one-row matrix as a [`Derivative`].
    pub(crate) fn into_first_row(self) -> Derivative {
        let n = self.ncols;
        Derivative {
            value: self.value[..n].to_vec(),
            error: self.error[..n].to_vec(),
            method: self.method,
            n_evals: self.n_evals,
            warnings: self.warnings,
        }
    }
}

pub(crate) fn rel(err: f64, value: f64) -> f64 {
    if err == 0.0 {
        0.0
    } else if value == 0.0 {
        f64::INFINITY
    } else {
        err / value.abs()
    }
}

/// Adds one summary warning when estimated relative errors exceed `tol`.
pub(crate) fn tolerance_warning(
    value: &[f64],
    error: &[f64],
    ncols: usize,
    tol: f64,
    warnings: &mut Vec<String>,
) {
    let scale = value.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
    let mut count = 0usize;
    let mut worst: Option<(usize, f64)> = None;
    for (idx, (&v, &e)) in value.iter().zip(error).enumerate() {
        // Components that are negligible relative to the largest one are judged
        // against that scale, so exact zeros do not trigger warnings.
        let r = e / v.abs().max(scale * tol).max(f64::MIN_POSITIVE);
        if r > tol {
            count += 1;
            if worst.is_none_or(|(_, w)| r > w) {
                worst = Some((idx, r));
            }
        }
    }
    if let Some((idx, r)) = worst {
        warnings.push(format!(
            "{count} component(s) have estimated relative error above error_tolerance {tol:e}; \
             worst is entry ({}, {}) at {r:.3e}",
            idx / ncols.max(1),
            idx % ncols.max(1)
        ));
    }
}
