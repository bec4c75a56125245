//! Least-squares building blocks on the data grid: chi^2, J^T J and J^T r accumulated in
//! parallel row tiles without ever storing the Jacobian, plus dense Jacobians for small
//! problems and checks.
//!
//! The objective is the same at every data size (DECISIONS 6): residuals
//! `r = (c2 - g2) / sigma` over every off-diagonal (phi, t1, t2) point whose data and
//! sigma are finite (sigma > 0). The model is symmetric in (t1, t2), so each model value
//! and gradient is computed once for the pair (i, j), (j, i) and used for both residuals.
//! `J = dr/dx = -dg2/dx / sigma`; a Gauss-Newton step solves `J^T J dx = -J^T r`.

use std::ops::Range;

use ndarray::{Array2, ArrayView3};
use rayon::prelude::*;

use crate::derivatives::{DerivRow, DerivativeKernel};
use crate::error::ModelError;
use crate::experiment::Experiment;
use crate::forward::RowBuffers;
use crate::layout::ParameterLayout;

/// Measurement uncertainty of c2.
#[derive(Debug, Clone, Copy)]
pub enum Sigma<'a> {
    /// One sigma for every point (the reference's default is 0.01).
    Uniform(f64),
    /// Per-point sigma, same shape as c2.
    PerPoint(ArrayView3<'a, f64>),
}

/// Data to fit: c2 of shape (n_phi, n_t, n_t) on the experiment's grid, and sigma.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    c2: &'a [f64],
    sigma: SigmaSlice<'a>,
    n_phi: usize,
    n_t: usize,
}

#[derive(Debug, Clone, Copy)]
enum SigmaSlice<'a> {
    Uniform(f64),
    PerPoint(&'a [f64]),
}

impl<'a> FitData<'a> {
    /// Check shapes against the experiment; arrays must be in standard (C) layout.
    pub fn new(
        experiment: &Experiment,
        c2: ArrayView3<'a, f64>,
        sigma: Sigma<'a>,
    ) -> Result<Self, ModelError> {
        let expected = vec![experiment.n_phi(), experiment.n_t(), experiment.n_t()];
        if c2.shape() != expected.as_slice() {
            return Err(ModelError::Shape {
                got: c2.shape().to_vec(),
                expected,
            });
        }
        let c2s = c2.to_slice().ok_or_else(|| {
            ModelError::Invalid("c2 must be a contiguous (standard layout) array".into())
        })?;
        let sigma = match sigma {
            Sigma::Uniform(s) if s.is_finite() && s > 0.0 => SigmaSlice::Uniform(s),
            Sigma::Uniform(s) => {
                return Err(ModelError::Invalid(format!(
                    "sigma = {s} must be finite and positive"
                )));
            }
            Sigma::PerPoint(view) => {
                if view.shape() != expected.as_slice() {
                    return Err(ModelError::Shape {
                        got: view.shape().to_vec(),
                        expected,
                    });
                }
                SigmaSlice::PerPoint(view.to_slice().ok_or_else(|| {
                    ModelError::Invalid("sigma must be a contiguous array".into())
                })?)
            }
        };
        Ok(FitData {
            c2: c2s,
            sigma,
            n_phi: experiment.n_phi(),
            n_t: experiment.n_t(),
        })
    }

    /// `1/sigma` at flat index `idx`, or None if the point is excluded.
    #[inline(always)]
    fn inv_sigma(&self, idx: usize) -> Option<f64> {
        let value = self.c2[idx];
        if !value.is_finite() {
            return None;
        }
        match self.sigma {
            SigmaSlice::Uniform(s) => Some(1.0 / s),
            SigmaSlice::PerPoint(s) => {
                let s = s[idx];
                (s.is_finite() && s > 0.0).then(|| 1.0 / s)
            }
        }
    }

    /// Number of points in the objective.
    pub fn n_valid_points(&self) -> usize {
        let n = self.n_t;
        (0..self.n_phi * n * n)
            .filter(|&idx| (idx / n) % n != idx % n && self.inv_sigma(idx).is_some())
            .count()
    }
}

/// How one residual enters the objective (robust losses live in the fitting crate).
pub trait ResidualWeight: Sync {
    /// For scaled residual `r`: `(cost contribution, jacobian factor a, residual factor b)`
    /// so that the weighted system uses `a J` and `b r`; plain least squares is `(r^2, 1, 1)`.
    fn weigh(&self, r: f64) -> (f64, f64, f64);
}

