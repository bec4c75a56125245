//! The objective of a fit, prepared once and evaluated at many points.
//!
//! [`Problem`] binds the experiment, data, sigma ([`NoiseLevel`]), the points that count
//! ([`Triangles`]: each unordered time pair once for symmetric data, both triangles
//! otherwise), parameter layout, bounds and loss, and the row chunks an evaluation is
//! split into. It implements [`Objective`] (cost, and
//! normal equations `J^T J`, `J^T r`), which is all the local solvers need, so a global
//! search can build one `Problem` and start [`crate::solver`] from many points.
//! [`Normalized`] presents any objective in bounds-normalised variables `u in [0, 1]`.

use std::ops::Range;

use homodyne_model::Experiment;
use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{self, CostSummary, FitData, NormalEquations, Sigma};
use homodyne_model::{C2View, Par, PointSet, Triangles};
use ndarray::ArrayView3;
use serde::Serialize;

use crate::error::NlsqError;
use crate::loss::RobustLoss;

/// What a local solver needs from an objective. `cost` is the
/// sum of the loss contributions `sum rho` (equal to chi^2 for the linear loss); the
/// solvers minimise `cost / 2` as scipy does.
pub trait Objective: Sync {
    /// Number of optimiser variables.
    fn n_params(&self) -> usize;
    /// chi^2, cost, `J^T J` and `J^T r` (loss-scaled) at `x`.
    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError>;
    /// chi^2 and cost at `x`, without derivatives.
    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError>;
    /// `J^T r_vv` at `x` along `v`, the right-hand side of the geodesic acceleration of
    /// the step `v` ([`homodyne_model::normal::curvature_along`] with `h` =
    /// [`GEODESIC_H`]); `None` when the objective cannot compute it.
    fn curvature(&self, _x: &[f64], _v: &[f64]) -> Option<Result<Vec<f64>, NlsqError>> {
        None
    }
}

/// Finite-difference step, in units of the step `v`, of the residuals' second
/// directional derivative (Transtrum and Sethna's choice).
pub const GEODESIC_H: f64 = 0.1;

/// The measurement uncertainty sigma that residuals `(c2 - g2) / sigma` are divided by.
#[derive(Debug, Clone, PartialEq)]
pub enum NoiseLevel<'a> {
    /// One sigma for every point.
    Uniform(f64),
    /// One sigma per angle (length n_phi), e.g. measured by
    /// [`homodyne_model::noise::estimate_sigma`]; no per-point array is allocated.
    PerAngle(Vec<f64>),
    /// Per-point sigma, the shape of c2 (invalid entries exclude their points).
    PerPoint(ArrayView3<'a, f64>),
}

impl NoiseLevel<'_> {
    fn as_sigma(&self) -> Sigma<'_> {
        match self {
            NoiseLevel::Uniform(s) => Sigma::Uniform(*s),
            NoiseLevel::PerAngle(s) => Sigma::PerAngle(s),
            NoiseLevel::PerPoint(v) => Sigma::PerPoint(v.view()),
        }
    }

    /// sigma of each of `n_phi` angles: the value, or for a per-point sigma the mean of
    /// the angle's valid (finite, positive) off-diagonal entries (NaN when it has none).
    pub fn per_angle(&self, n_phi: usize) -> Vec<f64> {
        match self {
            NoiseLevel::Uniform(s) => vec![*s; n_phi],
            NoiseLevel::PerAngle(s) => s.clone(),
            NoiseLevel::PerPoint(v) => v
                .outer_iter()
                .map(|m| {
                    let (mut sum, mut count) = (0.0, 0usize);
                    for ((i, j), &s) in m.indexed_iter() {
                        if i != j && s.is_finite() && s > 0.0 {
                            sum += s;
                            count += 1;
                        }
                    }
                    if count == 0 {
                        f64::NAN
                    } else {
                        sum / count as f64
                    }
                })
                .collect(),
        }
    }
}

