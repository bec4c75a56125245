//! The coarse stage of large fits: most of the path to the optimum is walked on a subset
//! of the time pairs, then the same solver finishes on every point.
//!
//! Far from the optimum a trust-region iteration on 23 M points costs as much as one
//! near it, and most of the iterations of a fit from a poor start are spent there. The
//! coarse stage runs the solver on the objective restricted to a subset of the unordered
//! time pairs `(i, j)`:
//!
//! * every pair with lag `j - i <= band` (where g2 changes fastest: the decay and the
//!   shear oscillations near the diagonal are seen at full resolution), and
//! * beyond the band, the pairs whose two times are both on a grid of every `stride`-th
//!   frame (`i % stride == 0 && j % stride == 0`).
//!
//! The model is evaluated at the exact times of each chosen pair (the integrals of D(t)
//! and gamma_dot(t) are cumulative over the full frame grid), so the coarse objective is
//! the full objective restricted to some of its points: no averaging, no approximation
//! of g2, the same sigma, data and loss; its minimum is a statistically consistent
//! estimate, about `sqrt(N / N_coarse)` standard errors of the full fit from the full
//! optimum. From there the full-data solve needs a few Gauss-Newton-like iterations
//! instead of the long walk. The answer, its convergence criteria and its covariance are
//! those of the full-data objective; the coarse stage only chooses the start.
//!
//! (Averaging frames in blocks was considered and rejected: g2 evaluated at block
//! centres is not the mean of g2 over a block where the shear term oscillates within a
//! few frames, which biases the coarse optimum; exact points on a subset cannot.)

use std::time::Instant;

use homodyne_model::normal::{self, CostSummary, NormalEquations};
use homodyne_model::{Par, PointSet, TimePairs};
use serde::Serialize;

use crate::error::NlsqError;
use crate::options::CoarseOptions;
use crate::problem::{Objective, Problem};
use crate::solver::{LocalSolution, Termination};

/// What the coarse stage of a fit did (in [`crate::NlsqResult::coarse_stage`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoarseStage {
    /// Frames between grid times beyond the band.
    pub stride: usize,
    /// Lags kept in full.
    pub band: usize,
    /// Points of the coarse objective.
    pub n_points: usize,
    /// Points of the full objective.
    pub n_points_full: usize,
    /// Trust-region iterations on the coarse objective (all attempts).
    pub iterations: usize,
    /// Coarse objective evaluations.
    pub nfev: usize,
    /// Seconds spent in the coarse stage (all attempts).
    pub seconds: f64,
    /// How the last coarse solve ended.
    pub termination: Termination,
}

/// The subset of time pairs of the coarse objective and its stride.
#[derive(Debug, Clone)]
pub(crate) struct CoarsePairs {
    pub stride: usize,
    pub band: usize,
    pub pairs: TimePairs,
}

/// Number of pairs of a grid of `n_t` times selected by `(stride, band)`.
fn pair_count(n_t: usize, stride: usize, band: usize) -> usize {
    let band = band.min(n_t.saturating_sub(1));
    let banded: usize = (1..=band).map(|l| n_t - l).sum();
    let m = n_t.div_ceil(stride);
    // Grid pairs (a, a + d) with lag d * stride > band.
    let strided: usize = (1..m).filter(|&d| d * stride > band).map(|d| m - d).sum();
    banded + strided
}

/// The pairs `(stride, band)` select, in canonical order.
fn select_pairs(n_t: usize, stride: usize, band: usize) -> TimePairs {
    let mut list = Vec::with_capacity(pair_count(n_t, stride, band));
    for i in 0..n_t {
        let on_grid = i % stride == 0;
        for j in i + 1..n_t {
            if j - i <= band || (on_grid && j % stride == 0) {
                list.push((i, j));
            }
        }
    }
    TimePairs::new(n_t, list).expect("pairs are i < j < n_t, each once")
}

