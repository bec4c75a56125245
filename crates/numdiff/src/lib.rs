//! Numerical differentiation for homodyne-rs: gradients, Jacobians and
//! Hessians by finite differences, complex step and Richardson extrapolation,
//! each with per-component error estimates.
//!
//! This replaces the JAX-free fallback of the Python package
//! (`homodyne/core/numpy_gradients.py`) and is the reference the model crate's
//! analytic derivatives are tested against.
//!
//! # Entry points
//!
//! | function                                   | input function                          | result                |
//! |--------------------------------------------|-----------------------------------------|-----------------------|
//! | [`gradient`], [`hessian`]                  | `Fn(&[f64]) -> f64`                     | [`Derivative`], [`DerivativeMatrix`] |
//! | [`jacobian`]                               | `Fn(&[f64]) -> Vec<f64>`                | [`DerivativeMatrix`] (`m x n`) |
//! | [`gradient_complex`], [`hessian_complex`]  | `Fn(&[Complex64]) -> Complex64`         | as above              |
//! | [`jacobian_complex`]                       | `Fn(&[Complex64]) -> Vec<Complex64>`    | as above              |
//! | [`richardson_gradient`], [`richardson_jacobian`], [`richardson_hessian`] | real | method forced to Richardson |
//! | [`complex_step_gradient`], [`complex_step_jacobian`], [`complex_step_hessian`] | complex | method forced to complex step |
//! | [`validate_gradient_accuracy`], [`validate_gradient_accuracy_complex`] | either | [`ValidationReport`] |
//!
//! The method comes from [`DiffConfig::method`] (the `richardson_*` and
//! `complex_step_*` shortcuts override it). The `*_complex` functions accept
//! every method: real methods evaluate the function on the real axis.
//!
//! Typical accuracy (relative, well-scaled smooth functions, default steps):
//! forward/backward ~1e-8..1e-7, central ~1e-10, Richardson ~1e-12..1e-13,
//! complex step ~1e-16 for first derivatives; Hessians lose roughly the square
//! root of those digits for finite differences, while Richardson and complex
//! step Hessians reach ~1e-10..1e-12.
//!
//! Every result carries `error` (estimated absolute error per component:
//! truncation + round-off), `n_evals` and `warnings`. Bad input and misbehaving
//! functions give a [`NumDiffError`], never a panic.
//!
//! ```
//! use homodyne_numdiff::{richardson_jacobian, complex_step_gradient, DiffConfig};
//! use num_complex::Complex64;
//!
//! let cfg = DiffConfig::default();
//! let jac = richardson_jacobian(|x: &[f64]| vec![x[0] * x[1], x[0].exp()], &[2.0, 3.0], &cfg).unwrap();
//! assert!((jac.get(0, 1) - 2.0).abs() < 1e-10);
//! assert!((jac.get(1, 0) - 2f64.exp()).abs() <= jac.error_at(1, 0).max(1e-14));
//!
//! let g = complex_step_gradient(|z: &[Complex64]| z[0].sin() * z[1], &[0.5, 2.0], &cfg).unwrap();
//! assert!((g.value[0] - 2.0 * 0.5f64.cos()).abs() < 1e-15);
//! ```
//!
//! Modules: [`config`] (settings), [`step`] (automatic step rule),
//! [`richardson`] (Neville table), [`adaptive`] (the adaptive rule),
//! [`validate`] (accuracy check); the engines are internal.

pub mod adaptive;
mod complex;
pub mod config;
pub mod error;
mod eval;
mod first;
mod hessian;
pub mod result;
pub mod richardson;
pub mod step;
pub mod validate;

pub use num_complex::Complex64;

pub use config::{DiffConfig, Method, Step};
pub use error::NumDiffError;
pub use result::{Derivative, DerivativeMatrix};
pub use step::{LengthScales, auto_step};
pub use validate::{
    MethodAccuracy, ValidationReport, validate_gradient_accuracy,
    validate_gradient_accuracy_complex,
};

use adaptive::{Kind, dispatch_complex, dispatch_real};

