//! Trust Region Reflective (Branch, Coleman & Li 1999) for box-bounded least squares,
//! following scipy's `least_squares(method='trf', tr_solver='exact')` step by step but
//! working from the normal equations.
//!
//! scipy takes the SVD of the augmented matrix `[J D; diag(diag_h)^(1/2)]`; its right
//! singular vectors and squared singular values are exactly the eigenpairs of
//! `A = D J^T J D + diag(diag_h)`, and `s * (U^T f) = V^T (D J^T f)`, so every quantity
//! of the trust-region subproblem, the reflective step selection and the predicted
//! reductions follows from `J^T J` and `J^T r`. Variables are scaled by `x_scale` (by
//! default the inverse Jacobian column norms, scipy's `'jac'`), then by the Coleman-Li
//! vector `v`.

use homodyne_model::normal::NormalEquations;

use super::feasible::make_strictly_feasible;
use super::{LocalSolution, SolverOptions, Termination, polish};
use crate::error::NlsqError;
use crate::linalg::symmetric_eigen;
use crate::options::XScale;
use crate::problem::Objective;

const EPS: f64 = f64::EPSILON;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn finite_equations(ne: &NormalEquations) -> bool {
    ne.cost.is_finite()
        && ne.chi2.is_finite()
        && ne.jtr.iter().all(|v| v.is_finite())
        && ne.jtj.iter().all(|v| v.is_finite())
}

/// Coleman-Li scaling vector and its derivative.
fn cl_scaling(x: &[f64], g: &[f64], lb: &[f64], ub: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut v = vec![1.0; n];
    let mut dv = vec![0.0; n];
    for i in 0..n {
        if g[i] < 0.0 && ub[i].is_finite() {
            v[i] = ub[i] - x[i];
            dv[i] = -1.0;
        }
        if g[i] > 0.0 && lb[i].is_finite() {
            v[i] = x[i] - lb[i];
            dv[i] = 1.0;
        }
    }
    (v, dv)
}

/// `(scale, scale_inv)` from Jacobian column norms, never shrinking below `previous`.
fn jac_scale(jtj: &[f64], n: usize, previous: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
    let mut inv: Vec<f64> = (0..n).map(|i| jtj[i * n + i].max(0.0).sqrt()).collect();
    if let Some(prev) = previous {
        inv.iter_mut().zip(prev).for_each(|(s, p)| *s = s.max(*p));
    }
    inv.iter_mut().for_each(|s| {
        if *s == 0.0 || !s.is_finite() {
            *s = 1.0
        }
    });
    (inv.iter().map(|s| 1.0 / s).collect(), inv)
}

/// The quadratic model in hat space: `A` (n x n, row-major) and gradient `g_h`.
struct Quadratic {
    n: usize,
    a: Vec<f64>,
    g: Vec<f64>,
}

impl Quadratic {
    fn a_mul(&self, s: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| dot(&self.a[i * self.n..(i + 1) * self.n], s))
            .collect()
    }
    /// `0.5 s^T A s + g^T s`.
    fn value(&self, s: &[f64]) -> f64 {
        0.5 * dot(s, &self.a_mul(s)) + dot(&self.g, s)
    }
    /// Coefficients of `q(s0 + t s) = a t^2 + b t + c`.
    fn along(&self, s: &[f64], s0: Option<&[f64]>) -> (f64, f64, f64) {
        let as_ = self.a_mul(s);
        let a = 0.5 * dot(s, &as_);
        let mut b = dot(&self.g, s);
        let mut c = 0.0;
        if let Some(s0) = s0 {
            b += dot(s0, &as_);
            c = self.value(s0);
        }
        (a, b, c)
    }
}