/// The coarse subset for a problem of `n_points` points on `n_t` times, or None when the
/// stage does not apply (disabled, too few points, or no stride makes the subset
/// smaller than half the data).
pub(crate) fn plan(n_t: usize, n_points: usize, options: &CoarseOptions) -> Option<CoarsePairs> {
    if !options.enabled || n_points <= options.min_points || n_t < 4 {
        return None;
    }
    let all = n_t * (n_t - 1) / 2;
    let band = options.band;
    // Points scale with the pairs kept (masked points are spread alike).
    let points_of =
        |stride: usize| pair_count(n_t, stride, band) as f64 / all as f64 * n_points as f64;
    let stride = (2..=n_t).find(|&s| points_of(s) <= options.target_points as f64)?;
    if points_of(stride) > 0.5 * n_points as f64 {
        return None;
    }
    Some(CoarsePairs {
        stride,
        band,
        pairs: select_pairs(n_t, stride, band),
    })
}

/// A problem's objective restricted to a list of time pairs (same data, sigma, points
/// counted per pair, layout and loss).
pub(crate) struct Subset<'p, 'a> {
    pub problem: &'p Problem<'a>,
    pub pairs: &'p TimePairs,
}

impl Subset<'_, '_> {
    fn points(&self) -> PointSet<'_> {
        PointSet::Pairs {
            pairs: self.pairs,
            triangles: self.problem.triangles(),
        }
    }
}

impl Objective for Subset<'_, '_> {
    fn n_params(&self) -> usize {
        self.problem.layout().n_params()
    }

    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError> {
        let p = self.problem;
        Ok(normal::normal_equations_over(
            p.experiment(),
            p.layout(),
            &p.data(),
            x,
            &self.points(),
            &p.loss(),
            Par::rayon(0),
        )?)
    }

    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError> {
        let p = self.problem;
        Ok(normal::cost_over(
            p.experiment(),
            p.layout(),
            &p.data(),
            x,
            &self.points(),
            &p.loss(),
            Par::rayon(0),
        )?)
    }
}

/// Count points of the subset (finite data, valid sigma).
pub(crate) fn count(subset: &Subset<'_, '_>) -> Result<usize, NlsqError> {
    Ok(normal::count_points(
        &subset.problem.data(),
        &subset.points(),
        Par::rayon(0),
    )?)
}

/// Fold a coarse solve into the record of a fit's coarse stages.
pub(crate) fn record(
    stage: &mut Option<CoarseStage>,
    plan: &CoarsePairs,
    n_points: usize,
    n_points_full: usize,
    sol: &LocalSolution,
    started: Instant,
) {
    let seconds = started.elapsed().as_secs_f64();
    match stage {
        Some(s) => {
            s.iterations += sol.iterations;
            s.nfev += sol.nfev;
            s.seconds += seconds;
            s.termination = sol.termination;
        }
        None => {
            *stage = Some(CoarseStage {
                stride: plan.stride,
                band: plan.band,
                n_points,
                n_points_full,
                iterations: sol.iterations,
                nfev: sol.nfev,
                seconds,
                termination: sol.termination,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_count_matches_selection() {
        for (n_t, stride, band) in [(50, 4, 3), (51, 5, 0), (10, 2, 20), (37, 3, 7)] {
            assert_eq!(
                select_pairs(n_t, stride, band).len(),
                pair_count(n_t, stride, band),
                "{n_t} {stride} {band}"
            );
        }
        // Band covering everything: all pairs.
        assert_eq!(pair_count(10, 3, 9), 45);
    }

    #[test]
    fn plan_reaches_the_target_or_declines() {
        let opts = CoarseOptions {
            enabled: true,
            min_points: 1_000,
            target_points: 5_000,
            band: 4,
        };
        let n_t = 400;
        let n_points = 3 * n_t * (n_t - 1) / 2;
        let p = plan(n_t, n_points, &opts).unwrap();
        let pts = p.pairs.len() * 3;
        assert!(pts <= 5_000, "{pts}");
        assert!(
            p.pairs
                .iter()
                .all(|(i, j)| j - i <= 4 || (i % p.stride == 0 && j % p.stride == 0))
        );
        assert!(plan(n_t, 900, &opts).is_none());
        assert!(
            plan(
                n_t,
                n_points,
                &CoarseOptions {
                    enabled: false,
                    ..opts.clone()
                }
            )
            .is_none()
        );
        // A band holding most of the data leaves nothing to gain.
        assert!(
            plan(
                20,
                3 * 190,
                &CoarseOptions {
                    min_points: 10,
                    band: 15,
                    ..opts
                }
            )
            .is_none()
        );
    }
}