fn forced(cfg: &DiffConfig, method: Method) -> DiffConfig {
    DiffConfig {
        method,
        ..cfg.clone()
    }
}

/// Gradient of a real scalar function `f: R^n -> R` at `x` with `cfg.method`.
pub fn gradient<F>(f: F, x: &[f64], cfg: &DiffConfig) -> Result<Derivative, NumDiffError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    let g = |x: &[f64]| Ok(vec![f(x)]);
    dispatch_real(&g, x, cfg, Kind::Jacobian).map(DerivativeMatrix::into_first_row)
}

/// Jacobian (`m x n`, row `i` = gradient of output `i`) of a real vector
/// function `f: R^n -> R^m` at `x` with `cfg.method`.
pub fn jacobian<F>(f: F, x: &[f64], cfg: &DiffConfig) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[f64]) -> Vec<f64> + Sync,
{
    let g = |x: &[f64]| Ok(f(x));
    dispatch_real(&g, x, cfg, Kind::Jacobian)
}

/// Hessian (`n x n`, symmetric) of a real scalar function at `x` with
/// `cfg.method`.
pub fn hessian<F>(f: F, x: &[f64], cfg: &DiffConfig) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    let g = |x: &[f64]| Ok(vec![f(x)]);
    dispatch_real(&g, x, cfg, Kind::Hessian)
}

/// Gradient of a complex-analytic scalar function (real on the real axis) at
/// real `x` with `cfg.method`; adaptive uses the complex step.
pub fn gradient_complex<F>(f: F, x: &[f64], cfg: &DiffConfig) -> Result<Derivative, NumDiffError>
where
    F: Fn(&[Complex64]) -> Complex64 + Sync,
{
    let g = |z: &[Complex64]| Ok(vec![f(z)]);
    dispatch_complex(&g, x, cfg, Kind::Jacobian).map(DerivativeMatrix::into_first_row)
}

/// Jacobian of a complex-analytic vector function at real `x` with
/// `cfg.method`; adaptive uses the complex step.
pub fn jacobian_complex<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[Complex64]) -> Vec<Complex64> + Sync,
{
    let g = |z: &[Complex64]| Ok(f(z));
    dispatch_complex(&g, x, cfg, Kind::Jacobian)
}

/// Hessian of a complex-analytic scalar function at real `x` with
/// `cfg.method`; the complex-step Hessian is Richardson extrapolation of the
/// complex-step gradient.
pub fn hessian_complex<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[Complex64]) -> Complex64 + Sync,
{
    let g = |z: &[Complex64]| Ok(vec![f(z)]);
    dispatch_complex(&g, x, cfg, Kind::Hessian)
}

/// [`gradient`] with [`Method::Richardson`].
pub fn richardson_gradient<F>(f: F, x: &[f64], cfg: &DiffConfig) -> Result<Derivative, NumDiffError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    gradient(f, x, &forced(cfg, Method::Richardson))
}

/// [`jacobian`] with [`Method::Richardson`].
pub fn richardson_jacobian<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[f64]) -> Vec<f64> + Sync,
{
    jacobian(f, x, &forced(cfg, Method::Richardson))
}

/// [`hessian`] with [`Method::Richardson`].
pub fn richardson_hessian<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    hessian(f, x, &forced(cfg, Method::Richardson))
}

/// [`gradient_complex`] with [`Method::ComplexStep`].
pub fn complex_step_gradient<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<Derivative, NumDiffError>
where
    F: Fn(&[Complex64]) -> Complex64 + Sync,
{
    gradient_complex(f, x, &forced(cfg, Method::ComplexStep))
}

/// [`jacobian_complex`] with [`Method::ComplexStep`].
pub fn complex_step_jacobian<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[Complex64]) -> Vec<Complex64> + Sync,
{
    jacobian_complex(f, x, &forced(cfg, Method::ComplexStep))
}

/// [`hessian_complex`] with [`Method::ComplexStep`].
pub fn complex_step_hessian<F>(
    f: F,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError>
where
    F: Fn(&[Complex64]) -> Complex64 + Sync,
{
    hessian_complex(f, x, &forced(cfg, Method::ComplexStep))
}
