//! The coarse subset the search works on for large data: the screening, the evolution
//! and the local solves from every start use the objective restricted to a
//! deterministic subset of the time pairs; only the best basins are then refined on
//! every point.
//!
//! The subset is the local fit's coarse stage's ([`homodyne_nlsq::CoarseStage`],
//! configured by the same [`CoarseOptions`]): the unordered pairs `(i, j)` of which at
//! least one time is on the grid of every `stride`-th frame, `stride` the smallest that
//! leaves at most `target_points` points, used only when the data have more than
//! `min_points` points and the subset is below a quarter of them. Every lag and every
//! time appears, the model is evaluated at the exact times of each pair (the integrals
//! over the full frame grid), one residual per pair (the upper triangle's), so the
//! subset objective is the full one restricted to some of its points and its minima are
//! statistically consistent estimates of the full ones.
//!
//! nlsq keeps its pair selection private (`coarse::plan`), so the rule is restated here
//! over the model crate's public point-set API; it is to be replaced by nlsq's when that
//! is exported.

use homodyne_model::normal::{self, CostSummary, NormalEquations, Sigma};
use homodyne_model::{FitData, Par, PointSet, TimePairs, Triangles};
use homodyne_nlsq::{CoarseOptions, NlsqError, NoiseLevel, Objective, Problem};

/// A deterministic subset of the time pairs of a large problem.
#[derive(Debug, Clone)]
pub struct CoarseSubset {
    /// Frames between the grid times whose pairs are kept.
    pub stride: usize,
    /// The pairs kept (i < j).
    pub pairs: TimePairs,
    /// Points of the subset objective (finite data, valid sigma).
    pub n_points: usize,
    /// Points of the full objective.
    pub n_points_full: usize,
}

/// Pairs `i < j < n_t` with `i` or `j` on the grid of every `stride`-th frame.
fn pair_count(n_t: usize, stride: usize) -> usize {
    let off = n_t - n_t.div_ceil(stride);
    n_t * n_t.saturating_sub(1) / 2 - off * off.saturating_sub(1) / 2
}

fn sigma_of<'s>(noise: &'s NoiseLevel<'_>) -> Sigma<'s> {
    match noise {
        NoiseLevel::Uniform(s) => Sigma::Uniform(*s),
        NoiseLevel::PerAngle(s) => Sigma::PerAngle(s),
        NoiseLevel::PerPoint(v) => Sigma::PerPoint(v.view()),
    }
}

fn data<'s>(problem: &'s Problem<'_>) -> Result<FitData<'s>, NlsqError> {
    Ok(problem
        .c2()
        .fit_data(problem.experiment(), sigma_of(problem.sigma()))?)
}

impl CoarseSubset {
    /// The subset for `problem` under `options`, or `None` when the data are small
    /// (at most `min_points`), the stage is disabled, or no stride gains a factor 4.
    pub fn plan(problem: &Problem<'_>, options: &CoarseOptions) -> Result<Option<Self>, NlsqError> {
        let n_t = problem.experiment().n_t();
        let n_points = problem.n_points();
        if !options.enabled || n_points <= options.min_points || n_t < 4 {
            return Ok(None);
        }
        let pair_points = match problem.triangles() {
            Triangles::Upper => n_points,
            Triangles::Both => n_points / 2,
        };
        let all = n_t * (n_t - 1) / 2;
        let points_of = |s: usize| pair_count(n_t, s) as f64 / all as f64 * pair_points as f64;
        let stride = (2..=n_t)
            .find(|&s| points_of(s) <= options.target_points as f64)
            .unwrap_or(n_t);
        if points_of(stride) > 0.25 * pair_points as f64 {
            return Ok(None);
        }
        let mut list = Vec::with_capacity(pair_count(n_t, stride));
        for i in 0..n_t {
            if i % stride == 0 {
                list.extend((i + 1..n_t).map(|j| (i, j)));
            } else {
                list.extend((i + 1..n_t).filter(|j| j % stride == 0).map(|j| (i, j)));
            }
        }
        let pairs = TimePairs::new(n_t, list)?;
        let n = normal::count_points(
            &data(problem)?,
            &PointSet::pairs(&pairs, Triangles::Upper),
            Par::rayon(0),
        )?;
        if n <= problem.n_params() {
            return Ok(None);
        }
        Ok(Some(CoarseSubset {
            stride,
            pairs,
            n_points: n,
            n_points_full: n_points,
        }))
    }

    /// One line for the record: stride and sizes.
    pub fn describe(&self) -> String {
        format!(
            "coarse subset of the time pairs (every pair with a time on the grid of every \
             {}th frame): {} of {} points",
            self.stride, self.n_points, self.n_points_full
        )
    }

    /// The problem's objective restricted to the subset.
    pub fn objective<'s, 'p, 'a>(
        &'s self,
        problem: &'p Problem<'a>,
    ) -> SubsetObjective<'s, 'p, 'a> {
        SubsetObjective {
            problem,
            pairs: &self.pairs,
        }
    }
}

/// A problem's objective over the pairs of a [`CoarseSubset`] (same data, sigma, layout
/// and loss; one residual per pair).
pub struct SubsetObjective<'s, 'p, 'a> {
    problem: &'p Problem<'a>,
    pairs: &'s TimePairs,
}

impl SubsetObjective<'_, '_, '_> {
    fn points(&self) -> PointSet<'_> {
        PointSet::pairs(self.pairs, Triangles::Upper)
    }
}

impl Objective for SubsetObjective<'_, '_, '_> {
    fn n_params(&self) -> usize {
        self.problem.layout().n_params()
    }

    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError> {
        let p = self.problem;
        Ok(normal::normal_equations_over(
            p.experiment(),
            p.layout(),
            &data(p)?,
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
            &data(p)?,
            x,
            &self.points(),
            &p.loss(),
            Par::rayon(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_count_matches_the_rule() {
        for (n_t, s) in [(50, 4), (51, 5), (10, 2), (9, 9)] {
            let n = (0..n_t)
                .flat_map(|i| (i + 1..n_t).map(move |j| (i, j)))
                .filter(|(i, j)| i % s == 0 || j % s == 0)
                .count();
            assert_eq!(n, pair_count(n_t, s));
        }
    }
}
