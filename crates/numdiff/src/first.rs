//! First derivatives (Jacobians; a gradient is a one-row Jacobian) of real
//! functions by forward, backward and central differences and by Richardson
//! extrapolation.
//!
//! Each parameter is differentiated independently (column `k` of the
//! Jacobian), `chunk_size` parameters at a time. Steps are made exactly
//! representable by using `(x_k + h) - x_k` as the divisor.
//!
//! Error estimates (per component):
//! * forward/backward: `1.5 |D(2h) - D(h)| + noise (|f(x±h)| + |f(x)|) / h`;
//!   the difference of the two one-sided quotients equals the leading
//!   truncation term `f'' h / 2` of `D(h)`;
//! * central: `1.5 |D(2h) - D(h)| / 3 + noise (|f(x+h)| + |f(x-h)|) / 2h`,
//!   since `D(2h) - D(h) ≈ 3 f''' h^2 / 6`;
//! * Richardson: the Neville-table estimate of [`crate::richardson`].
//!
//! The value returned is always the plain `D(h)` (or the best table entry);
//! the companion evaluations at `2h` only feed the estimate.

use crate::config::DiffConfig;
use crate::error::NumDiffError;
use crate::eval::{Counted, RealFn, check_finite, check_x, map_params};
use crate::method::Method;
use crate::result::{DerivativeMatrix, tolerance_warning};
use crate::richardson::Neville;
use crate::step::{StepUse, resolve_step};

/// One Jacobian column with its error estimates.
pub(crate) struct Column {
    pub value: Vec<f64>,
    pub error: Vec<f64>,
    pub warning: Option<String>,
}

/// Jacobian of a real vector function by a real-arithmetic method.
pub(crate) fn jacobian_real(
    f: &RealFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
    method: Method,
) -> Result<DerivativeMatrix, NumDiffError> {
    check_x(x)?;
    cfg.validate(x.len())?;
    let (ev, f0) = Counted::real(f, x)?;
    let n = x.len();
    let cols = map_params(n, cfg, |k| match method {
        Method::Forward => one_sided(&ev, x, k, &f0, cfg, 1.0),
        Method::Backward => one_sided(&ev, x, k, &f0, cfg, -1.0),
        Method::Central => central(&ev, x, k, &f0, cfg),
        Method::Richardson => richardson(&ev, x, k, &f0, cfg),
        Method::ComplexStep => Err(NumDiffError::ComplexFunctionRequired(method)),
        Method::Adaptive => Err(NumDiffError::InvalidConfig(
            "adaptive must be resolved before reaching the engine".into(),
        )),
    })?;
    Ok(assemble(cols, ev.m(), n, method, ev.n_evals(), cfg))
}

/// Builds the row-major matrix from columns.
pub(crate) fn assemble(
    cols: Vec<Column>,
    m: usize,
    n: usize,
    method: Method,
    n_evals: usize,
    cfg: &DiffConfig,
) -> DerivativeMatrix {
    let mut value = vec![0.0; m * n];
    let mut error = vec![0.0; m * n];
    let mut warnings = Vec::new();
    for (k, col) in cols.into_iter().enumerate() {
        for i in 0..m {
            value[i * n + k] = col.value[i];
            error[i * n + k] = col.error[i];
        }
        if let Some(w) = col.warning {
            warnings.push(format!("parameter {k}: {w}"));
        }
    }
    tolerance_warning(&value, &error, n, cfg.error_tolerance, &mut warnings);
    DerivativeMatrix {
        nrows: m,
        ncols: n,
        value,
        error,
        method,
        n_evals,
        warnings,
    }
}

/// Evaluates `f` with coordinate `k` moved to `x_k + h`; returns the values
/// and the exactly representable step actually taken.
pub(crate) fn eval_shifted(
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    h: f64,
) -> Result<(Vec<f64>, f64), NumDiffError> {
    let mut xs = x.to_vec();
    xs[k] = x[k] + h;
    let taken = xs[k] - x[k];
    let v = ev.eval(&xs)?;
    check_finite(&v, &format!("at x + ({taken:e}) e_{k}"))?;
    Ok((v, taken))
}

