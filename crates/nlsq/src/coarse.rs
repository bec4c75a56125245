//! The coarse stage of large fits: most of the path to the optimum is walked on a subset
//! of the time pairs, then the same solver finishes on every point.
//!
//! Far from the optimum a trust-region iteration on 23 M points costs as much as one
//! near it, and most of the iterations of a fit from a poor start are spent there. The
//! coarse stage runs the solver on the objective restricted to the unordered time pairs
//! `(i, j)` of which at least one time is on a grid of every `stride`-th frame
//! (`i % stride == 0 || j % stride == 0`): the two-time correlations of every
//! `stride`-th frame with every other frame, `stride` chosen so that about
//! [`CoarseOptions::target_points`] points remain (500 k: stride 46 on 23 x 1000 x 1000
//! symmetric data). Every lag and every time appears, so the decay, the shear
//! oscillations (a few frames long at large lags) and the time dependence of D(t) and
//! gamma_dot(t) are all seen at full resolution, with each region of the (t1, t2) plane
//! weighted about as in the full objective.
//!
//! The model is evaluated at the exact times of each chosen pair (the integrals of D(t)
//! and gamma_dot(t) are cumulative over the full frame grid), so the coarse objective is
//! the full objective restricted to some of its points: no averaging, no approximation
//! of g2, the same sigma, data and loss. Its minimum is a statistically consistent
//! estimate, about `sqrt(N / N_coarse)` standard errors of the full fit from the full
//! optimum, and from there the full-data solve needs two or three Gauss-Newton-like
//! iterations instead of the long walk. The answer, its convergence criteria and its
//! covariance are those of the full-data objective; the coarse stage only chooses the
//! start. The coarse solve may use geodesic acceleration
//! ([`SolverOptions::geodesic`](crate::SolverOptions)), which shortens the crawls along
//! the curved valleys of the shear parameters (`gamma_dot_t0 ~ -gamma_dot_t_offset` with
//! `beta ~ 0`) that poor starts run into.
//!
//! The selection is public so that a global search (crate `homodyne-global`) can screen
//! and solve from its starts on the same subset: [`CoarseSubset::plan`] plans it for a
//! prepared [`Problem`] exactly as [`crate::Fitter`] does, and [`Subset`] is the
//! objective restricted to it.
//!
//! Rejected alternatives, measured: frames averaged in blocks (g2 at block centres is
//! not the block mean of g2 where the shear term oscillates within a few frames, which
//! biases the coarse optimum); both times on a coarse grid plus a band of small lags
//! (the band dominates the subset and the coarse problem had minima the full one has
//! not); every `stride`-th row only (no pair with both times early).

use std::time::Instant;

use homodyne_model::normal::{self, CostSummary, NormalEquations};
use homodyne_model::{Par, PointSet, TimePairs, Triangles};
use serde::Serialize;

use crate::error::NlsqError;
use crate::options::CoarseOptions;
use crate::problem::{GEODESIC_H, Objective, Problem};
use crate::solver::{LocalSolution, Termination};

/// What the coarse stage of a fit did (in [`crate::NlsqResult::coarse_stage`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoarseStage {
    /// Frames between the grid times whose pairs make the coarse objective.
    pub stride: usize,
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

/// The subset of time pairs of the coarse objective and its stride ([`plan`]).
#[derive(Debug, Clone)]
pub struct CoarsePairs {
    /// Frames between the grid times whose pairs are kept.
    pub stride: usize,
    /// The pairs kept (`i < j`, canonical order).
    pub pairs: TimePairs,
}

/// Number of pairs `i < j < n_t` with `i` or `j` on the grid of every `stride`-th frame.
fn pair_count(n_t: usize, stride: usize) -> usize {
    let off_grid = n_t - n_t.div_ceil(stride);
    n_t * n_t.saturating_sub(1) / 2 - off_grid * off_grid.saturating_sub(1) / 2
}

/// The pairs of [`pair_count`], in canonical order.
fn select_pairs(n_t: usize, stride: usize) -> TimePairs {
    let mut list = Vec::with_capacity(pair_count(n_t, stride));
    for i in 0..n_t {
        if i % stride == 0 {
            list.extend((i + 1..n_t).map(|j| (i, j)));
        } else {
            list.extend((i + 1..n_t).filter(|j| j % stride == 0).map(|j| (i, j)));
        }
    }
    TimePairs::new(n_t, list).expect("pairs are i < j < n_t, each once")
}

/// The coarse subset for a problem of `n_points` points on `n_t` times, or None when the
/// stage does not apply (disabled, at most `min_points` points, or no stride makes the
/// subset smaller than a quarter of the data).
///
/// The coarse objective takes one residual per pair, the upper triangle's, even when the
/// full objective counts both triangles: `pair_points` is the number of pairs times
/// angles that enter (`n_points`, or half of it for both triangles).
pub fn plan(
    n_t: usize,
    n_points: usize,
    pair_points: usize,
    options: &CoarseOptions,
) -> Option<CoarsePairs> {
    if !options.enabled || n_points <= options.min_points || n_t < 4 {
        return None;
    }
    let all = n_t * (n_t - 1) / 2;
    // Points scale with the pairs kept (masked points are spread alike).
    let points_of =
        |stride: usize| pair_count(n_t, stride) as f64 / all as f64 * pair_points as f64;
    let stride = (2..=n_t)
        .find(|&s| points_of(s) <= options.target_points as f64)
        .unwrap_or(n_t);
    if points_of(stride) > 0.25 * pair_points as f64 {
        return None;
    }
    Some(CoarsePairs {
        stride,
        pairs: select_pairs(n_t, stride),
    })
}

