//! The public entry points: gradient, Jacobian and Hessian of real and
//! complex-analytic functions, plus the shortcuts that force Richardson or the
//! complex step. They only wrap the user's closure and hand it to the
//! dispatcher; kept out of the crate root so that `validate` can call them
//! without importing from the root, which imports from it.

use num_complex::Complex64;

use crate::adaptive::{Kind, dispatch_complex, dispatch_real};
use crate::config::DiffConfig;
use crate::error::NumDiffError;
use crate::method::Method;
use crate::result::{Derivative, DerivativeMatrix};

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
