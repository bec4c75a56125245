//! Gauss-Newton polish of a converged trust-region answer.
//!
//! Near the minimum the trust region is inactive and each Gauss-Newton step
//! `dx = -(J^T J)^+ J^T r` (on the variables not pinned at a bound) contracts the error
//! quickly. Taking a few such steps while the cost keeps falling pins the minimum far
//! below the user's tolerances, so that every execution strategy — which reach the
//! neighbourhood of the minimum along different paths — returns the same numbers.
//! Steps that raise the cost are not taken (beyond its rounding noise, for steps below
//! 1e-2 standard deviations that the cost can no longer resolve).

use super::LocalSolution;
use super::feasible::make_strictly_feasible;
use crate::linalg::pinv_symmetric;
use crate::problem::Objective;

/// Improve `solution` in place with at most `max_steps` Gauss-Newton steps.
pub fn polish<O: Objective + ?Sized>(
    objective: &O,
    solution: &mut LocalSolution,
    lb: &[f64],
    ub: &[f64],
    max_steps: usize,
) {
    let n = solution.x.len();
    for _ in 0..max_steps {
        let ne = &solution.equations;
        let x = &solution.x;
        let free: Vec<usize> = (0..n)
            .filter(|&i| {
                let tol = 1e-8 * (ub[i] - lb[i]);
                let at_lower = x[i] - lb[i] <= tol && ne.jtr[i] > 0.0;
                let at_upper = ub[i] - x[i] <= tol && ne.jtr[i] < 0.0;
                !(at_lower || at_upper)
            })
            .collect();
        let k = free.len();
        if k == 0 {
            return;
        }
        let d: Vec<f64> = free
            .iter()
            .map(|&i| {
                let h = ne.jtj[i * n + i];
                if h > 0.0 { 1.0 / h.sqrt() } else { 1.0 }
            })
            .collect();
        let mut h = vec![0.0; k * k];
        for (a, &i) in free.iter().enumerate() {
            for (b, &j) in free.iter().enumerate() {
                h[a * k + b] = d[a] * ne.jtj[i * n + j] * d[b];
            }
        }
        let Ok((hinv, _)) = pinv_symmetric(&h, k, 1e-12) else {
            return;
        };
        let g: Vec<f64> = free.iter().zip(&d).map(|(&i, di)| di * ne.jtr[i]).collect();
        let mut step = vec![0.0; n];
        let mut scaled_max: f64 = 0.0;
        for (a, &i) in free.iter().enumerate() {
            let y: f64 = (0..k).map(|b| hinv[a * k + b] * g[b]).sum();
            step[i] = -d[a] * y;
            scaled_max = scaled_max.max(y.abs());
        }
        if step.iter().any(|s| !s.is_finite()) || scaled_max == 0.0 {
            return;
        }
        let trial: Vec<f64> = (0..n).map(|i| x[i] + step[i]).collect();
        let x_new = make_strictly_feasible(&trial, lb, ub, 0.0);
        solution.nfev += 1;
        solution.njev += 1;
        let Ok(candidate) = objective.evaluate(&x_new) else {
            return;
        };
        let finite = candidate.cost.is_finite()
            && candidate.jtr.iter().all(|v| v.is_finite())
            && candidate.jtj.iter().all(|v| v.is_finite());
        // Tiny steps (< 1e-2 standard deviations) change the cost by less than its
        // rounding noise; the gradient still resolves them, so accept them unless the
        // cost rises beyond that noise.
        let noise = 1e-13 * ne.cost.abs();
        let tolerated = if scaled_max < 1e-2 { noise } else { 0.0 };
        if !finite || candidate.cost > ne.cost + tolerated {
            return;
        }
        solution.x = x_new;
        solution.equations = candidate;
        solution.accepted_steps += 1;
        // Step below 1e-9 standard deviations: done.
        if scaled_max < 1e-9 {
            return;
        }
    }
}
