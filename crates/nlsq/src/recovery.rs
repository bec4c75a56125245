//! Recovery from failed attempts: alternative starts and the failure diagnosis.
//!
//! An attempt fails when the objective is not finite at its start, the solver errors,
//! or it is stuck (no step accepted although Gauss-Newton predicts a real decrease). Up
//! to three further attempts start from: the start perturbed by 5 % (seeded), the bounds
//! centre, and the geometric mean of the bounds (`sqrt(lo*hi)` where both are positive,
//! the centre otherwise). Each attempt is recorded in `recovery_actions`.

use homodyne_model::normal::NormalEquations;

use crate::linalg::pinv_symmetric;
use crate::solver::{LocalSolution, Termination};

/// Alternative starts, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryStart {
    Perturbed,
    BoundsCentre,
    GeometricMean,
}

impl RecoveryStart {
    pub const ORDER: [RecoveryStart; 3] = [
        RecoveryStart::Perturbed,
        RecoveryStart::BoundsCentre,
        RecoveryStart::GeometricMean,
    ];

    pub fn action(self) -> &'static str {
        match self {
            RecoveryStart::Perturbed => "perturb_initial_parameters_5pct",
            RecoveryStart::BoundsCentre => "restart_from_bounds_centre",
            RecoveryStart::GeometricMean => "restart_from_bounds_geometric_mean",
        }
    }

    /// The start for attempt `attempt` (1-based recovery attempt number).
    pub fn start(self, x0: &[f64], lb: &[f64], ub: &[f64], attempt: u64) -> Vec<f64> {
        match self {
            RecoveryStart::Perturbed => {
                let mut rng = SplitMix64(42 + attempt);
                x0.iter()
                    .zip(lb.iter().zip(ub))
                    .map(|(&x, (&l, &u))| {
                        let mag = x.abs().max(0.01 * (u - l));
                        (x + 0.05 * mag * rng.symmetric()).clamp(l, u)
                    })
                    .collect()
            }
            RecoveryStart::BoundsCentre => lb.iter().zip(ub).map(|(l, u)| 0.5 * (l + u)).collect(),
            RecoveryStart::GeometricMean => lb
                .iter()
                .zip(ub)
                .map(|(&l, &u)| {
                    if l > 0.0 && u > 0.0 {
                        (l * u).sqrt()
                    } else if l < 0.0 && u < 0.0 {
                        -(l * u).sqrt()
                    } else {
                        0.5 * (l + u)
                    }
                })
                .collect(),
        }
    }
}

/// Tiny deterministic generator for the perturbation (no dependency needed).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn symmetric(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Cost decrease a Gauss-Newton step would predict: `g^T (J^T J)^+ g / 2`.
pub fn predicted_decrease(ne: &NormalEquations) -> f64 {
    let p = ne.n_params;
    let d: Vec<f64> = (0..p)
        .map(|i| {
            let h = ne.jtj[i * p + i];
            if h > 0.0 { 1.0 / h.sqrt() } else { 1.0 }
        })
        .collect();
    let unit = crate::linalg::unit_diagonal(&ne.jtj, p);
    let Ok((inv, _)) = pinv_symmetric(&unit, p, 1e-12) else {
        return f64::INFINITY;
    };
    let g: Vec<f64> = (0..p).map(|i| ne.jtr[i] * d[i]).collect();
    let mut s = 0.0;
    for i in 0..p {
        for j in 0..p {
            s += g[i] * inv[i * p + j] * g[j];
        }
    }
    0.5 * s
}

/// Why an attempt counts as failed, if it does.
pub fn diagnose(solution: &LocalSolution, ftol: f64) -> Option<&'static str> {
    if !solution.equations.cost.is_finite() {
        return Some("non_finite_residuals");
    }
    if solution.accepted_steps == 0 && solution.termination != Termination::Gtol {
        let cost = 0.5 * solution.equations.cost;
        if predicted_decrease(&solution.equations) > ftol.max(1e-12) * cost.max(1e-300) {
            return Some("stuck_at_start");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_inside_bounds() {
        let lb = [1e2, -2.0, 0.0];
        let ub = [1e5, 2.0, 1.0];
        let x0 = [1e4, -1.5, 0.5];
        for kind in RecoveryStart::ORDER {
            let s = kind.start(&x0, &lb, &ub, 1);
            for i in 0..3 {
                assert!(s[i] >= lb[i] && s[i] <= ub[i]);
            }
        }
        let g = RecoveryStart::GeometricMean.start(&x0, &lb, &ub, 1);
        assert!((g[0] - (1e2f64 * 1e5).sqrt()).abs() < 1e-9);
        assert_eq!(g[1], 0.0);
        let p1 = RecoveryStart::Perturbed.start(&x0, &lb, &ub, 1);
        let p2 = RecoveryStart::Perturbed.start(&x0, &lb, &ub, 1);
        assert_eq!(p1, p2);
        assert!((p1[0] / 1e4 - 1.0).abs() <= 0.05);
    }
}
