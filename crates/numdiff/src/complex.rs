//! Complex-step differentiation for functions with a complex-analytic
//! extension.
//!
//! First derivatives: `d f / d x_k = Im f(x + i h e_k) / h` with no
//! subtractive cancellation, so `h` can be tiny (default `1e-20 max(|x_k|, 1)`)
//! and the result is accurate to a few ulps. The error estimate is the
//! round-off bound `noise * |derivative|`; when a user step larger than
//! `1e-8 max(|x_k|, 1)` is supplied, one extra evaluation at `h/2` adds the
//! truncation estimate `(4/3) |D(h) - D(h/2)|`.
//!
//! Hessian: the complex-step gradient `g(x)` is itself differentiated by
//! Richardson extrapolation ([`crate::first`] with `Method::Richardson`), then
//! symmetrized. `cfg.step` applies to that outer, real step; the inner complex
//! step is always `1e-20 max(|x_k|, 1)`.
//!
//! The function must be written with operations that are analytic (no `abs`,
//! `conj`, comparisons on the imaginary part, ...) and must be real on the
//! real axis; a noticeable `Im f(x)` is reported as a warning.

use num_complex::Complex64;

use crate::config::{DiffConfig, Step};
use crate::error::NumDiffError;
use crate::eval::{ComplexFn, Counted, check_x, map_params};
use crate::first::{Column, assemble, jacobian_real};
use crate::hessian::symmetrize;
use crate::method::Method;
use crate::result::DerivativeMatrix;
use crate::step::typical_scale;

fn to_complex(x: &[f64]) -> Vec<Complex64> {
    x.iter().map(|&v| Complex64::new(v, 0.0)).collect()
}

fn default_step(x: f64) -> f64 {
    1e-20 * typical_scale(x)
}

fn not_real_warning(f0: &[Complex64]) -> Option<String> {
    let bad = f0
        .iter()
        .filter(|c| c.im.abs() > 1e3 * f64::EPSILON * c.re.abs().max(f64::MIN_POSITIVE))
        .count();
    (bad > 0).then(|| {
        format!(
            "{bad} output(s) have a non-zero imaginary part at real x; is f real on the real axis?"
        )
    })
}

/// Jacobian of a complex-analytic vector function by the complex step.
pub(crate) fn jacobian_complex_step(
    f: &ComplexFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError> {
    check_x(x)?;
    cfg.validate(x.len())?;
    let (ev, f0) = Counted::complex(f, x)?;
    let n = x.len();
    let noise = cfg.function_noise;
    let z0 = to_complex(x);
    let cols = map_params(n, cfg, |k| {
        let s = typical_scale(x[k]);
        let (h, user) = match &cfg.step {
            Step::Auto => (default_step(x[k]), false),
            Step::Uniform(h) => (*h, true),
            Step::PerParameter(v) => (v[k], true),
        };
        let h = if user && cfg.relative_step { h * s } else { h };
        let quotient = |h: f64| -> Result<Vec<f64>, NumDiffError> {
            let mut z = z0.clone();
            z[k].im = h;
            let fz = ev.eval(&z)?;
            let d: Vec<f64> = fz.iter().zip(&f0).map(|(a, b)| (a.im - b.im) / h).collect();
            if d.iter().all(|v| v.is_finite()) {
                Ok(d)
            } else {
                Err(NumDiffError::NonFiniteOutput {
                    context: format!("at x + i ({h:e}) e_{k}"),
                })
            }
        };
        let value = quotient(h)?;
        let mut error: Vec<f64> = value
            .iter()
            .map(|d| noise * d.abs() + f64::MIN_POSITIVE)
            .collect();
        if h > 1e-8 * s {
            let half = quotient(0.5 * h)?;
            for ((e, a), b) in error.iter_mut().zip(&value).zip(&half) {
                *e += 4.0 / 3.0 * (a - b).abs();
            }
        }
        Ok(Column {
            value,
            error,
            warning: None,
        })
    })?;
    let mut out = assemble(cols, ev.m(), n, Method::ComplexStep, ev.n_evals(), cfg);
    if let Some(w) = not_real_warning(&f0) {
        out.warnings.insert(0, w);
    }
    Ok(out)
}

/// Hessian of a complex-analytic scalar function: Richardson extrapolation of
/// the complex-step gradient.
pub(crate) fn hessian_complex_step(
    f: &ComplexFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
) -> Result<DerivativeMatrix, NumDiffError> {
    check_x(x)?;
    cfg.validate(x.len())?;
    let (ev, f0) = Counted::complex(f, x)?;
    if f0.len() != 1 {
        return Err(NumDiffError::OutputLengthMismatch {
            expected: 1,
            got: f0.len(),
        });
    }
    let n = x.len();
    let steps: Vec<f64> = x.iter().map(|&v| default_step(v)).collect();
    let grad = |xr: &[f64]| -> Result<Vec<f64>, NumDiffError> {
        let z0 = to_complex(xr);
        let f0 = ev.eval(&z0)?[0];
        (0..n)
            .map(|k| {
                let mut z = z0.clone();
                z[k].im = steps[k];
                Ok((ev.eval(&z)?[0].im - f0.im) / steps[k])
            })
            .collect()
    };
    let mut out = jacobian_real(&grad, x, cfg, Method::Richardson)?;
    symmetrize(&mut out);
    out.method = Method::ComplexStep;
    out.n_evals = ev.n_evals();
    if let Some(w) = not_real_warning(&f0) {
        out.warnings.insert(0, w);
    }
    Ok(out)
}