/// Plain (linear) least squares.
#[derive(Debug, Clone, Copy, Default)]
pub struct Linear;

impl ResidualWeight for Linear {
    #[inline(always)]
    fn weigh(&self, r: f64) -> (f64, f64, f64) {
        (r * r, 1.0, 1.0)
    }
}

/// Accumulated normal equations over a set of points.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalEquations {
    /// Length of x.
    pub n_params: usize,
    /// Sum of squared residuals (loss-free).
    pub chi2: f64,
    /// Sum of the weighted cost contributions (equals chi2 for [`Linear`]).
    pub cost: f64,
    /// Row-major n_params x n_params.
    pub jtj: Vec<f64>,
    pub jtr: Vec<f64>,
    /// Points that entered.
    pub n_points: usize,
}

impl NormalEquations {
    pub fn zeros(n_params: usize) -> Self {
        NormalEquations {
            n_params,
            chi2: 0.0,
            cost: 0.0,
            jtj: vec![0.0; n_params * n_params],
            jtr: vec![0.0; n_params],
            n_points: 0,
        }
    }

    /// Add another accumulation (e.g. from another chunk of rows).
    pub fn add(&mut self, other: &NormalEquations) {
        self.chi2 += other.chi2;
        self.cost += other.cost;
        self.n_points += other.n_points;
        self.jtj
            .iter_mut()
            .zip(&other.jtj)
            .for_each(|(a, b)| *a += b);
        self.jtr
            .iter_mut()
            .zip(&other.jtr)
            .for_each(|(a, b)| *a += b);
    }
}

/// Cost of x over rows `rows` (both triangles of each row pair), without derivatives.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CostSummary {
    pub chi2: f64,
    pub cost: f64,
    pub n_points: usize,
}

fn check(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: Option<&FitData>,
    x: &[f64],
) -> Result<(), ModelError> {
    if let Some(d) = data
        && (d.n_phi, d.n_t) != (experiment.n_phi(), experiment.n_t())
    {
        return Err(ModelError::Shape {
            got: vec![d.n_phi, d.n_t, d.n_t],
            expected: vec![experiment.n_phi(), experiment.n_t(), experiment.n_t()],
        });
    }
    if x.len() != layout.n_params() {
        return Err(ModelError::Invalid(format!(
            "parameter vector has {} entries; the layout expects {}",
            x.len(),
            layout.n_params()
        )));
    }
    if layout.n_phi() != experiment.n_phi() {
        return Err(ModelError::PerAngleLength {
            name: "scaling layout",
            got: layout.n_phi(),
            expected: experiment.n_phi(),
        });
    }
    if let Some((k, v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ModelError::NonFinite {
            name: format!("x[{k}]"),
            value: *v,
        });
    }
    Ok(())
}

/// Per-thread, per-angle accumulator over the local gradient `[c, o, physical...]`.
struct LocalAccumulator<const L: usize> {
    /// Per angle: upper triangle of the local J^T J, row-major L x L.
    jtj: Vec<f64>,
    jtr: Vec<f64>,
    chi2: f64,
    cost: f64,
    n_points: usize,
    row: DerivRow,
}

impl<const L: usize> LocalAccumulator<L> {
    fn new(n_phi: usize) -> Self {
        LocalAccumulator {
            jtj: vec![0.0; n_phi * L * L],
            jtr: vec![0.0; n_phi * L],
            chi2: 0.0,
            cost: 0.0,
            n_points: 0,
            row: DerivRow::default(),
        }
    }

    fn merge(mut self, other: Self) -> Self {
        self.jtj
            .iter_mut()
            .zip(&other.jtj)
            .for_each(|(a, b)| *a += b);
        self.jtr
            .iter_mut()
            .zip(&other.jtr)
            .for_each(|(a, b)| *a += b);
        self.chi2 += other.chi2;
        self.cost += other.cost;
        self.n_points += other.n_points;
        self
    }
}

