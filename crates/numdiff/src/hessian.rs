//! Hessians of real scalar functions by forward, backward and central second
//! differences and by Richardson extrapolation of central second differences.
//!
//! Stencils for entry `(i, j)` at scale `t` (steps `t h_i`, `t h_j`):
//!
//! * central, diagonal: `(f(x + a e_i) - 2 f(x) + f(x - b e_i))` divided
//!   difference (exact for quadratics even when `a != b` after rounding);
//! * central, off-diagonal: `(f(++) - f(+-) - f(-+) + f(--)) / (w_i w_j)`
//!   with `w = (x + h) - (x - h)`;
//! * forward (backward: negated steps), diagonal: `(f(x+2a) - 2 f(x+a) + f(x)) / a^2`
//!   as a divided difference; off-diagonal:
//!   `(f(x + a_i e_i + a_j e_j) - f(x + a_i e_i) - f(x + a_j e_j) + f(x)) / (a_i a_j)`.
//!
//! Central stencils have an error expansion in even powers of `t`, which is
//! what the Richardson table needs. Forward/backward/central estimates use a
//! companion evaluation at `t = 2` exactly like [`crate::first`]:
//! `1.5 |H(2) - H(1)|` (one-sided) or `0.5 |H(2) - H(1)|` (central), plus
//! round-off `noise * sum |f| / (h_i h_j)`. Only `j >= i` is computed; the
//! result is symmetric by construction.

use crate::config::DiffConfig;
use crate::error::NumDiffError;
use crate::eval::{Counted, RealFn, check_x, map_params};
use crate::method::Method;
use crate::result::{DerivativeMatrix, tolerance_warning};
use crate::richardson::Neville;
use crate::step::{StepUse, resolve_step};

struct Ctx<'a, 'f> {
    ev: &'a Counted<'f, RealFn<'f>>,
    x: &'a [f64],
    f0: f64,
    h: &'a [f64],
    noise: f64,
}

impl Ctx<'_, '_> {
    fn eval(&self, moves: &[(usize, f64)]) -> Result<(f64, Vec<f64>), NumDiffError> {
        let mut xs = self.x.to_vec();
        let mut taken = Vec::with_capacity(moves.len());
        for &(k, d) in moves {
            xs[k] = self.x[k] + d;
            taken.push(xs[k] - self.x[k]);
        }
        Ok((self.ev.eval(&xs)?[0], taken))
    }

    /// Central stencil value and round-off bound at scale `t`.
    fn central(&self, i: usize, j: usize, t: f64) -> Result<(f64, f64), NumDiffError> {
        let (hi, hj) = (t * self.h[i], t * self.h[j]);
        if i == j {
            let (fp, a) = self.eval(&[(i, hi)])?;
            let (fm, b) = self.eval(&[(i, -hi)])?;
            let (a, b) = (a[0], -b[0]);
            if a <= 0.0 || b <= 0.0 {
                return Err(NumDiffError::InvalidStep {
                    index: i,
                    value: hi,
                });
            }
            let v = 2.0 * (fp / (a * (a + b)) - self.f0 / (a * b) + fm / (b * (a + b)));
            let r = self.noise * (fp.abs() + 2.0 * self.f0.abs() + fm.abs()) / (a * b);
            Ok((v, r))
        } else {
            let (fpp, s1) = self.eval(&[(i, hi), (j, hj)])?;
            let (fpm, _) = self.eval(&[(i, hi), (j, -hj)])?;
            let (fmp, _) = self.eval(&[(i, -hi), (j, hj)])?;
            let (fmm, s2) = self.eval(&[(i, -hi), (j, -hj)])?;
            let w = (s1[0] - s2[0]) * (s1[1] - s2[1]);
            if w == 0.0 {
                return Err(NumDiffError::InvalidStep {
                    index: i,
                    value: hi,
                });
            }
            let v = (fpp - fpm - fmp + fmm) / w;
            let r = self.noise * (fpp.abs() + fpm.abs() + fmp.abs() + fmm.abs()) / w.abs();
            Ok((v, r))
        }
    }

    /// One-sided stencil (`sign = ±1`) value and round-off bound at scale `t`.
    fn one_sided(&self, i: usize, j: usize, t: f64, sign: f64) -> Result<(f64, f64), NumDiffError> {
        let (hi, hj) = (sign * t * self.h[i], sign * t * self.h[j]);
        if i == j {
            let (f1, a1) = self.eval(&[(i, hi)])?;
            let (f2, a2) = self.eval(&[(i, 2.0 * hi)])?;
            let (a1, a2) = (a1[0], a2[0]);
            if a1 == 0.0 || a2 == a1 {
                return Err(NumDiffError::InvalidStep {
                    index: i,
                    value: hi,
                });
            }
            let v = 2.0 * ((f2 - f1) / (a2 - a1) - (f1 - self.f0) / a1) / a2;
            let r = self.noise * (f2.abs() + 2.0 * f1.abs() + self.f0.abs()) / (a1 * a1);
            Ok((v, r))
        } else {
            let (fij, s) = self.eval(&[(i, hi), (j, hj)])?;
            let (fi, _) = self.eval(&[(i, hi)])?;
            let (fj, _) = self.eval(&[(j, hj)])?;
            let w = s[0] * s[1];
            if w == 0.0 {
                return Err(NumDiffError::InvalidStep {
                    index: i,
                    value: hi,
                });
            }
            let v = (fij - fi - fj + self.f0) / w;
            let r = self.noise * (fij.abs() + fi.abs() + fj.abs() + self.f0.abs()) / w.abs();
            Ok((v, r))
        }
    }
}