/// Which points of the grid the objective counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointsCounted {
    /// Each unordered time pair (i < j) once, from the upper triangle: the two triangles
    /// of symmetric data are one measurement.
    UniquePairs,
    /// Every off-diagonal point, both triangles (independent measurements).
    BothTriangles,
}

impl PointsCounted {
    /// From the data's symmetry.
    pub fn for_symmetry(symmetric: bool) -> Self {
        if symmetric {
            PointsCounted::UniquePairs
        } else {
            PointsCounted::BothTriangles
        }
    }

    /// `unique_pairs` or `both_triangles`.
    pub fn as_str(self) -> &'static str {
        match self {
            PointsCounted::UniquePairs => "unique_pairs",
            PointsCounted::BothTriangles => "both_triangles",
        }
    }

    /// A phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            PointsCounted::UniquePairs => "upper triangle (each measurement once)",
            PointsCounted::BothTriangles => "both triangles (independent measurements)",
        }
    }

    /// The model's residuals per time pair.
    pub fn triangles(self) -> Triangles {
        match self {
            PointsCounted::UniquePairs => Triangles::Upper,
            PointsCounted::BothTriangles => Triangles::Both,
        }
    }
}

/// How sigma was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SigmaMethod {
    /// Measured per angle from the data ([`homodyne_model::noise::estimate_sigma`]).
    Estimated,
    /// A value given in the options (`optimization.nlsq.sigma`).
    Configured,
    /// A per-point array given by the caller.
    PerPoint,
    /// The reference's 0.01, used because the data were too few to measure it.
    Default,
}

impl SigmaMethod {
    /// `estimated`, `configured`, `per_point` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigmaMethod::Estimated => "estimated",
            SigmaMethod::Configured => "configured",
            SigmaMethod::PerPoint => "per_point",
            SigmaMethod::Default => "default",
        }
    }

    /// A phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            SigmaMethod::Estimated => "estimated from the data (second-difference MAD)",
            SigmaMethod::Configured => "configured",
            SigmaMethod::PerPoint => "per-point array",
            SigmaMethod::Default => "default 0.01 (too few points to estimate)",
        }
    }
}

/// How the data entered the objective: which points, divided by which sigma.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveInfo {
    /// c2 equals its transpose (APS half matrices rebuilt as `half + half^T`).
    pub symmetric_data: bool,
    /// The points counted in chi^2, the point count, the degrees of freedom and the
    /// covariance.
    pub points: PointsCounted,
    /// sigma of each angle (for a per-point sigma, the mean of the angle's entries).
    pub sigma: Vec<f64>,
    /// How sigma was obtained.
    pub sigma_method: SigmaMethod,
}

impl ObjectiveInfo {
    /// Mean sigma over the angles with a finite value.
    pub fn sigma_mean(&self) -> f64 {
        let finite: Vec<f64> = self
            .sigma
            .iter()
            .copied()
            .filter(|s| s.is_finite())
            .collect();
        finite.iter().sum::<f64>() / finite.len() as f64
    }
}

/// A prepared fitting problem.
pub struct Problem<'a> {
    experiment: &'a Experiment,
    c2: C2View<'a>,
    sigma: NoiseLevel<'a>,
    triangles: Triangles,
    layout: ParameterLayout,
    lower: Vec<f64>,
    upper: Vec<f64>,
    weight: RobustLoss,
    chunks: Vec<Range<usize>>,
    n_points: usize,
}