/// chi^2, J^T J and J^T r of the objective at `x`, over pairs of rows `rows`
/// (row i covers the points (i, j) and (j, i) for j > i; pass `0..n_t` for all).
pub fn normal_equations(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &FitData,
    x: &[f64],
    rows: Range<usize>,
    weight: &impl ResidualWeight,
) -> Result<NormalEquations, ModelError> {
    check(experiment, layout, Some(data), x)?;
    let decoded = layout.decode(x);
    let kernel = DerivativeKernel::new(experiment, &decoded.physical);
    let rows = rows.start.min(experiment.n_t())..rows.end.min(experiment.n_t());
    if kernel.laminar() {
        Ok(accumulate::<9>(
            layout,
            data,
            &kernel,
            &decoded.contrast,
            &decoded.offset,
            rows,
            weight,
        ))
    } else {
        Ok(accumulate::<5>(
            layout,
            data,
            &kernel,
            &decoded.contrast,
            &decoded.offset,
            rows,
            weight,
        ))
    }
}

fn accumulate<const L: usize>(
    layout: &ParameterLayout,
    data: &FitData,
    kernel: &DerivativeKernel,
    contrast: &[f64],
    offset: &[f64],
    rows: Range<usize>,
    weight: &impl ResidualWeight,
) -> NormalEquations {
    let (n_phi, n) = (data.n_phi, data.n_t);
    let local = rows
        .into_par_iter()
        .fold(
            || LocalAccumulator::<L>::new(n_phi),
            |mut acc, i| {
                kernel.fill(i, i + 1, &mut acc.row);
                let row = std::mem::take(&mut acc.row);
                for a in 0..n_phi {
                    let (c, o) = (contrast[a], offset[a]);
                    let base = a * n * n;
                    let jtj = &mut acc.jtj[a * L * L..(a + 1) * L * L];
                    let jtr = &mut acc.jtr[a * L..(a + 1) * L];
                    let (mut chi2, mut cost, mut count) = (0.0, 0.0, 0usize);
                    kernel.visit::<L>(a, &row, |k, g1, dg1| {
                        let j = i + 1 + k;
                        let g2 = o + c * (g1 * g1);
                        // Gradient of g2 over the local parameters.
                        let mut g = *dg1;
                        let two_c_g1 = 2.0 * c * g1;
                        g[0] = g1 * g1;
                        g[1] = 1.0;
                        for v in g.iter_mut().skip(2) {
                            *v *= two_c_g1;
                        }
                        // Both triangles share the model value and gradient.
                        let mut w_jj = 0.0;
                        let mut w_jr = 0.0;
                        for idx in [base + i * n + j, base + j * n + i] {
                            if let Some(inv_s) = data.inv_sigma(idx) {
                                let r = (data.c2[idx] - g2) * inv_s;
                                let (rho, ja, rb) = weight.weigh(r);
                                chi2 += r * r;
                                cost += rho;
                                count += 1;
                                w_jj += ja * ja * inv_s * inv_s;
                                // J = -g * inv_s, so J^T r adds -g * inv_s * ja * rb * r.
                                w_jr -= ja * rb * r * inv_s;
                            }
                        }
                        if w_jj != 0.0 {
                            for p in 0..L {
                                let gp = g[p] * w_jj;
                                for q in p..L {
                                    jtj[p * L + q] += gp * g[q];
                                }
                                jtr[p] += g[p] * w_jr;
                            }
                        }
                    });
                    acc.chi2 += chi2;
                    acc.cost += cost;
                    acc.n_points += count;
                }
                acc.row = row;
                acc
            },
        )
        .reduce(
            || LocalAccumulator::<L>::new(n_phi),
            LocalAccumulator::merge,
        );
    assemble::<L>(layout, &local)
}

/// Map per-angle local sums to the optimiser's parameters: J^T J = sum_a T_a^T H_a T_a.
fn assemble<const L: usize>(
    layout: &ParameterLayout,
    local: &LocalAccumulator<L>,
) -> NormalEquations {
    let p = layout.n_params();
    let mut out = NormalEquations::zeros(p);
    out.chi2 = local.chi2;
    out.cost = local.cost;
    out.n_points = local.n_points;
    for a in 0..layout.n_phi() {
        let map = layout.local_to_global(a);
        let h = &local.jtj[a * L * L..(a + 1) * L * L];
        let g = &local.jtr[a * L..(a + 1) * L];
        for l1 in 0..L {
            for &(x1, b1) in &map[l1] {
                out.jtr[x1] += b1 * g[l1];
                for l2 in 0..L {
                    let hv = if l1 <= l2 {
                        h[l1 * L + l2]
                    } else {
                        h[l2 * L + l1]
                    };
                    if hv == 0.0 {
                        continue;
                    }
                    for &(x2, b2) in &map[l2] {
                        out.jtj[x1 * p + x2] += b1 * hv * b2;
                    }
                }
            }
        }
    }
    out
}

