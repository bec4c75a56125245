//! Method dispatch: routes each request to the finite-difference, Richardson
//! or complex-step engine and implements the fallback chain of
//! [`Method::Adaptive`] (documented there). The only module that knows every
//! engine, so the public entry points need to know none.

use crate::config::DiffConfig;
use crate::error::NumDiffError;
use crate::eval::{ComplexFn, RealFn, check_x};
use crate::method::Method;
use crate::result::DerivativeMatrix;

/// What is being computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jacobian,
    Hessian,
}

const REAL_ORDER: [Method; 4] = [
    Method::Richardson,
    Method::Central,
    Method::Forward,
    Method::Backward,
];

fn real_engine(
    f: &RealFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
    kind: Kind,
    method: Method,
) -> Result<DerivativeMatrix, NumDiffError> {
    match kind {
        Kind::Jacobian => crate::first::jacobian_real(f, x, cfg, method),
        Kind::Hessian => crate::hessian::hessian_real(f, x, cfg, method),
    }
}

fn input_error(e: &NumDiffError) -> bool {
    matches!(
        e,
        NumDiffError::EmptyInput
            | NumDiffError::NonFiniteInput { .. }
            | NumDiffError::StepLengthMismatch { .. }
            | NumDiffError::InvalidStep { .. }
            | NumDiffError::InvalidConfig(_)
            | NumDiffError::EmptyOutput
            | NumDiffError::NonFiniteAtX
            | NumDiffError::OutputLengthMismatch { .. }
    )
}

fn run_chain(
    order: &[Method],
    mut attempt: impl FnMut(Method) -> Result<DerivativeMatrix, NumDiffError>,
) -> Result<DerivativeMatrix, NumDiffError> {
    let mut failures = Vec::new();
    let mut last = None;
    for &m in order {
        match attempt(m) {
            Ok(mut r) => {
                if !failures.is_empty() {
                    let mut w = failures;
                    w.append(&mut r.warnings);
                    r.warnings = w;
                }
                return Ok(r);
            }
            Err(e) if input_error(&e) => return Err(e),
            Err(e) => {
                failures.push(format!("adaptive: {m} failed ({e}); falling back"));
                last = Some(e);
            }
        }
    }
    Err(NumDiffError::AllMethodsFailed(Box::new(
        last.unwrap_or(NumDiffError::EmptyInput),
    )))
}

/// Differentiates a real function with `cfg.method` (adaptive resolved).
pub(crate) fn dispatch_real(
    f: &RealFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
    kind: Kind,
) -> Result<DerivativeMatrix, NumDiffError> {
    check_x(x)?;
    cfg.validate(x.len())?;
    match cfg.method {
        Method::Adaptive => run_chain(&REAL_ORDER, |m| real_engine(f, x, cfg, kind, m)),
        Method::ComplexStep => Err(NumDiffError::ComplexFunctionRequired(Method::ComplexStep)),
        m => real_engine(f, x, cfg, kind, m),
    }
}

/// Differentiates a complex-analytic function with `cfg.method`; real
/// methods evaluate it on the real axis and take the real part.
pub(crate) fn dispatch_complex(
    f: &ComplexFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
    kind: Kind,
) -> Result<DerivativeMatrix, NumDiffError> {
    check_x(x)?;
    cfg.validate(x.len())?;
    let real = |xr: &[f64]| -> Result<Vec<f64>, NumDiffError> {
        let z: Vec<num_complex::Complex64> = xr
            .iter()
            .map(|&v| num_complex::Complex64::new(v, 0.0))
            .collect();
        Ok(f(&z)?.into_iter().map(|c| c.re).collect())
    };
    let complex_engine = || match kind {
        Kind::Jacobian => crate::complex::jacobian_complex_step(f, x, cfg),
        Kind::Hessian => crate::complex::hessian_complex_step(f, x, cfg),
    };
    match cfg.method {
        Method::ComplexStep => complex_engine(),
        Method::Adaptive => {
            let order = [
                Method::ComplexStep,
                Method::Richardson,
                Method::Central,
                Method::Forward,
                Method::Backward,
            ];
            run_chain(&order, |m| {
                if m == Method::ComplexStep {
                    complex_engine()
                } else {
                    real_engine(&real, x, cfg, kind, m)
                }
            })
        }
        m => real_engine(&real, x, cfg, kind, m),
    }
}
