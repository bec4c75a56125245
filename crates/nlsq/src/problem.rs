//! The objective of a fit, prepared once and evaluated at many points.
//!
//! [`Problem`] binds the experiment, data, sigma, parameter layout, bounds and loss, and
//! the row chunks an evaluation is split into. It implements [`Objective`] (cost, and
//! normal equations `J^T J`, `J^T r`), which is all the local solvers need, so a global
//! search can build one `Problem` and start [`crate::solver`] from many points.
//! [`Normalized`] presents any objective in bounds-normalised variables `u in [0, 1]`.

use std::ops::Range;

use homodyne_model::Experiment;
use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{self, CostSummary, FitData, NormalEquations, Sigma};
use ndarray::ArrayView3;

use crate::error::NlsqError;
use crate::loss::RobustLoss;

/// What a local solver needs from an objective. `cost` is the
/// sum of the loss contributions `sum rho` (equal to chi^2 for the linear loss); the
/// solvers minimise `cost / 2` as scipy does.
pub trait Objective: Sync {
    fn n_params(&self) -> usize;
    /// chi^2, cost, `J^T J` and `J^T r` (loss-scaled) at `x`.
    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError>;
    /// chi^2 and cost at `x`, without derivatives.
    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError>;
}

/// A prepared fitting problem.
pub struct Problem<'a> {
    experiment: &'a Experiment,
    data: FitData<'a>,
    layout: ParameterLayout,
    lower: Vec<f64>,
    upper: Vec<f64>,
    weight: RobustLoss,
    chunks: Vec<Range<usize>>,
    n_points: usize,
}

impl<'a> Problem<'a> {
    /// `sigma = None` means the reference's uniform 0.01. `chunks` are row ranges
    /// covering `0..n_t` (one range `0..n_t` for the standard path).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        experiment: &'a Experiment,
        c2: ArrayView3<'a, f64>,
        sigma: Option<ArrayView3<'a, f64>>,
        layout: ParameterLayout,
        lower: Vec<f64>,
        upper: Vec<f64>,
        weight: RobustLoss,
        chunks: Vec<Range<usize>>,
    ) -> Result<Self, NlsqError> {
        let sigma = match sigma {
            Some(view) => Sigma::PerPoint(view),
            None => Sigma::Uniform(0.01),
        };
        let data = FitData::new(experiment, c2, sigma)?;
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
        let n_points = data.n_valid_points();
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
            data,
            layout,
            lower,
            upper,
            weight,
            chunks,
            n_points,
        })
    }

    pub fn experiment(&self) -> &Experiment {
        self.experiment
    }
    pub fn layout(&self) -> &ParameterLayout {
        &self.layout
    }
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }
    pub fn loss(&self) -> RobustLoss {
        self.weight
    }
    /// Off-diagonal points with finite data and valid sigma.
    pub fn n_points(&self) -> usize {
        self.n_points
    }
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
        for rows in &self.chunks {
            let part = normal::normal_equations(
                self.experiment,
                &self.layout,
                &self.data,
                x,
                rows.clone(),
                &self.weight,
            )?;
            if self.chunks.len() == 1 {
                return Ok(part);
            }
            total.add(&part);
        }
        Ok(total)
    }

    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError> {
        let mut total = CostSummary::default();
        for rows in &self.chunks {
            let part = normal::cost(
                self.experiment,
                &self.layout,
                &self.data,
                x,
                rows.clone(),
                &self.weight,
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

    pub fn to_x(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(self.lower.iter().zip(&self.width))
            .map(|(u, (l, w))| l + w * u)
            .collect()
    }

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
}