/// chi^2 and weighted cost of `x` over pairs of rows `rows`, without derivatives.
pub fn cost(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &FitData,
    x: &[f64],
    rows: Range<usize>,
    weight: &impl ResidualWeight,
) -> Result<CostSummary, ModelError> {
    check(experiment, layout, Some(data), x)?;
    let decoded = layout.decode(x);
    let kernel = crate::forward::RowKernel::new(experiment, &decoded.physical);
    let (n_phi, n) = (data.n_phi, data.n_t);
    let rows = rows.start.min(n)..rows.end.min(n);
    let summary = rows
        .into_par_iter()
        .fold(
            || (CostSummary::default(), RowBuffers::default()),
            |(mut sum, mut buf), i| {
                kernel.fill(i, &mut buf);
                for a in 0..n_phi {
                    let (c, o) = (decoded.contrast[a], decoded.offset[a]);
                    let base = a * n * n;
                    kernel.g1_row(a, &buf, |k, g1| {
                        if k == 0 {
                            return; // diagonal
                        }
                        let j = i + k;
                        let g2 = o + c * (g1 * g1);
                        for idx in [base + i * n + j, base + j * n + i] {
                            if let Some(inv_s) = data.inv_sigma(idx) {
                                let r = (data.c2[idx] - g2) * inv_s;
                                sum.chi2 += r * r;
                                sum.cost += weight.weigh(r).0;
                                sum.n_points += 1;
                            }
                        }
                    });
                }
                (sum, buf)
            },
        )
        .map(|(s, _)| s)
        .reduce(CostSummary::default, |a, b| CostSummary {
            chi2: a.chi2 + b.chi2,
            cost: a.cost + b.cost,
            n_points: a.n_points + b.n_points,
        });
    Ok(summary)
}

/// g2 and its dense Jacobian `d g2 / d x` on the full grid (diagonal included), in
/// row-major (angle, t1, t2) order: shapes (N,) and (N, n_params). Meant for small
/// grids (tests, derivative checks); fits use [`normal_equations`].
pub fn g2_jacobian(
    experiment: &Experiment,
    layout: &ParameterLayout,
    x: &[f64],
) -> Result<(Vec<f64>, Array2<f64>), ModelError> {
    check(experiment, layout, None, x)?;
    let decoded = layout.decode(x);
    let kernel = DerivativeKernel::new(experiment, &decoded.physical);
    if kernel.laminar() {
        Ok(dense::<9>(
            experiment,
            layout,
            &kernel,
            &decoded.contrast,
            &decoded.offset,
        ))
    } else {
        Ok(dense::<5>(
            experiment,
            layout,
            &kernel,
            &decoded.contrast,
            &decoded.offset,
        ))
    }
}

fn dense<const L: usize>(
    experiment: &Experiment,
    layout: &ParameterLayout,
    kernel: &DerivativeKernel,
    contrast: &[f64],
    offset: &[f64],
) -> (Vec<f64>, Array2<f64>) {
    let (n_phi, n, p) = (experiment.n_phi(), experiment.n_t(), layout.n_params());
    let mut values = vec![0.0; n_phi * n * n];
    let mut jac = Array2::<f64>::zeros((n_phi * n * n, p));
    let mut row = DerivRow::default();
    for a in 0..n_phi {
        let map = layout.local_to_global(a);
        for i in 0..n {
            kernel.fill(i, i, &mut row);
            kernel.visit::<L>(a, &row, |k, g1, dg1| {
                let j = i + k;
                let (c, o) = (contrast[a], offset[a]);
                let mut g = *dg1;
                g[0] = g1 * g1;
                g[1] = 1.0;
                for v in g.iter_mut().skip(2) {
                    *v *= 2.0 * c * g1;
                }
                for idx in [a * n * n + i * n + j, a * n * n + j * n + i] {
                    values[idx] = o + c * (g1 * g1);
                    let mut out = jac.row_mut(idx);
                    out.fill(0.0);
                    for (l, entries) in map.iter().enumerate() {
                        for &(xi, b) in entries {
                            out[xi] += b * g[l];
                        }
                    }
                }
            });
        }
    }
    (values, jac)
}