/// The pairs pair counts are planned on: the full objective's points, or half of them
/// when it counts both triangles (the subset takes one residual per pair).
fn pair_points(problem: &Problem<'_>) -> usize {
    match problem.triangles() {
        Triangles::Upper => problem.n_points(),
        Triangles::Both => problem.n_points() / 2,
    }
}

/// The coarse subset of a prepared problem, as [`crate::Fitter`] plans its coarse stage:
/// the pairs of [`plan`] with the points they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct CoarseSubset {
    /// Frames between the grid times whose pairs are kept.
    pub stride: usize,
    /// The pairs kept (`i < j`, canonical order).
    pub pairs: TimePairs,
    /// Points of the subset objective (finite data, valid sigma).
    pub n_points: usize,
    /// Points of the full objective.
    pub n_points_full: usize,
}

impl CoarseSubset {
    /// The subset for `problem` under `options`, or `None` when the stage does not apply
    /// ([`plan`] declines: disabled, at most `min_points` points, or no stride gains a
    /// factor 4) or the subset would not hold more points than there are parameters.
    pub fn plan(problem: &Problem<'_>, options: &CoarseOptions) -> Result<Option<Self>, NlsqError> {
        let n_t = problem.experiment().n_t();
        let Some(CoarsePairs { stride, pairs }) =
            plan(n_t, problem.n_points(), pair_points(problem), options)
        else {
            return Ok(None);
        };
        let n_points = count(&Subset {
            problem,
            pairs: &pairs,
        })?;
        if n_points <= problem.layout().n_params() {
            return Ok(None);
        }
        Ok(Some(CoarseSubset {
            stride,
            pairs,
            n_points,
            n_points_full: problem.n_points(),
        }))
    }

    /// One line for reports: stride and sizes.
    pub fn describe(&self) -> String {
        format!(
            "coarse subset of the time pairs (every pair with a time on the grid of every \
             {}th frame): {} of {} points",
            self.stride, self.n_points, self.n_points_full
        )
    }

    /// `problem`'s objective restricted to the subset (`problem` is the one it was
    /// planned for).
    pub fn objective<'p, 'a>(&'p self, problem: &'p Problem<'a>) -> Subset<'p, 'a> {
        Subset {
            problem,
            pairs: &self.pairs,
        }
    }
}

/// A problem's objective restricted to a list of time pairs, one residual (the upper
/// triangle's) per pair and angle (same data, sigma, layout and loss).
pub struct Subset<'p, 'a> {
    /// The full objective.
    pub problem: &'p Problem<'a>,
    /// The pairs kept.
    pub pairs: &'p TimePairs,
}

impl Subset<'_, '_> {
    fn points(&self) -> PointSet<'_> {
        PointSet::Pairs {
            pairs: self.pairs,
            // One residual per pair: a subset of the full objective's points either way.
            triangles: Triangles::Upper,
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

    fn curvature(&self, x: &[f64], v: &[f64]) -> Option<Result<Vec<f64>, NlsqError>> {
        let p = self.problem;
        Some(
            normal::curvature_along(
                p.experiment(),
                p.layout(),
                &p.data(),
                x,
                v,
                GEODESIC_H,
                &self.points(),
                &p.loss(),
                Par::rayon(0),
            )
            .map_err(Into::into),
        )
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
pub fn count(subset: &Subset<'_, '_>) -> Result<usize, NlsqError> {
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
        for (n_t, stride) in [(50, 4), (51, 5), (10, 2), (37, 3), (9, 9), (5, 7)] {
            let pairs = select_pairs(n_t, stride);
            assert_eq!(pairs.len(), pair_count(n_t, stride), "{n_t} {stride}");
            assert!(
                pairs
                    .iter()
                    .all(|(i, j)| i % stride == 0 || j % stride == 0)
            );
        }
        // Stride 1: every pair.
        assert_eq!(pair_count(10, 1), 45);
    }

    #[test]
    fn plan_reaches_the_target_or_declines() {
        let opts = CoarseOptions {
            enabled: true,
            min_points: 1_000,
            target_points: 20_000,
        };
        let n_t = 400;
        let n_points = 3 * n_t * (n_t - 1) / 2;
        let p = plan(n_t, n_points, n_points, &opts).unwrap();
        let pts = p.pairs.len() * 3;
        assert!(pts <= 20_000 && pts > 10_000, "{pts}");
        // Every lag from 1 to n_t - 1 appears.
        let mut lags = vec![false; n_t];
        p.pairs.iter().for_each(|(i, j)| lags[j - i] = true);
        assert!(lags[1..].iter().all(|&l| l));
        assert!(plan(n_t, 900, 900, &opts).is_none());
        // Both triangles: the same pairs, one residual each.
        let both = plan(n_t, 2 * n_points, n_points, &opts).unwrap();
        assert_eq!(both.stride, p.stride);
        let off = CoarseOptions {
            enabled: false,
            ..opts.clone()
        };
        assert!(plan(n_t, n_points, n_points, &off).is_none());
        // A target near the data size leaves nothing to gain.
        let big = CoarseOptions {
            target_points: n_points,
            ..opts
        };
        assert!(plan(n_t, n_points, n_points, &big).is_none());
    }
}