impl<'a> Problem<'a> {
    /// `triangles` says which residuals each unordered time pair contributes
    /// ([`Triangles::Upper`] for symmetric data, see [`PointsCounted`]). `chunks` are row
    /// ranges covering `0..n_t` (one range `0..n_t` for the standard path).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        experiment: &'a Experiment,
        c2: C2View<'a>,
        sigma: NoiseLevel<'a>,
        triangles: Triangles,
        layout: ParameterLayout,
        lower: Vec<f64>,
        upper: Vec<f64>,
        weight: RobustLoss,
        chunks: Vec<Range<usize>>,
    ) -> Result<Self, NlsqError> {
        let data = c2.fit_data(experiment, sigma.as_sigma())?;
        let p = layout.n_params();
        if lower.len() != p || upper.len() != p {
            return Err(NlsqError::Initial(format!(
                "bounds have {} / {} entries; the layout has {p} variables",
                lower.len(),
                upper.len()
            )));
        }
        for (k, (l, u)) in lower.iter().zip(&upper).enumerate() {
            if l.partial_cmp(u) != Some(std::cmp::Ordering::Less) {
                return Err(NlsqError::Bounds {
                    name: layout.names()[k].clone(),
                    min: *l,
                    max: *u,
                });
            }
        }
        let n_t = experiment.n_t();
        let covered: usize = chunks.iter().map(|r| r.len()).sum();
        if covered != n_t || chunks.iter().any(|r| r.end > n_t) {
            return Err(NlsqError::Option {
                name: "chunks",
                message: format!("row chunks must cover 0..{n_t} exactly once"),
            });
        }
        if p == 0 {
            return Err(NlsqError::Option {
                name: "parameters",
                message: "nothing to fit: every parameter is fixed (fixed_parameters and a \
                          constant per-angle mode)"
                    .into(),
            });
        }
        let n_points = normal::count_points(
            &data,
            &PointSet::Rows {
                rows: 0..n_t,
                triangles,
            },
            Par::rayon(0),
        )?;
        if n_points == 0 {
            return Err(NlsqError::NoData);
        }
        if n_points <= p {
            return Err(NlsqError::Underdetermined {
                n_points,
                n_params: p,
            });
        }
        Ok(Problem {
            experiment,
            c2,
            sigma,
            triangles,
            layout,
            lower,
            upper,
            weight,
            chunks,
            n_points,
        })
    }

    /// The experiment (geometry, times, angles).
    pub fn experiment(&self) -> &Experiment {
        self.experiment
    }
    /// The data c2.
    pub fn c2(&self) -> C2View<'a> {
        self.c2
    }
    /// How the optimiser vector maps to physical and per-angle values.
    pub fn layout(&self) -> &ParameterLayout {
        &self.layout
    }
    /// Lower bounds of the optimiser variables.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }
    /// Upper bounds of the optimiser variables.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }
    /// The robust loss.
    pub fn loss(&self) -> RobustLoss {
        self.weight
    }
    /// Points in the objective: off-diagonal, finite data, valid sigma, counted as
    /// [`Problem::triangles`] says.
    pub fn n_points(&self) -> usize {
        self.n_points
    }
    /// Residuals per unordered time pair.
    pub fn triangles(&self) -> Triangles {
        self.triangles
    }
    /// The sigma residuals are divided by.
    pub fn sigma(&self) -> &NoiseLevel<'a> {
        &self.sigma
    }
    /// The data (checked at construction, so this cannot fail).
    pub(crate) fn data(&self) -> FitData<'_> {
        self.c2
            .fit_data(self.experiment, self.sigma.as_sigma())
            .expect("checked when the problem was built")
    }
    fn points(&self, rows: Range<usize>) -> PointSet<'static> {
        PointSet::Rows {
            rows,
            triangles: self.triangles,
        }
    }
    /// Row ranges one evaluation is split into.
    pub fn chunks(&self) -> &[Range<usize>] {
        &self.chunks
    }
}