fn minimize_quadratic_1d(a: f64, b: f64, lo: f64, hi: f64, c: f64) -> (f64, f64) {
    let mut ts = vec![lo, hi];
    if a != 0.0 {
        let e = -0.5 * b / a;
        if lo < e && e < hi {
            ts.push(e);
        }
    }
    ts.into_iter()
        .map(|t| (t, t * (a * t + b) + c))
        .fold(
            (lo, f64::INFINITY),
            |best, cur| {
                if cur.1 < best.1 { cur } else { best }
            },
        )
}

/// Smallest step along `s` from `x` to a bound, and which variables hit (sign of s).
fn step_size_to_bound(x: &[f64], s: &[f64], lb: &[f64], ub: &[f64]) -> (f64, Vec<f64>) {
    let steps: Vec<f64> = (0..x.len())
        .map(|i| {
            if s[i] != 0.0 {
                ((lb[i] - x[i]) / s[i]).max((ub[i] - x[i]) / s[i])
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let min = steps.iter().cloned().fold(f64::INFINITY, f64::min);
    let hits = steps
        .iter()
        .zip(s)
        .map(|(&t, &si)| if t == min { si.signum() } else { 0.0 })
        .collect();
    (min, hits)
}

/// Parameters t of `x + t s` on the trust-region sphere `|.| = delta` (x inside).
fn intersect_trust_region(x: &[f64], s: &[f64], delta: f64) -> (f64, f64) {
    let a = dot(s, s);
    if a == 0.0 {
        return (0.0, 0.0);
    }
    let b = dot(x, s);
    let c = (dot(x, x) - delta * delta).min(0.0);
    let d = (b * b - a * c).max(0.0).sqrt();
    let q = -(b + d.copysign(b));
    if q == 0.0 {
        return (0.0, 0.0);
    }
    let (t1, t2) = (q / a, c / q);
    if t1 < t2 { (t1, t2) } else { (t2, t1) }
}

fn in_bounds(x: &[f64], lb: &[f64], ub: &[f64]) -> bool {
    x.iter()
        .zip(lb.iter().zip(ub))
        .all(|(x, (l, u))| x >= l && x <= u)
}

/// Eigen-decomposed subproblem: eigenvalues `lam` (ascending, clamped >= 0), vectors,
/// and `suf = V^T g_h`.
struct Subproblem {
    lam: Vec<f64>,
    vectors: Vec<f64>,
    suf: Vec<f64>,
    m: usize,
}

impl Subproblem {
    /// `-(A + alpha I)^-1 rhs` (on the eigen-directions with `lam + alpha > 0`).
    fn solve_rhs(&self, rhs: &[f64], alpha: f64) -> Vec<f64> {
        let n = self.lam.len();
        let coef: Vec<f64> = (0..n)
            .map(|e| {
                let den = self.lam[e] + alpha;
                let proj: f64 = (0..n).map(|i| self.vectors[i * n + e] * rhs[i]).sum();
                if den > 0.0 { proj / den } else { 0.0 }
            })
            .collect();
        (0..n)
            .map(|i| -dot(&self.vectors[i * n..(i + 1) * n], &coef))
            .collect()
    }

    fn step(&self, alpha: f64) -> Vec<f64> {
        let n = self.lam.len();
        let coef: Vec<f64> = (0..n)
            .map(|e| {
                let den = self.lam[e] + alpha;
                if den > 0.0 { self.suf[e] / den } else { 0.0 }
            })
            .collect();
        (0..n)
            .map(|i| -dot(&self.vectors[i * n..(i + 1) * n], &coef))
            .collect()
    }

    fn phi_and_derivative(&self, alpha: f64, delta: f64) -> (f64, f64) {
        let mut p2 = 0.0;
        let mut d3 = 0.0;
        for (l, s) in self.lam.iter().zip(&self.suf) {
            let den = l + alpha;
            p2 += (s / den) * (s / den);
            d3 += s * s / (den * den * den);
        }
        let p = p2.sqrt();
        (p - delta, -d3 / p)
    }

    /// scipy's `solve_lsq_trust_region`: the step in hat space and the new alpha.
    fn solve(&self, delta: f64, initial_alpha: f64) -> (Vec<f64>, f64) {
        let n = self.lam.len();
        if norm(&self.suf) == 0.0 {
            return (vec![0.0; n], 0.0);
        }
        let s_max = self.lam[n - 1].max(0.0).sqrt();
        let s_min = self.lam[0].max(0.0).sqrt();
        let full_rank = self.m >= n && s_min > EPS * self.m as f64 * s_max && self.lam[0] > 0.0;
        if full_rank {
            let p = self.step(0.0);
            if norm(&p) <= delta {
                return (p, 0.0);
            }
        }
        let mut alpha_upper = norm(&self.suf) / delta;
        let mut alpha_lower = if full_rank {
            let (phi, phi_prime) = self.phi_and_derivative(0.0, delta);
            -phi / phi_prime
        } else {
            0.0
        };
        let reset = |lo: f64, hi: f64| (0.001 * hi).max((lo * hi).sqrt());
        let mut alpha = if !full_rank && initial_alpha == 0.0 {
            reset(alpha_lower, alpha_upper)
        } else {
            initial_alpha
        };
        for _ in 0..10 {
            if alpha < alpha_lower || alpha > alpha_upper {
                alpha = reset(alpha_lower, alpha_upper);
            }
            let (phi, phi_prime) = self.phi_and_derivative(alpha, delta);
            if phi < 0.0 {
                alpha_upper = alpha;
            }
            let ratio = phi / phi_prime;
            alpha_lower = alpha_lower.max(alpha - ratio);
            alpha -= (phi + delta) * ratio / delta;
            if phi.abs() < 0.01 * delta {
                break;
            }
        }
        let mut p = self.step(alpha);
        let pn = norm(&p);
        if pn > 0.0 && pn.is_finite() {
            p.iter_mut().for_each(|v| *v *= delta / pn);
        }
        (p, alpha)
    }
}

/// Reflective step selection (scipy `select_step`): returns `(step, step_h,
/// predicted_reduction)`.
#[allow(clippy::too_many_arguments)]
fn select_step(
    x: &[f64],
    quad: &Quadratic,
    mut p: Vec<f64>,
    mut p_h: Vec<f64>,
    d: &[f64],
    delta: f64,
    lb: &[f64],
    ub: &[f64],
    theta: f64,
) -> (Vec<f64>, Vec<f64>, f64) {
    let n = x.len();
    let xp: Vec<f64> = (0..n).map(|i| x[i] + p[i]).collect();
    if in_bounds(&xp, lb, ub) {
        let v = quad.value(&p_h);
        return (p, p_h, -v);
    }
    let (p_stride, hits) = step_size_to_bound(x, &p, lb, ub);
    let mut r_h = p_h.clone();
    for i in 0..n {
        if hits[i] != 0.0 {
            r_h[i] = -r_h[i];
        }
    }
    let r: Vec<f64> = (0..n).map(|i| d[i] * r_h[i]).collect();
    p.iter_mut().for_each(|v| *v *= p_stride);
    p_h.iter_mut().for_each(|v| *v *= p_stride);
    let x_on_bound: Vec<f64> = (0..n).map(|i| x[i] + p[i]).collect();
    let (_, to_tr) = intersect_trust_region(&p_h, &r_h, delta);
    let (to_bound, _) = step_size_to_bound(&x_on_bound, &r, lb, ub);
    let r_stride = to_bound.min(to_tr);
    let (r_lo, r_hi) = if r_stride > 0.0 {
        let lo = (1.0 - theta) * p_stride / r_stride;
        let hi = if r_stride == to_bound {
            theta * to_bound
        } else {
            to_tr
        };
        (lo, hi)
    } else {
        (0.0, -1.0)
    };
    let (r_step, r_step_h, r_value) = if r_lo <= r_hi {
        let (a, b, c) = quad.along(&r_h, Some(&p_h));
        let (t, val) = minimize_quadratic_1d(a, b, r_lo, r_hi, c);
        let rh: Vec<f64> = (0..n).map(|i| p_h[i] + t * r_h[i]).collect();
        let rs: Vec<f64> = (0..n).map(|i| d[i] * rh[i]).collect();
        (rs, rh, val)
    } else {
        (Vec::new(), Vec::new(), f64::INFINITY)
    };
    p.iter_mut().for_each(|v| *v *= theta);
    p_h.iter_mut().for_each(|v| *v *= theta);
    let p_value = quad.value(&p_h);

    let ag_h: Vec<f64> = quad.g.iter().map(|g| -g).collect();
    let ag: Vec<f64> = (0..n).map(|i| d[i] * ag_h[i]).collect();
    let ag_norm = norm(&ag_h);
    let to_tr = if ag_norm > 0.0 { delta / ag_norm } else { 0.0 };
    let (to_bound, _) = step_size_to_bound(x, &ag, lb, ub);
    let ag_stride = if to_bound < to_tr {
        theta * to_bound
    } else {
        to_tr
    };
    let (a, b, _) = quad.along(&ag_h, None);
    let (t, ag_value) = minimize_quadratic_1d(a, b, 0.0, ag_stride, 0.0);
    let ag_h: Vec<f64> = ag_h.iter().map(|v| v * t).collect();
    let ag: Vec<f64> = ag.iter().map(|v| v * t).collect();

    if p_value < r_value && p_value < ag_value {
        (p, p_h, -p_value)
    } else if r_value < p_value && r_value < ag_value {
        (r_step, r_step_h, -r_value)
    } else {
        (ag, ag_h, -ag_value)
    }
}

fn update_tr_radius(
    delta: f64,
    actual: f64,
    predicted: f64,
    step_norm: f64,
    bound_hit: bool,
) -> (f64, f64) {
    let ratio = if predicted > 0.0 {
        actual / predicted
    } else if predicted == actual {
        1.0
    } else {
        0.0
    };
    let delta = if ratio < 0.25 {
        0.25 * step_norm
    } else if ratio > 0.75 && bound_hit {
        2.0 * delta
    } else {
        delta
    };
    (delta, ratio)
}

fn check_termination(
    df: f64,
    f: f64,
    dx_norm: f64,
    x_norm: f64,
    ratio: f64,
    ftol: f64,
    xtol: f64,
) -> Option<Termination> {
    let ftol_ok = df < ftol * f && ratio > 0.25;
    let xtol_ok = dx_norm < xtol * (xtol + x_norm);
    match (ftol_ok, xtol_ok) {
        (true, true) => Some(Termination::FtolXtol),
        (true, false) => Some(Termination::Ftol),
        (false, true) => Some(Termination::Xtol),
        _ => None,
    }
}

/// Outcome of the geodesic acceleration of a step.
enum Acceleration {
    /// The acceleration `a` (x space); the step becomes `v + a/2`.
    Step(Vec<f64>),
    /// `2|a| > 0.75 |v|` in the scaled variables: refuse the step.
    TooLarge,
    /// The objective cannot compute it (or not finitely): take the plain step.
    Unavailable,
}

/// An accepted step lowering the cost by less than this fraction is a crawl: with
/// [`SolverOptions::geodesic`], later steps are accelerated.
const CRAWL: f64 = 1e-4;

/// Largest ratio `2|a| / |v|` accepted (Transtrum and Sethna's alpha).
const ACCELERATION_RATIO: f64 = 0.75;

/// Geodesic acceleration of the step `v` (hat-space `v_h`, scaling `d`): `a_h = -(A +
/// alpha I)^-1 (d * J^T r_vv)`, the damped system the step itself solved.
fn geodesic_acceleration<O: Objective + ?Sized>(
    objective: &O,
    x: &[f64],
    v: &[f64],
    v_h: &[f64],
    d: &[f64],
    sub: &Subproblem,
    alpha: f64,
) -> Acceleration {
    let Some(Ok(rvv)) = objective.curvature(x, v) else {
        return Acceleration::Unavailable;
    };
    if rvv.iter().any(|g| !g.is_finite()) {
        return Acceleration::Unavailable;
    }
    let rhs: Vec<f64> = rvv.iter().zip(d).map(|(g, d)| g * d).collect();
    let a_h = sub.solve_rhs(&rhs, alpha);
    let v_norm = norm(v_h);
    if v_norm.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        || 2.0 * norm(&a_h) > ACCELERATION_RATIO * v_norm
    {
        return Acceleration::TooLarge;
    }
    Acceleration::Step(a_h.iter().zip(d).map(|(a, d)| a * d).collect())
}

/// Minimise `cost(x)/2` over `lb <= x <= ub` from `x0` (clipped and moved strictly
/// inside the bounds first). Errors only when the start itself cannot be evaluated or
/// gives non-finite values.
pub fn solve<O: Objective + ?Sized>(
    objective: &O,
    x0: &[f64],
    lb: &[f64],
    ub: &[f64],
    options: &SolverOptions,
) -> Result<LocalSolution, NlsqError> {
    solve_observed(objective, x0, lb, ub, options, None)
}

/// [`solve`], calling `on_iteration(iteration, cost)` after every iteration (cost is
/// the robust chi^2, `2 x` the solver's half sum).
pub fn solve_observed<O: Objective + ?Sized>(
    objective: &O,
    x0: &[f64],
    lb: &[f64],
    ub: &[f64],
    options: &SolverOptions,
    on_iteration: Option<&(dyn Fn(usize, f64) + Sync)>,
) -> Result<LocalSolution, NlsqError> {
    let n = objective.n_params();
    if x0.len() != n || lb.len() != n || ub.len() != n {
        return Err(NlsqError::Initial(format!(
            "start/bounds lengths {}/{}/{} do not match {n} variables",
            x0.len(),
            lb.len(),
            ub.len()
        )));
    }
    let mut x = make_strictly_feasible(x0, lb, ub, 1e-10);
    let mut ne = objective.evaluate(&x)?;
    if !finite_equations(&ne) {
        return Err(NlsqError::Linalg(
            "objective is not finite at the starting point".into(),
        ));
    }
    let (mut nfev, mut njev) = (1usize, 1usize);
    let initial_cost = ne.cost;
    let mut cost = 0.5 * ne.cost;
    let mut g = ne.jtr.clone();
    let m = ne.n_points;
    let jac_scaled = matches!(options.x_scale, XScale::Jacobian);
    let (mut scale, mut scale_inv) = match &options.x_scale {
        XScale::Jacobian => jac_scale(&ne.jtj, n, None),
        XScale::InitialMagnitude => {
            let s: Vec<f64> = x0.iter().map(|v| v.abs() + 1e-3).collect();
            let inv = s.iter().map(|v| 1.0 / v).collect();
            (s, inv)
        }
        XScale::Values(v) if v.len() == n => (v.clone(), v.iter().map(|s| 1.0 / s).collect()),
        XScale::Values(v) => {
            return Err(NlsqError::Option {
                name: "x_scale",
                message: format!("{} scales given for {n} variables", v.len()),
            });
        }
    };
    let (mut v, dv) = cl_scaling(&x, &g, lb, ub);
    for i in 0..n {
        if dv[i] != 0.0 {
            v[i] *= scale_inv[i];
        }
    }
    let mut delta = norm(
        &(0..n)
            .map(|i| x[i] * scale_inv[i] / v[i].sqrt())
            .collect::<Vec<_>>(),
    );
    if delta == 0.0 || !delta.is_finite() {
        delta = 1.0;
    }
    let mut alpha = 0.0;
    let mut termination = None;
    let mut iteration = 0usize;
    let mut accepted = 0usize;
    // Geodesic acceleration, once allowed, starts with the first crawl.
    let mut accelerate = false;

    loop {
        let (mut v, dv) = cl_scaling(&x, &g, lb, ub);
        let g_norm = (0..n).map(|i| (g[i] * v[i]).abs()).fold(0.0, f64::max);
        if g_norm < options.gtol {
            termination = Some(Termination::Gtol);
        }
        if termination.is_some() {
            break;
        }
        if nfev >= options.max_nfev {
            termination = Some(Termination::MaxNfev);
            break;
        }
        if options.max_iterations.is_some_and(|k| iteration >= k) {
            termination = Some(Termination::MaxIterations);
            break;
        }
        for i in 0..n {
            if dv[i] != 0.0 {
                v[i] *= scale_inv[i];
            }
        }
        let d: Vec<f64> = (0..n).map(|i| v[i].sqrt() * scale[i]).collect();
        let diag_h: Vec<f64> = (0..n).map(|i| g[i] * dv[i] * scale[i]).collect();
        let g_h: Vec<f64> = (0..n).map(|i| d[i] * g[i]).collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = d[i] * ne.jtj[i * n + j] * d[j];
            }
            a[i * n + i] += diag_h[i];
        }
        let (lam, vectors) = symmetric_eigen(&a, n)?;
        let lam: Vec<f64> = lam.into_iter().map(|l| l.max(0.0)).collect();
        let suf: Vec<f64> = (0..n)
            .map(|e| (0..n).map(|i| vectors[i * n + e] * g_h[i]).sum())
            .collect();
        let sub = Subproblem {
            lam,
            vectors,
            suf,
            m,
        };
        let quad = Quadratic { n, a, g: g_h };
        let theta = (1.0 - g_norm).max(0.995);

        let mut actual_reduction = -1.0;
        let mut x_new = x.clone();
        // Normal equations at `x_new` when it was evaluated speculatively.
        let mut trial_equations: Option<NormalEquations> = None;
        while actual_reduction <= 0.0 && nfev < options.max_nfev {
            let (p_h, new_alpha) = sub.solve(delta, alpha);
            alpha = new_alpha;
            let p: Vec<f64> = (0..n).map(|i| d[i] * p_h[i]).collect();
            let interior = in_bounds(&(0..n).map(|i| x[i] + p[i]).collect::<Vec<_>>(), lb, ub);
            let (mut step, step_h, predicted) =
                select_step(&x, &quad, p, p_h, &d, delta, lb, ub, theta);
            if accelerate && interior {
                match geodesic_acceleration(objective, &x, &step, &step_h, &d, &sub, alpha) {
                    Acceleration::Step(a) => {
                        nfev += 1;
                        step.iter_mut().zip(&a).for_each(|(s, a)| *s += 0.5 * a);
                    }
                    Acceleration::TooLarge => {
                        // The step leaves the region where the model is quadratic
                        // enough: refuse it without evaluating, as a failed step would.
                        nfev += 1;
                        delta = 0.5 * norm(&step_h);
                        if delta == 0.0 {
                            termination = Some(Termination::Xtol);
                            break;
                        }
                        continue;
                    }
                    Acceleration::Unavailable => {}
                }
            }
            let trial: Vec<f64> = (0..n).map(|i| x[i] + step[i]).collect();
            x_new = make_strictly_feasible(&trial, lb, ub, 0.0);
            nfev += 1;
            let step_h_norm = norm(&step_h);
            trial_equations = None;
            let trial_cost = if options.speculative {
                njev += 1;
                match objective.evaluate(&x_new) {
                    Ok(c) if finite_equations(&c) => {
                        let cost = c.cost;
                        trial_equations = Some(c);
                        Some(cost)
                    }
                    _ => None,
                }
            } else {
                match objective.cost(&x_new) {
                    Ok(c) if c.cost.is_finite() => Some(c.cost),
                    _ => None,
                }
            };
            let cost_new = match trial_cost {
                Some(c) => 0.5 * c,
                None => {
                    delta = 0.25 * step_h_norm;
                    if delta == 0.0 {
                        termination = Some(Termination::Xtol);
                        break;
                    }
                    continue;
                }
            };
            actual_reduction = cost - cost_new;
            let (delta_new, ratio) = update_tr_radius(
                delta,
                actual_reduction,
                predicted,
                step_h_norm,
                step_h_norm > 0.95 * delta,
            );
            let step_norm = norm(&step);
            termination = check_termination(
                actual_reduction,
                cost,
                step_norm,
                norm(&x),
                ratio,
                options.ftol,
                options.xtol,
            );
            if termination.is_some() {
                break;
            }
            if delta_new > 0.0 {
                alpha *= delta / delta_new;
            }
            delta = delta_new;
        }

        if actual_reduction > 0.0 {
            let candidate = match trial_equations.take() {
                Some(c) => Ok(c),
                None => {
                    njev += 1;
                    nfev += 1;
                    objective.evaluate(&x_new)
                }
            };
            match candidate {
                Ok(c) if finite_equations(&c) => {
                    x = x_new;
                    ne = c;
                    if options.geodesic && 0.5 * ne.cost > (1.0 - CRAWL) * cost {
                        accelerate = true;
                    }
                    cost = 0.5 * ne.cost;
                    g = ne.jtr.clone();
                    accepted += 1;
                    if jac_scaled {
                        (scale, scale_inv) = jac_scale(&ne.jtj, n, Some(&scale_inv));
                    }
                }
                _ => {
                    // Derivatives failed where the cost did not: treat as a rejected step.
                    delta *= 0.25;
                    termination = None;
                }
            }
        }
        iteration += 1;
        tracing::debug!(
            iteration,
            cost = 2.0 * cost,
            nfev,
            radius = delta,
            x = ?x,
            "trf iteration"
        );
        if let Some(report) = on_iteration {
            report(iteration, 2.0 * cost);
        }
    }
    let termination = termination.unwrap_or(Termination::MaxNfev);
    let mut solution = LocalSolution {
        x,
        equations: ne,
        initial_cost,
        iterations: iteration,
        nfev,
        njev,
        accepted_steps: accepted,
        termination,
        coarse: None,
    };
    if termination.converged() && options.polish_steps > 0 {
        let before = (solution.nfev, solution.accepted_steps);
        polish::polish(objective, &mut solution, lb, ub, options.polish_steps);
        tracing::debug!(
            evaluations = solution.nfev - before.0,
            accepted = solution.accepted_steps - before.1,
            cost = solution.equations.cost,
            "gauss-newton polish"
        );
    }
    Ok(solution)
}

#[cfg(test)]
mod tests {
    use homodyne_model::normal::{CostSummary, NormalEquations};

    use super::*;

    /// The shear rate's sloppy valley: fit `y(t) = g t^b + o` to data of `(g, b, o) =
    /// (2, -0.2, -0.6)` on log-spaced times, plus alternating noise. From `b ~ 0` with `g ~ -o` large
    /// the data fix `g + o` and `g b` first, leaving the hyperbola `g = c / b` to crawl
    /// along. `r_vv = 2 v_g v_b t^b ln t + v_b^2 g t^b ln^2 t`.
    struct Valley {
        with_curvature: bool,
    }

    const TRUTH: [f64; 3] = [2.0, -0.2, -0.6];
    /// Large enough that chi^2 is dominated by noise, as in real fits, so that slow
    /// progress along the valley is a small relative decrease.
    const NOISE: f64 = 1.0;

    impl Valley {
        fn times() -> impl Iterator<Item = (f64, f64)> {
            (0..30).map(|k| {
                let noise = if k % 2 == 0 { NOISE } else { -NOISE };
                (0.1 * 1000f64.powf(k as f64 / 29.0), noise)
            })
        }
        /// Residual and gradient at one time.
        fn point(p: &[f64], (t, noise): (f64, f64)) -> (f64, [f64; 3]) {
            let model = |q: &[f64]| q[0] * t.powf(q[1]) + q[2];
            let tb = t.powf(p[1]);
            (
                model(p) - model(&TRUTH) - noise,
                [tb, p[0] * tb * t.ln(), 1.0],
            )
        }
    }

    impl Objective for Valley {
        fn n_params(&self) -> usize {
            3
        }
        fn evaluate(&self, p: &[f64]) -> Result<NormalEquations, NlsqError> {
            let mut ne = NormalEquations::zeros(3);
            for t in Self::times() {
                let (r, j) = Self::point(p, t);
                ne.chi2 += r * r;
                ne.n_points += 1;
                for a in 0..3 {
                    ne.jtr[a] += j[a] * r;
                    for b in 0..3 {
                        ne.jtj[a * 3 + b] += j[a] * j[b];
                    }
                }
            }
            ne.cost = ne.chi2;
            Ok(ne)
        }
        fn cost(&self, p: &[f64]) -> Result<CostSummary, NlsqError> {
            let ne = self.evaluate(p)?;
            Ok(CostSummary {
                chi2: ne.chi2,
                cost: ne.cost,
                n_points: ne.n_points,
            })
        }
        fn curvature(&self, p: &[f64], v: &[f64]) -> Option<Result<Vec<f64>, NlsqError>> {
            if !self.with_curvature {
                return None;
            }
            let mut out = vec![0.0; 3];
            for point in Self::times() {
                let (_, j) = Self::point(p, point);
                let (tb, l) = (point.0.powf(p[1]), point.0.ln());
                let rvv = 2.0 * v[0] * v[1] * tb * l + v[1] * v[1] * p[0] * tb * l * l;
                out.iter_mut().zip(j).for_each(|(o, j)| *o += j * rvv);
            }
            Some(Ok(out))
        }
    }

    fn options(geodesic: bool, speculative: bool) -> SolverOptions {
        SolverOptions {
            ftol: 1e-14,
            xtol: 1e-14,
            gtol: 1e-12,
            max_nfev: 100_000,
            max_iterations: None,
            x_scale: XScale::Jacobian,
            polish_steps: 0,
            speculative,
            geodesic,
        }
    }

    const LB: [f64; 3] = [1e-6, -2.0, -100.0];
    const UB: [f64; 3] = [50.0, 2.0, 100.0];
    const X0: [f64; 3] = [36.0, -0.005, -35.0];

    #[test]
    fn geodesic_acceleration_shortens_the_crawl() {
        let run = |with_curvature, geodesic| {
            solve(
                &Valley { with_curvature },
                &X0,
                &LB,
                &UB,
                &options(geodesic, false),
            )
            .unwrap()
        };
        let plain = run(true, false);
        let geodesic = run(true, true);
        // Without a curvature the option changes nothing.
        let unavailable = run(false, true);
        for s in [&plain, &geodesic, &unavailable] {
            assert!(s.termination.converged(), "{:?}", s.termination);
            for k in 0..3 {
                assert!(
                    (s.x[k] - plain.x[k]).abs() < 1e-6,
                    "{:?} {:?}",
                    s.x,
                    plain.x
                );
            }
        }
        assert_eq!(unavailable.x, plain.x);
        assert_eq!(unavailable.iterations, plain.iterations);
        assert!(
            3 * geodesic.iterations < 2 * plain.iterations,
            "geodesic {} vs plain {} iterations",
            geodesic.iterations,
            plain.iterations
        );
    }

    #[test]
    fn speculative_evaluation_takes_the_same_path() {
        let valley = Valley {
            with_curvature: false,
        };
        let plain = solve(&valley, &X0, &LB, &UB, &options(false, false)).unwrap();
        let speculative = solve(&valley, &X0, &LB, &UB, &options(false, true)).unwrap();
        assert_eq!(plain.x, speculative.x);
        assert_eq!(plain.iterations, speculative.iterations);
        // One pass per trial instead of a cost pass plus a derivative pass per accepted one.
        assert!(speculative.nfev < plain.nfev);
    }
}
