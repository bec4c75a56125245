//! Internal plumbing: checked, counted function evaluation and chunked
//! (optionally parallel) iteration over parameters.
//!
//! The engines work on type-erased vector functions returning `Result`, so a
//! scalar objective, a vector objective and a complex-step gradient (used by
//! the complex-step Hessian) all go through the same code.

use std::sync::atomic::{AtomicUsize, Ordering};

use num_complex::Complex64;
use rayon::prelude::*;

use crate::config::DiffConfig;
use crate::error::NumDiffError;

/// Type-erased real vector function used by the engines.
pub(crate) type RealFn<'a> = dyn Fn(&[f64]) -> Result<Vec<f64>, NumDiffError> + Sync + 'a;

/// Type-erased complex vector function used by the complex-step engine.
pub(crate) type ComplexFn<'a> =
    dyn Fn(&[Complex64]) -> Result<Vec<Complex64>, NumDiffError> + Sync + 'a;

/// Counts evaluations and checks output lengths against the value at `x`.
pub(crate) struct Counted<'a, T: ?Sized> {
    f: &'a T,
    count: AtomicUsize,
    m: usize,
}

impl<'a> Counted<'a, RealFn<'a>> {
    /// Evaluates `f(x)`, which must be non-empty and finite, and fixes the
    /// output length.
    pub(crate) fn real(f: &'a RealFn<'a>, x: &[f64]) -> Result<(Self, Vec<f64>), NumDiffError> {
        let f0 = f(x)?;
        if f0.is_empty() {
            return Err(NumDiffError::EmptyOutput);
        }
        if f0.iter().any(|v| !v.is_finite()) {
            return Err(NumDiffError::NonFiniteAtX);
        }
        let m = f0.len();
        Ok((
            Self {
                f,
                count: AtomicUsize::new(1),
                m,
            },
            f0,
        ))
    }

    /// Evaluates at `x`, checking the length (finiteness is left to callers).
    pub(crate) fn eval(&self, x: &[f64]) -> Result<Vec<f64>, NumDiffError> {
        self.count.fetch_add(1, Ordering::Relaxed);
        let v = (self.f)(x)?;
        if v.len() != self.m {
            return Err(NumDiffError::OutputLengthMismatch {
                expected: self.m,
                got: v.len(),
            });
        }
        Ok(v)
    }
}

impl<'a> Counted<'a, ComplexFn<'a>> {
    /// Evaluates `f(x + 0i)`, which must be non-empty and finite.
    pub(crate) fn complex(
        f: &'a ComplexFn<'a>,
        x: &[f64],
    ) -> Result<(Self, Vec<Complex64>), NumDiffError> {
        let z: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
        let f0 = f(&z)?;
        if f0.is_empty() {
            return Err(NumDiffError::EmptyOutput);
        }
        if f0.iter().any(|c| !(c.re.is_finite() && c.im.is_finite())) {
            return Err(NumDiffError::NonFiniteAtX);
        }
        let m = f0.len();
        Ok((
            Self {
                f,
                count: AtomicUsize::new(1),
                m,
            },
            f0,
        ))
    }

    /// Evaluates at complex `z`, checking the length.
    pub(crate) fn eval(&self, z: &[Complex64]) -> Result<Vec<Complex64>, NumDiffError> {
        self.count.fetch_add(1, Ordering::Relaxed);
        let v = (self.f)(z)?;
        if v.len() != self.m {
            return Err(NumDiffError::OutputLengthMismatch {
                expected: self.m,
                got: v.len(),
            });
        }
        Ok(v)
    }
}

impl<T: ?Sized> Counted<'_, T> {
    pub(crate) fn n_evals(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    pub(crate) fn m(&self) -> usize {
        self.m
    }
}

pub(crate) fn check_finite(v: &[f64], context: &str) -> Result<(), NumDiffError> {
    if v.iter().all(|a| a.is_finite()) {
        Ok(())
    } else {
        Err(NumDiffError::NonFiniteOutput {
            context: context.to_string(),
        })
    }
}

/// Validates the evaluation point.
pub(crate) fn check_x(x: &[f64]) -> Result<(), NumDiffError> {
    if x.is_empty() {
        return Err(NumDiffError::EmptyInput);
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(NumDiffError::NonFiniteInput { index, value });
    }
    Ok(())
}

/// Maps `op` over parameter indices `0..n`, `cfg.chunk_size` at a time,
/// in parallel within a chunk when `cfg.parallel` is set. Order is preserved
/// and the first error (in index order) is returned.
pub(crate) fn map_params<T, F>(n: usize, cfg: &DiffConfig, op: F) -> Result<Vec<T>, NumDiffError>
where
    T: Send,
    F: Fn(usize) -> Result<T, NumDiffError> + Sync,
{
    let chunk = cfg.chunk(n);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let part: Vec<Result<T, NumDiffError>> = if cfg.parallel {
            (start..end).into_par_iter().map(&op).collect()
        } else {
            (start..end).map(&op).collect()
        };
        for r in part {
            out.push(r?);
        }
        start = end;
    }
    Ok(out)
}

/// Euclidean norm.
pub(crate) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}