impl Objective for Problem<'_> {
    fn n_params(&self) -> usize {
        self.layout.n_params()
    }

    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError> {
        let mut total = NormalEquations::zeros(self.layout.n_params());
        let data = self.data();
        for rows in &self.chunks {
            let part = normal::normal_equations_over(
                self.experiment,
                &self.layout,
                &data,
                x,
                &self.points(rows.clone()),
                &self.weight,
                Par::rayon(0),
            )?;
            if self.chunks.len() == 1 {
                return Ok(part);
            }
            total.add(&part);
        }
        Ok(total)
    }

    fn curvature(&self, x: &[f64], v: &[f64]) -> Option<Result<Vec<f64>, NlsqError>> {
        let data = self.data();
        let mut total = vec![0.0; self.layout.n_params()];
        for rows in &self.chunks {
            let part = normal::curvature_along(
                self.experiment,
                &self.layout,
                &data,
                x,
                v,
                GEODESIC_H,
                &self.points(rows.clone()),
                &self.weight,
                Par::rayon(0),
            );
            match part {
                Ok(part) => total.iter_mut().zip(&part).for_each(|(t, p)| *t += p),
                Err(e) => return Some(Err(e.into())),
            }
        }
        Some(Ok(total))
    }

    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError> {
        let mut total = CostSummary::default();
        let data = self.data();
        for rows in &self.chunks {
            let part = normal::cost_over(
                self.experiment,
                &self.layout,
                &data,
                x,
                &self.points(rows.clone()),
                &self.weight,
                Par::rayon(0),
            )?;
            total.chi2 += part.chi2;
            total.cost += part.cost;
            total.n_points += part.n_points;
        }
        Ok(total)
    }
}

/// An objective in normalised variables `x = lower + (upper - lower) * u`.
pub struct Normalized<'o, O: Objective + ?Sized> {
    inner: &'o O,
    lower: Vec<f64>,
    width: Vec<f64>,
}

impl<'o, O: Objective + ?Sized> Normalized<'o, O> {
    /// Infinite bounds keep their variable unscaled.
    pub fn new(inner: &'o O, lower: &[f64], upper: &[f64]) -> Self {
        let (lower, width) = lower
            .iter()
            .zip(upper)
            .map(|(&l, &u)| {
                if l.is_finite() && u.is_finite() {
                    (l, u - l)
                } else {
                    (0.0, 1.0)
                }
            })
            .unzip();
        Normalized {
            inner,
            lower,
            width,
        }
    }

    /// From normalised `u in [0, 1]` to the objective's variables.
    pub fn to_x(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(self.lower.iter().zip(&self.width))
            .map(|(u, (l, w))| l + w * u)
            .collect()
    }

    /// From the objective's variables to normalised `u in [0, 1]`.
    pub fn to_u(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(self.lower.iter().zip(&self.width))
            .map(|(x, (l, w))| (x - l) / w)
            .collect()
    }

    /// Normal equations in u mapped back to x: `J_x = J_u W^-1`.
    pub fn to_x_equations(&self, ne: &NormalEquations) -> NormalEquations {
        let mut out = ne.clone();
        let n = ne.n_params;
        for i in 0..n {
            out.jtr[i] /= self.width[i];
            for j in 0..n {
                out.jtj[i * n + j] /= self.width[i] * self.width[j];
            }
        }
        out
    }
}

impl<O: Objective + ?Sized> Objective for Normalized<'_, O> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }

    fn evaluate(&self, u: &[f64]) -> Result<NormalEquations, NlsqError> {
        let mut ne = self.inner.evaluate(&self.to_x(u))?;
        let n = ne.n_params;
        for i in 0..n {
            ne.jtr[i] *= self.width[i];
            for j in 0..n {
                ne.jtj[i * n + j] *= self.width[i] * self.width[j];
            }
        }
        Ok(ne)
    }

    fn cost(&self, u: &[f64]) -> Result<CostSummary, NlsqError> {
        self.inner.cost(&self.to_x(u))
    }

    fn curvature(&self, u: &[f64], v: &[f64]) -> Option<Result<Vec<f64>, NlsqError>> {
        // x = lower + width u: the direction scales by width, J_u = J_x W.
        let vx: Vec<f64> = v.iter().zip(&self.width).map(|(v, w)| v * w).collect();
        Some(self.inner.curvature(&self.to_x(u), &vx)?.map(|mut g| {
            g.iter_mut().zip(&self.width).for_each(|(g, w)| *g *= w);
            g
        }))
    }
}
