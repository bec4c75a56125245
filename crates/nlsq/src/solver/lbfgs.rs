//! Projected L-BFGS warm-up for the streaming strategy, in bounds-normalised variables
//! `u in [0, 1]`.
//!
//! Minimises `cost/2` with the two-loop recursion on the variables not pinned at a
//! bound, projected steps clipped to `max_step` per variable, and an Armijo backtracking
//! line search on the cost. It stops after `max_iter` iterations or once an iteration
//! lowers the cost by less than `rtol` (relative); Gauss-Newton takes over from there.

use homodyne_model::normal::NormalEquations;

use crate::error::NlsqError;
use crate::problem::Objective;

/// Where the warm-up ended.
#[derive(Debug, Clone)]
pub struct WarmupOutcome {
    pub u: Vec<f64>,
    pub equations: NormalEquations,
    pub iterations: usize,
    pub nfev: usize,
    pub njev: usize,
    pub initial_cost: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Run the warm-up from `u0` (clipped to `[0, 1]`).
pub fn warmup<O: Objective + ?Sized>(
    objective: &O,
    u0: &[f64],
    max_iter: usize,
    rtol: f64,
    memory: usize,
    max_step: f64,
) -> Result<WarmupOutcome, NlsqError> {
    let n = u0.len();
    let mut u: Vec<f64> = u0.iter().map(|v| v.clamp(0.0, 1.0)).collect();
    let mut ne = objective.evaluate(&u)?;
    if !ne.cost.is_finite() || ne.jtr.iter().any(|v| !v.is_finite()) {
        return Err(NlsqError::Linalg(
            "objective is not finite at the warm-up start".into(),
        ));
    }
    let initial_cost = ne.cost;
    let (mut nfev, mut njev, mut iterations) = (1, 1, 0);
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    for _ in 0..max_iter {
        let g = &ne.jtr;
        let free: Vec<bool> = (0..n)
            .map(|i| !((u[i] <= 0.0 && g[i] > 0.0) || (u[i] >= 1.0 && g[i] < 0.0)))
            .collect();
        let masked = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(&free)
                .map(|(x, &f)| if f { *x } else { 0.0 })
                .collect()
        };
        // Two-loop recursion.
        let mut q = masked(g);
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        if let Some((s, y, _)) = history.last() {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        }
        for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut dir: Vec<f64> = masked(&q).iter().map(|v| -v).collect();
        if dot(&dir, g) >= 0.0 {
            history.clear();
            dir = masked(g).iter().map(|v| -v).collect();
        }
        let biggest = dir.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if biggest == 0.0 || !biggest.is_finite() {
            break;
        }
        if history.is_empty() || biggest > max_step {
            let f = max_step / biggest;
            if history.is_empty() || f < 1.0 {
                dir.iter_mut().for_each(|v| *v *= f);
            }
        }
        let f0 = 0.5 * ne.cost;
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..12 {
            let trial: Vec<f64> = (0..n)
                .map(|i| (u[i] + t * dir[i]).clamp(0.0, 1.0))
                .collect();
            nfev += 1;
            if let Ok(c) = objective.cost(&trial) {
                let step: Vec<f64> = (0..n).map(|i| trial[i] - u[i]).collect();
                if c.cost.is_finite() && 0.5 * c.cost <= f0 + 1e-4 * dot(g, &step) {
                    accepted = Some(trial);
                    break;
                }
            }
            t *= 0.5;
        }
        let Some(u_new) = accepted else {
            break;
        };
        let ne_new = objective.evaluate(&u_new)?;
        nfev += 1;
        njev += 1;
        if !ne_new.cost.is_finite() || ne_new.jtr.iter().any(|v| !v.is_finite()) {
            break;
        }
        let s: Vec<f64> = (0..n).map(|i| u_new[i] - u[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| ne_new.jtr[i] - ne.jtr[i]).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() && sy > 0.0 {
            history.push((s, y, 1.0 / sy));
            if history.len() > memory {
                history.remove(0);
            }
        }
        let relative = (ne.cost - ne_new.cost) / ne.cost.abs().max(f64::MIN_POSITIVE);
        u = u_new;
        ne = ne_new;
        iterations += 1;
        if relative < rtol {
            break;
        }
    }
    Ok(WarmupOutcome {
        u,
        equations: ne,
        iterations,
        nfev,
        njev,
        initial_cost,
    })
}