fn non_finite(i: usize, j: usize) -> NumDiffError {
    NumDiffError::NonFiniteOutput {
        context: format!("near x in the stencil of Hessian entry ({i}, {j})"),
    }
}

/// Hessian of a real scalar function (`f` must return one value).
pub(crate) fn hessian_real(
    f: &RealFn<'_>,
    x: &[f64],
    cfg: &DiffConfig,
    method: Method,
) -> Result<DerivativeMatrix, NumDiffError> {
    check_x(x)?;
    cfg.validate(x.len())?;
    let (ev, f0v) = Counted::real(f, x)?;
    if f0v.len() != 1 {
        return Err(NumDiffError::OutputLengthMismatch {
            expected: 1,
            got: f0v.len(),
        });
    }
    let n = x.len();
    let use_ = match method {
        Method::Forward | Method::Backward => StepUse::SecondOneSided,
        Method::Central => StepUse::SecondCentral,
        Method::Richardson => StepUse::RichardsonBase,
        Method::ComplexStep => return Err(NumDiffError::ComplexFunctionRequired(method)),
        Method::Adaptive => {
            return Err(NumDiffError::InvalidConfig(
                "adaptive must be resolved before reaching the engine".into(),
            ));
        }
    };
    let h = map_params(n, cfg, |k| resolve_step(cfg, &ev, x, k, &f0v, use_))?;
    let ctx = Ctx {
        ev: &ev,
        x,
        f0: f0v[0],
        h: &h,
        noise: cfg.function_noise,
    };
    let rows = map_params(n, cfg, |i| {
        (i..n)
            .map(|j| entry(&ctx, i, j, cfg, method))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut value = vec![0.0; n * n];
    let mut error = vec![0.0; n * n];
    let mut warnings = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        for (off, (v, e, w)) in row.into_iter().enumerate() {
            let j = i + off;
            value[i * n + j] = v;
            value[j * n + i] = v;
            error[i * n + j] = e;
            error[j * n + i] = e;
            if let Some(w) = w {
                warnings.push(format!("entry ({i}, {j}): {w}"));
            }
        }
    }
    tolerance_warning(&value, &error, n, cfg.error_tolerance, &mut warnings);
    Ok(DerivativeMatrix {
        nrows: n,
        ncols: n,
        value,
        error,
        method,
        n_evals: ev.n_evals(),
        warnings,
    })
}

fn entry(
    ctx: &Ctx<'_, '_>,
    i: usize,
    j: usize,
    cfg: &DiffConfig,
    method: Method,
) -> Result<(f64, f64, Option<String>), NumDiffError> {
    let finite = |(v, r): (f64, f64)| {
        if v.is_finite() && r.is_finite() {
            Ok((v, r))
        } else {
            Err(non_finite(i, j))
        }
    };
    match method {
        Method::Forward | Method::Backward => {
            let sign = if method == Method::Forward { 1.0 } else { -1.0 };
            let (v1, r1) = finite(ctx.one_sided(i, j, 1.0, sign)?)?;
            let (v2, _) = finite(ctx.one_sided(i, j, 2.0, sign)?)?;
            Ok((v1, 1.5 * (v2 - v1).abs() + r1, None))
        }
        Method::Central => {
            let (v1, r1) = finite(ctx.central(i, j, 1.0)?)?;
            let (v2, _) = finite(ctx.central(i, j, 2.0)?)?;
            Ok((v1, 0.5 * (v2 - v1).abs() + r1, None))
        }
        _ => {
            let terms = cfg.richardson_terms;
            let mut table = Neville::new(1, cfg.step_ratio, terms);
            let mut t = 1.0;
            let mut pushed = 0;
            while table.rows() < terms && pushed < 2 * terms {
                let (v, r) = ctx.central(i, j, t)?;
                table.push(vec![v], vec![r]);
                t /= cfg.step_ratio;
                pushed += 1;
            }
            if !table.complete() {
                return Err(non_finite(i, j));
            }
            let w = (table.resets() > 0)
                .then(|| format!("{} Richardson step(s) skipped (non-finite)", table.resets()));
            let (v, e) = table.finish();
            Ok((v[0], e[0], w))
        }
    }
}

/// Symmetrizes a square matrix in place: `(A + A^T) / 2`, with the asymmetry
/// added to the error estimate.
pub(crate) fn symmetrize(m: &mut DerivativeMatrix) {
    let n = m.ncols;
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (m.value[i * n + j], m.value[j * n + i]);
            let e = m.error[i * n + j].max(m.error[j * n + i]) + 0.5 * (a - b).abs();
            let v = 0.5 * (a + b);
            m.value[i * n + j] = v;
            m.value[j * n + i] = v;
            m.error[i * n + j] = e;
            m.error[j * n + i] = e;
        }
    }
}