fn zero_step(k: usize, h: f64) -> NumDiffError {
    NumDiffError::InvalidStep { index: k, value: h }
}

fn one_sided(
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    f0: &[f64],
    cfg: &DiffConfig,
    sign: f64,
) -> Result<Column, NumDiffError> {
    let h = resolve_step(cfg, ev, x, k, f0, StepUse::FirstOneSided)?;
    let (f1, h1) = eval_shifted(ev, x, k, sign * h)?;
    let (f2, h2) = eval_shifted(ev, x, k, 2.0 * sign * h)?;
    if h1 == 0.0 || h2 == 0.0 {
        return Err(zero_step(k, h));
    }
    let noise = cfg.function_noise;
    let mut value = Vec::with_capacity(f0.len());
    let mut error = Vec::with_capacity(f0.len());
    for i in 0..f0.len() {
        let d1 = (f1[i] - f0[i]) / h1;
        let d2 = (f2[i] - f0[i]) / h2;
        value.push(d1);
        error.push(1.5 * (d2 - d1).abs() + noise * (f1[i].abs() + f0[i].abs()) / h1.abs());
    }
    Ok(Column {
        value,
        error,
        warning: None,
    })
}

/// Central difference quotient at step `h` and its round-off bound.
pub(crate) fn central_quotient(
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    h: f64,
    noise: f64,
    check: bool,
) -> Result<(Vec<f64>, Vec<f64>), NumDiffError> {
    let mut xs = x.to_vec();
    xs[k] = x[k] + h;
    let xp = xs[k];
    let fp = ev.eval(&xs)?;
    xs[k] = x[k] - h;
    let xm = xs[k];
    let fm = ev.eval(&xs)?;
    if check {
        check_finite(&fp, &format!("at x + ({h:e}) e_{k}"))?;
        check_finite(&fm, &format!("at x - ({h:e}) e_{k}"))?;
    }
    let w = xp - xm;
    if w == 0.0 {
        return Err(zero_step(k, h));
    }
    let d = fp.iter().zip(&fm).map(|(a, b)| (a - b) / w).collect();
    let r = fp
        .iter()
        .zip(&fm)
        .map(|(a, b)| noise * (a.abs() + b.abs()) / w)
        .collect();
    Ok((d, r))
}

fn central(
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    f0: &[f64],
    cfg: &DiffConfig,
) -> Result<Column, NumDiffError> {
    let h = resolve_step(cfg, ev, x, k, f0, StepUse::FirstCentral)?;
    let noise = cfg.function_noise;
    let (d1, r1) = central_quotient(ev, x, k, h, noise, true)?;
    let (d2, _) = central_quotient(ev, x, k, 2.0 * h, noise, true)?;
    let error = (0..d1.len())
        .map(|i| 0.5 * (d2[i] - d1[i]).abs() + r1[i])
        .collect();
    Ok(Column {
        value: d1,
        error,
        warning: None,
    })
}

/// Richardson column; also used (through a complex-step gradient function)
/// by the complex-step Hessian.
pub(crate) fn richardson(
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    f0: &[f64],
    cfg: &DiffConfig,
) -> Result<Column, NumDiffError> {
    let h0 = resolve_step(cfg, ev, x, k, f0, StepUse::RichardsonBase)?;
    let terms = cfg.richardson_terms;
    let mut table = Neville::new(f0.len(), cfg.step_ratio, terms);
    let mut h = h0;
    let mut pushed = 0;
    // Rows lost to non-finite values are replaced, up to `terms` extra rows.
    while table.rows() < terms && pushed < 2 * terms {
        let (d, r) = central_quotient(ev, x, k, h, cfg.function_noise, false)?;
        table.push(d, r);
        h /= cfg.step_ratio;
        pushed += 1;
    }
    let warning = (table.resets() > 0).then(|| {
        format!(
            "{} Richardson step(s) gave non-finite values and were skipped",
            table.resets()
        )
    });
    if !table.complete() {
        return Err(NumDiffError::NonFiniteOutput {
            context: format!("for every Richardson step along parameter {k} (largest {h0:e})"),
        });
    }
    let (value, error) = table.finish();
    Ok(Column {
        value,
        error,
        warning,
    })
}
