//! Least-squares and likelihood building blocks on the data grid: chi^2, J^T J and J^T r
//! (or chi^2 and J^T r alone) accumulated in tiles without ever storing the Jacobian,
//! plus dense Jacobians for small problems and checks.
//!
//! The objective is the same at every data size: residuals
//! `r = (c2 - g2) / sigma` over the points of a [`PointSet`] whose data and sigma are
//! finite (sigma > 0), the diagonal excluded. The model is symmetric in (t1, t2), so each
//! model value and gradient is computed once per unordered pair (i, j) and used for the
//! residuals at (i, j) and (j, i) ([`Triangles`]). `J = dr/dx = -dg2/dx / sigma`; a
//! Gauss-Newton step solves `J^T J dx = -J^T r`, and `J^T r` is the gradient of `chi2/2`.
//!
//! Every driver takes a [`Par`] and is deterministic: points are cut into tiles fixed by
//! the problem size ([`crate::par`]), each tile is summed sequentially and the tiles are
//! combined in order, so results are bit-identical for any `Par` and thread count.
//! Data come as any [`PointData`]: borrowed [`FitData`], [`OwnedFitData`] or a
//! [`ShardData`].
//!
//! [`OwnedFitData`]: crate::data::OwnedFitData
//! [`ShardData`]: crate::data::ShardData

use std::ops::Range;

use ndarray::Array2;

use crate::data::sealed::Source;
pub use crate::data::{FitData, Sigma};
use crate::data::{Lookup, MaskedGrid, PointData, ShardLookup};
use crate::derivatives::{DerivRow, DerivativeKernel};
use crate::error::ModelError;
use crate::experiment::Experiment;
use crate::forward::{RowBuffers, RowKernel};
use crate::layout::{Decoded, ParameterLayout};
use crate::par::{Par, run_tiles, tiles_by_weight, tiles_uniform};
use crate::points::{PointSet, TimePairs, Triangles};

mod gradient;

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
    /// `J^T r` (weighted: `sum a b r J`), the gradient of `cost / 2`.
    pub jtr: Vec<f64>,
    /// Points that entered.
    pub n_points: usize,
}

impl NormalEquations {
    /// Empty sums for `n_params` parameters.
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

/// Cost of x over a point set, without derivatives.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CostSummary {
    /// Sum of squared residuals.
    pub chi2: f64,
    /// Sum of the weighted cost contributions (equals chi2 for [`Linear`]).
    pub cost: f64,
    /// Points that entered.
    pub n_points: usize,
}

/// chi^2, cost and gradient over a point set, without J^T J
/// ([`value_and_gradient`]).
///
/// Sign convention: `jtr = J^T r` with `J = dr/dx = -(dg2/dx)/sigma`, i.e. the gradient
/// of `chi2 / 2` for [`Linear`] (of `cost / 2` for a robust weight with `a b = rho'`).
/// For a Gaussian likelihood `log L = -chi2 / 2`, so `d log L / dx = -jtr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueGradient {
    /// Length of x.
    pub n_params: usize,
    /// Sum of squared residuals.
    pub chi2: f64,
    /// Sum of the weighted cost contributions (equals chi2 for [`Linear`]).
    pub cost: f64,
    /// `J^T r`: the gradient of `chi2 / 2` (see the type's documentation).
    pub jtr: Vec<f64>,
    /// Points that entered.
    pub n_points: usize,
}

impl ValueGradient {
    /// `log L = -chi2 / 2` (Gaussian noise, constants dropped); its gradient is `-jtr`.
    pub fn log_likelihood(&self) -> f64 {
        -0.5 * self.chi2
    }
}

fn check(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data_shape: Option<(usize, usize)>,
    x: &[f64],
) -> Result<(), ModelError> {
    if let Some((n_phi, n_t)) = data_shape
        && (n_phi, n_t) != (experiment.n_phi(), experiment.n_t())
    {
        return Err(ModelError::Shape {
            got: vec![n_phi, n_t, n_t],
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

/// How a point set is walked: the unordered pairs of a range of rows, or of a list.
#[derive(Clone, Copy)]
enum Walk<'p> {
    /// Tiles are ranges of rows i; each row covers j = i+1..n_t.
    Rows,
    /// Tiles are ranges of pair indices in the list.
    Pairs(&'p TimePairs),
}

/// A resolved traversal: walk, residuals per pair and the fixed tiles.
struct Plan<'p> {
    walk: Walk<'p>,
    both: bool,
    tiles: Vec<Range<usize>>,
    n_phi: usize,
    n_t: usize,
}

impl Plan<'_> {
    /// Call `f(i, run)` for each maximal run of consecutive pairs with first time `i`
    /// in the pair-index range `tile`.
    #[inline]
    fn runs(pairs: &TimePairs, tile: Range<usize>, mut f: impl FnMut(usize, Range<usize>)) {
        let firsts = pairs.firsts();
        let mut p = tile.start;
        while p < tile.end {
            let i = firsts[p];
            let mut q = p + 1;
            while q < tile.end && firsts[q] == i {
                q += 1;
            }
            f(i as usize, p..q);
            p = q;
        }
    }
}

/// Where residual data come from, resolved once per evaluation.
enum AnyLookup<'a> {
    Grid(FitData<'a>),
    Masked(MaskedGrid<'a>),
    Shard(ShardLookup<'a>),
}

/// Run `$body` with `$d` bound to the concrete lookup (one monomorphised loop each).
macro_rules! with_lookup {
    ($any:expr, $d:ident => $body:expr) => {
        match $any {
            AnyLookup::Grid($d) => $body,
            AnyLookup::Masked($d) => $body,
            AnyLookup::Shard($d) => $body,
        }
    };
}

/// Check that `points` fit `data` and build the lookup and the tiles.
fn resolve<'a, D: PointData + ?Sized>(
    data: &'a D,
    points: &PointSet<'a>,
) -> Result<(AnyLookup<'a>, Plan<'a>), ModelError> {
    let (n_phi, n) = (data.n_phi(), data.n_t());
    let rows_plan = |rows: Range<usize>, both: bool| Plan {
        walk: Walk::Rows,
        both,
        tiles: tiles_by_weight(rows, |i| (n - 1 - i) * n_phi),
        n_phi,
        n_t: n,
    };
    let pairs_plan = |pairs: &'a TimePairs, triangles: Triangles| -> Result<Plan<'a>, ModelError> {
        if pairs.n_t() != n {
            return Err(ModelError::Invalid(format!(
                "pair list is for {} times; the data have {n}",
                pairs.n_t()
            )));
        }
        Ok(Plan {
            walk: Walk::Pairs(pairs),
            both: triangles == Triangles::Both,
            tiles: tiles_uniform(pairs.len(), n_phi),
            n_phi,
            n_t: n,
        })
    };
    match (data.source(), points) {
        (Source::Grid(grid), PointSet::Rows { rows, triangles }) => {
            let rows = rows.start.min(n)..rows.end.min(n);
            let both = *triangles == Triangles::Both;
            Ok((AnyLookup::Grid(grid), rows_plan(rows, both)))
        }
        (Source::Grid(grid), PointSet::Mask(mask)) => {
            if mask.len() != n_phi * n * n {
                return Err(ModelError::Shape {
                    got: vec![mask.len()],
                    expected: vec![n_phi, n, n],
                });
            }
            Ok((
                AnyLookup::Masked(MaskedGrid { grid, mask }),
                rows_plan(0..n, true),
            ))
        }
        (Source::Grid(grid), PointSet::Pairs { pairs, triangles }) => {
            Ok((AnyLookup::Grid(grid), pairs_plan(pairs, *triangles)?))
        }
        (Source::Shard(shard), PointSet::Pairs { pairs, triangles }) => {
            let own: &TimePairs = shard.pairs();
            if !std::ptr::eq(own, *pairs) && own != *pairs {
                return Err(ModelError::Invalid(
                    "a shard can only be evaluated on its own pairs (ShardData::points)".into(),
                ));
            }
            if *triangles == Triangles::Both && shard.triangles() == Triangles::Upper {
                return Err(ModelError::Invalid(
                    "the shard holds the upper triangle only; evaluate it with Triangles::Upper"
                        .into(),
                ));
            }
            Ok((
                AnyLookup::Shard(shard.lookup()),
                pairs_plan(own, *triangles)?,
            ))
        }
        (Source::Shard(_), _) => Err(ModelError::Invalid(
            "a shard can only be evaluated on its own pairs (ShardData::points)".into(),
        )),
    }
}

/// Per-tile, per-angle accumulator over the local gradient `[c, o, physical...]`.
struct LocalAccumulator<const L: usize> {
    /// Per angle: upper triangle of the local J^T J, row-major L x L (empty when only
    /// the gradient is wanted).
    jtj: Vec<f64>,
    jtr: Vec<f64>,
    chi2: f64,
    cost: f64,
    n_points: usize,
}

impl<const L: usize> LocalAccumulator<L> {
    fn new(n_phi: usize, with_jtj: bool) -> Self {
        LocalAccumulator {
            jtj: vec![0.0; if with_jtj { n_phi * L * L } else { 0 }],
            jtr: vec![0.0; n_phi * L],
            chi2: 0.0,
            cost: 0.0,
            n_points: 0,
        }
    }

    fn merge(&mut self, other: &Self) {
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
    }
}

/// Everything one tile pass needs besides the accumulator and scratch.
struct Pass<'a, D, W> {
    kernel: &'a DerivativeKernel,
    decoded: &'a Decoded,
    lookup: &'a D,
    weight: &'a W,
    both: bool,
}

impl<D: Lookup, W: ResidualWeight> Pass<'_, D, W> {
    /// Accumulate angle `a` of a filled row `i`; `pos(k)` gives the column j and the
    /// pair index of row entry `k`.
    #[inline(always)]
    fn angle<const L: usize, const JTJ: bool>(
        &self,
        acc: &mut LocalAccumulator<L>,
        row: &DerivRow,
        a: usize,
        i: usize,
        pos: impl Fn(usize) -> (usize, usize),
    ) {
        let (c, o) = (self.decoded.contrast[a], self.decoded.offset[a]);
        let (lookup, weight, both) = (self.lookup, self.weight, self.both);
        let jtj: &mut [f64] = if JTJ {
            &mut acc.jtj[a * L * L..(a + 1) * L * L]
        } else {
            &mut []
        };
        let jtr = &mut acc.jtr[a * L..(a + 1) * L];
        let (mut chi2, mut cost, mut count) = (0.0, 0.0, 0usize);
        self.kernel.visit::<L>(a, row, |k, g1, dg1| {
            let (j, p) = pos(k);
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
            let mut residual = |(value, inv_s): (f64, f64)| {
                let r = (value - g2) * inv_s;
                let (rho, ja, rb) = weight.weigh(r);
                chi2 += r * r;
                cost += rho;
                count += 1;
                w_jj += ja * ja * inv_s * inv_s;
                // J = -g * inv_s, so J^T r adds -g * inv_s * ja * rb * r.
                w_jr -= ja * rb * r * inv_s;
            };
            if let Some(point) = lookup.at(a, i, j, p) {
                residual(point);
            }
            if both && let Some(point) = lookup.at(a, j, i, p) {
                residual(point);
            }
            if w_jj != 0.0 {
                if JTJ {
                    for p in 0..L {
                        let gp = g[p] * w_jj;
                        for q in p..L {
                            jtj[p * L + q] += gp * g[q];
                        }
                        jtr[p] += g[p] * w_jr;
                    }
                } else {
                    for p in 0..L {
                        jtr[p] += g[p] * w_jr;
                    }
                }
            }
        });
        acc.chi2 += chi2;
        acc.cost += cost;
        acc.n_points += count;
    }
}

/// The tiled derivative pass: per-tile local sums, combined in tile order, mapped to x.
fn accumulate<const L: usize, const JTJ: bool, D: Lookup, W: ResidualWeight>(
    layout: &ParameterLayout,
    pass: &Pass<'_, D, W>,
    plan: &Plan<'_>,
    par: Par,
) -> NormalEquations {
    let n_phi = plan.n_phi;
    let partials = run_tiles(
        par,
        plan.tiles.clone(),
        DerivRow::default,
        |row, _, tile| {
            let mut acc = LocalAccumulator::<L>::new(n_phi, JTJ);
            match plan.walk {
                Walk::Rows => {
                    for i in tile {
                        pass.kernel.fill(i, i + 1, row);
                        for a in 0..n_phi {
                            pass.angle::<L, JTJ>(&mut acc, row, a, i, |k| (i + 1 + k, 0));
                        }
                    }
                }
                Walk::Pairs(pairs) => Plan::runs(pairs, tile, |i, run| {
                    let cols = &pairs.seconds()[run.clone()];
                    pass.kernel.fill_cols(i, cols, row);
                    for a in 0..n_phi {
                        pass.angle::<L, JTJ>(&mut acc, row, a, i, |k| {
                            (cols[k] as usize, run.start + k)
                        });
                    }
                }),
            }
            acc
        },
    );
    let mut total = LocalAccumulator::<L>::new(n_phi, JTJ);
    for part in &partials {
        total.merge(part);
    }
    assemble::<L>(layout, &total, JTJ)
}

/// Map per-angle local sums to the optimiser's parameters: J^T J = sum_a T_a^T H_a T_a.
fn assemble<const L: usize>(
    layout: &ParameterLayout,
    local: &LocalAccumulator<L>,
    with_jtj: bool,
) -> NormalEquations {
    let p = layout.n_params();
    let mut out = NormalEquations {
        n_params: p,
        chi2: local.chi2,
        cost: local.cost,
        jtj: vec![0.0; if with_jtj { p * p } else { 0 }],
        jtr: vec![0.0; p],
        n_points: local.n_points,
    };
    for a in 0..layout.n_phi() {
        let map = layout.local_to_global(a);
        let g = &local.jtr[a * L..(a + 1) * L];
        for l1 in 0..L {
            for &(x1, b1) in &map[l1] {
                out.jtr[x1] += b1 * g[l1];
            }
        }
        if !with_jtj {
            continue;
        }
        let h = &local.jtj[a * L * L..(a + 1) * L * L];
        for l1 in 0..L {
            for &(x1, b1) in &map[l1] {
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

/// Shared body of [`normal_equations_over`] and [`value_and_gradient`].
fn derivative_pass<const JTJ: bool>(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &(impl PointData + ?Sized),
    x: &[f64],
    points: &PointSet<'_>,
    weight: &impl ResidualWeight,
    par: Par,
) -> Result<NormalEquations, ModelError> {
    check(experiment, layout, Some((data.n_phi(), data.n_t())), x)?;
    let (lookup, plan) = resolve(data, points)?;
    let decoded = layout.decode(x);
    let kernel = DerivativeKernel::new(experiment, &decoded.physical);
    Ok(with_lookup!(lookup, d => {
        let pass = Pass {
            kernel: &kernel,
            decoded: &decoded,
            lookup: &d,
            weight,
            both: plan.both,
        };
        if kernel.laminar() {
            accumulate::<9, JTJ, _, _>(layout, &pass, &plan, par)
        } else {
            accumulate::<5, JTJ, _, _>(layout, &pass, &plan, par)
        }
    }))
}

/// chi^2, J^T J and J^T r of the objective at `x` over the points `points` of `data`,
/// with parallelism `par`. Bit-identical for every `par` (see the module documentation).
pub fn normal_equations_over(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &(impl PointData + ?Sized),
    x: &[f64],
    points: &PointSet<'_>,
    weight: &impl ResidualWeight,
    par: Par,
) -> Result<NormalEquations, ModelError> {
    derivative_pass::<true>(experiment, layout, data, x, points, weight, par)
}

/// chi^2, cost and `J^T r` at `x` over `points` of `data`, without J^T J: O(L) work per
/// point instead of O(L^2). This is what a log density calls: `log L = -chi2/2` and
/// `d log L / dx = -jtr` ([`ValueGradient`] documents the sign). The numbers equal
/// [`normal_equations_over`]'s up to rounding (the pass is organised differently: see
/// `normal/gradient.rs`); they are bit-identical for every `par`, and on x86_64 with or
/// without AVX2.
pub fn value_and_gradient(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &(impl PointData + ?Sized),
    x: &[f64],
    points: &PointSet<'_>,
    weight: &impl ResidualWeight,
    par: Par,
) -> Result<ValueGradient, ModelError> {
    value_and_gradient_with(
        experiment,
        layout,
        data,
        x,
        points,
        weight,
        par,
        gradient::Isa::detect(),
    )
}

/// [`value_and_gradient`] with the inner loops built for `isa`.
#[allow(clippy::too_many_arguments)]
fn value_and_gradient_with(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &(impl PointData + ?Sized),
    x: &[f64],
    points: &PointSet<'_>,
    weight: &impl ResidualWeight,
    par: Par,
    isa: gradient::Isa,
) -> Result<ValueGradient, ModelError> {
    check(experiment, layout, Some((data.n_phi(), data.n_t())), x)?;
    let (lookup, plan) = resolve(data, points)?;
    let decoded = layout.decode(x);
    let kernel = DerivativeKernel::new(experiment, &decoded.physical);
    let ne = with_lookup!(lookup, d => {
        gradient::accumulate(layout, &kernel, &decoded, &d, weight, &plan, par, isa)
    });
    Ok(ValueGradient {
        n_params: ne.n_params,
        chi2: ne.chi2,
        cost: ne.cost,
        jtr: ne.jtr,
        n_points: ne.n_points,
    })
}

/// `J^T r_vv`: the Jacobian at `x` applied to the residuals' second directional
/// derivative along `v`, `r_vv = d^2 r(x + t v) / dt^2` at `t = 0` (each residual weighted
/// as its Jacobian row, by the loss's Jacobian factor). This is the right-hand side of the
/// geodesic acceleration of a Gauss-Newton / Levenberg-Marquardt step `v` (Transtrum and
/// Sethna 2012): `a = -(J^T J + damping)^-1 J^T r_vv`.
///
/// `r_vv` does not depend on the data (`r = (c2 - g2) / sigma`, so `r_vv = -g2_vv /
/// sigma`); `g2_vv` is the finite difference `(2 / h) ((g2(x + h v) - g2(x)) / h -
/// grad g2 . v)` with the model at the exact times of each point (`h = 0.1` is the usual
/// choice: `v` is a whole step). Points that do not enter the objective contribute
/// nothing. One pass costs about one [`value_and_gradient`] plus one [`cost_over`];
/// bit-identical for every `par`.
#[allow(clippy::too_many_arguments)]
pub fn curvature_along(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &(impl PointData + ?Sized),
    x: &[f64],
    v: &[f64],
    h: f64,
    points: &PointSet<'_>,
    weight: &impl ResidualWeight,
    par: Par,
) -> Result<Vec<f64>, ModelError> {
    check(experiment, layout, Some((data.n_phi(), data.n_t())), x)?;
    if v.len() != x.len() || !(h.is_finite() && h > 0.0) {
        return Err(ModelError::Invalid(format!(
            "direction of {} entries (x has {}) and step h = {h} > 0 needed",
            v.len(),
            x.len()
        )));
    }
    let shifted: Vec<f64> = x.iter().zip(v).map(|(x, v)| x + h * v).collect();
    check(experiment, layout, None, &shifted)?;
    let (lookup, plan) = resolve(data, points)?;
    let decoded = layout.decode(x);
    let moved = layout.decode(&shifted);
    let kernel = DerivativeKernel::new(experiment, &decoded.physical);
    let forward = RowKernel::new(experiment, &moved.physical);
    let pass = CurvaturePass {
        kernel: &kernel,
        forward: &forward,
        decoded: &decoded,
        moved: &moved,
        h,
    };
    let ne = with_lookup!(lookup, d => {
        if kernel.laminar() {
            pass.accumulate::<9, _, _>(layout, &d, weight, &plan, par)
        } else {
            pass.accumulate::<5, _, _>(layout, &d, weight, &plan, par)
        }
    });
    Ok(ne.jtr)
}

/// The model at `x` (with derivatives) and at `x + h v` (values), for [`curvature_along`].
struct CurvaturePass<'a> {
    kernel: &'a DerivativeKernel,
    forward: &'a RowKernel,
    decoded: &'a Decoded,
    moved: &'a Decoded,
    h: f64,
}

impl CurvaturePass<'_> {
    fn accumulate<const L: usize, D: Lookup, W: ResidualWeight>(
        &self,
        layout: &ParameterLayout,
        lookup: &D,
        weight: &W,
        plan: &Plan<'_>,
        par: Par,
    ) -> NormalEquations {
        let n_phi = plan.n_phi;
        let h = self.h;
        // Direction of every angle's local parameters [c, o, physical...] per unit t.
        let n_phys = self.decoded.physical.len();
        let local_v: Vec<[f64; L]> = (0..n_phi)
            .map(|a| {
                let mut d = [0.0; L];
                d[0] = (self.moved.contrast[a] - self.decoded.contrast[a]) / h;
                d[1] = (self.moved.offset[a] - self.decoded.offset[a]) / h;
                for k in 0..n_phys.min(L - 2) {
                    d[2 + k] = (self.moved.physical[k] - self.decoded.physical[k]) / h;
                }
                d
            })
            .collect();
        let partials = run_tiles(
            par,
            plan.tiles.clone(),
            || {
                (
                    DerivRow::default(),
                    RowBuffers::default(),
                    Vec::<f64>::new(),
                )
            },
            |(row, buf, shifted), _, tile| {
                let mut acc = LocalAccumulator::<L>::new(n_phi, false);
                let angle = |acc: &mut LocalAccumulator<L>,
                             row: &DerivRow,
                             shifted: &mut Vec<f64>,
                             buf: &RowBuffers,
                             a: usize,
                             i: usize,
                             skip: usize,
                             pos: &dyn Fn(usize) -> (usize, usize)| {
                    let (cs, os) = (self.moved.contrast[a], self.moved.offset[a]);
                    shifted.clear();
                    self.forward.g1_row(a, buf, |k, g1| {
                        if k >= skip {
                            shifted.push(os + cs * (g1 * g1));
                        }
                    });
                    let (c, o) = (self.decoded.contrast[a], self.decoded.offset[a]);
                    let dir = &local_v[a];
                    let jr = &mut acc.jtr[a * L..(a + 1) * L];
                    self.kernel.visit::<L>(a, row, |k, g1, dg1| {
                        let (j, p) = pos(k);
                        let g2 = o + c * (g1 * g1);
                        let mut g = *dg1;
                        let two_c_g1 = 2.0 * c * g1;
                        g[0] = g1 * g1;
                        g[1] = 1.0;
                        for v in g.iter_mut().skip(2) {
                            *v *= two_c_g1;
                        }
                        let slope: f64 = g.iter().zip(dir).map(|(g, d)| g * d).sum();
                        let g2_vv = 2.0 / h * ((shifted[k] - g2) / h - slope);
                        let mut w = 0.0;
                        let mut residual = |(value, inv_s): (f64, f64)| {
                            let (_, ja, _) = weight.weigh((value - g2) * inv_s);
                            w += ja * ja * inv_s * inv_s;
                        };
                        if let Some(point) = lookup.at(a, i, j, p) {
                            residual(point);
                        }
                        if plan.both
                            && let Some(point) = lookup.at(a, j, i, p)
                        {
                            residual(point);
                        }
                        if w != 0.0 {
                            let f = w * g2_vv;
                            for q in 0..L {
                                jr[q] += g[q] * f;
                            }
                        }
                    });
                };
                match plan.walk {
                    Walk::Rows => {
                        for i in tile {
                            self.kernel.fill(i, i + 1, row);
                            self.forward.fill(i, buf);
                            for a in 0..n_phi {
                                // The forward row starts at the diagonal (entry 0).
                                angle(&mut acc, row, shifted, buf, a, i, 1, &|k| (i + 1 + k, 0));
                            }
                        }
                    }
                    Walk::Pairs(pairs) => Plan::runs(pairs, tile, |i, run| {
                        let cols = &pairs.seconds()[run.clone()];
                        self.kernel.fill_cols(i, cols, row);
                        self.forward.fill_cols(i, cols, buf);
                        for a in 0..n_phi {
                            angle(&mut acc, row, shifted, buf, a, i, 0, &|k| {
                                (cols[k] as usize, run.start + k)
                            });
                        }
                    }),
                }
                acc
            },
        );
        let mut total = LocalAccumulator::<L>::new(n_phi, false);
        for part in &partials {
            total.merge(part);
        }
        assemble::<L>(layout, &total, false)
    }
}

/// chi^2, J^T J and J^T r of the objective at `x`, over pairs of rows `rows`
/// (row i covers the points (i, j) and (j, i) for j > i; pass `0..n_t` for all), as wide
/// as the current rayon pool. Same as [`normal_equations_over`] with
/// [`PointSet::rows`]`(rows)` and [`Par::rayon`]`(0)`.
pub fn normal_equations(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &FitData,
    x: &[f64],
    rows: Range<usize>,
    weight: &impl ResidualWeight,
) -> Result<NormalEquations, ModelError> {
    normal_equations_over(
        experiment,
        layout,
        data,
        x,
        &PointSet::rows(rows),
        weight,
        Par::rayon(0),
    )
}

/// chi^2 and weighted cost of `x` over the points `points` of `data`, without
/// derivatives, with parallelism `par` (bit-identical for every `par`).
pub fn cost_over(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &(impl PointData + ?Sized),
    x: &[f64],
    points: &PointSet<'_>,
    weight: &impl ResidualWeight,
    par: Par,
) -> Result<CostSummary, ModelError> {
    check(experiment, layout, Some((data.n_phi(), data.n_t())), x)?;
    let (lookup, plan) = resolve(data, points)?;
    let decoded = layout.decode(x);
    let kernel = RowKernel::new(experiment, &decoded.physical);
    Ok(with_lookup!(lookup, d => cost_tiles(&kernel, &decoded, &d, weight, &plan, par)))
}

fn cost_tiles<D: Lookup, W: ResidualWeight>(
    kernel: &RowKernel,
    decoded: &Decoded,
    lookup: &D,
    weight: &W,
    plan: &Plan<'_>,
    par: Par,
) -> CostSummary {
    let (n_phi, both) = (plan.n_phi, plan.both);
    #[inline(always)]
    fn point<D: Lookup, W: ResidualWeight>(
        sum: &mut CostSummary,
        lookup: &D,
        weight: &W,
        g2: f64,
        (a, i, j, p): (usize, usize, usize, usize),
    ) {
        if let Some((value, inv_s)) = lookup.at(a, i, j, p) {
            let r = (value - g2) * inv_s;
            sum.chi2 += r * r;
            sum.cost += weight.weigh(r).0;
            sum.n_points += 1;
        }
    }
    let partials = run_tiles(
        par,
        plan.tiles.clone(),
        RowBuffers::default,
        |buf, _, tile| {
            let mut sum = CostSummary::default();
            match plan.walk {
                Walk::Rows => {
                    for i in tile {
                        kernel.fill(i, buf);
                        for a in 0..n_phi {
                            let (c, o) = (decoded.contrast[a], decoded.offset[a]);
                            kernel.g1_row(a, buf, |k, g1| {
                                if k == 0 {
                                    return; // diagonal
                                }
                                let j = i + k;
                                let g2 = o + c * (g1 * g1);
                                point(&mut sum, lookup, weight, g2, (a, i, j, 0));
                                if both {
                                    point(&mut sum, lookup, weight, g2, (a, j, i, 0));
                                }
                            });
                        }
                    }
                }
                Walk::Pairs(pairs) => Plan::runs(pairs, tile, |i, run| {
                    let cols = &pairs.seconds()[run.clone()];
                    kernel.fill_cols(i, cols, buf);
                    for a in 0..n_phi {
                        let (c, o) = (decoded.contrast[a], decoded.offset[a]);
                        kernel.g1_row(a, buf, |k, g1| {
                            let (j, p) = (cols[k] as usize, run.start + k);
                            let g2 = o + c * (g1 * g1);
                            point(&mut sum, lookup, weight, g2, (a, i, j, p));
                            if both {
                                point(&mut sum, lookup, weight, g2, (a, j, i, p));
                            }
                        });
                    }
                }),
            }
            sum
        },
    );
    let mut total = CostSummary::default();
    for part in &partials {
        total.chi2 += part.chi2;
        total.cost += part.cost;
        total.n_points += part.n_points;
    }
    total
}

/// chi^2 and weighted cost of `x` over pairs of rows `rows` (both triangles of each
/// row pair), without derivatives, as wide as the current rayon pool. Same as
/// [`cost_over`] with [`PointSet::rows`]`(rows)` and [`Par::rayon`]`(0)`.
pub fn cost(
    experiment: &Experiment,
    layout: &ParameterLayout,
    data: &FitData,
    x: &[f64],
    rows: Range<usize>,
    weight: &impl ResidualWeight,
) -> Result<CostSummary, ModelError> {
    cost_over(
        experiment,
        layout,
        data,
        x,
        &PointSet::rows(rows),
        weight,
        Par::rayon(0),
    )
}

/// Number of points of `points` that enter the objective (finite data, valid sigma,
/// off-diagonal): the `n_points` every driver reports, without evaluating the model.
pub fn count_points(
    data: &(impl PointData + ?Sized),
    points: &PointSet<'_>,
    par: Par,
) -> Result<usize, ModelError> {
    let (lookup, plan) = resolve(data, points)?;
    Ok(with_lookup!(lookup, d => count_tiles(&d, &plan, par)))
}

fn count_tiles<D: Lookup>(lookup: &D, plan: &Plan<'_>, par: Par) -> usize {
    let (n_phi, n, both) = (plan.n_phi, plan.n_t, plan.both);
    let count_pair = |i: usize, j: usize, p: usize| -> usize {
        (0..n_phi)
            .map(|a| {
                usize::from(lookup.at(a, i, j, p).is_some())
                    + usize::from(both && lookup.at(a, j, i, p).is_some())
            })
            .sum()
    };
    run_tiles(
        par,
        plan.tiles.clone(),
        || (),
        |_, _, tile| match plan.walk {
            Walk::Rows => tile
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .map(|(i, j)| count_pair(i, j, 0))
                .sum::<usize>(),
            Walk::Pairs(pairs) => tile
                .map(|p| {
                    let (i, j) = pairs.get(p);
                    count_pair(i, j, p)
                })
                .sum(),
        },
    )
    .into_iter()
    .sum()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Geometry;
    use crate::params::AnalysisMode;
    use crate::scaling::{AngleMap, ScalingKind};

    /// The value-and-gradient pass gives the same bits with every build of its loops.
    #[test]
    fn gradient_pass_is_bit_identical_across_instruction_sets() {
        let isas = [gradient::Isa::Baseline, gradient::Isa::detect()];
        for laminar in [true, false] {
            let (n_phi, n_t) = (3, 70);
            let phi: Vec<f64> = (0..n_phi).map(|k| -170.0 + 100.0 * k as f64).collect();
            let exp = Experiment::new(
                Geometry {
                    wavevector_q: 0.0054,
                    stator_rotor_gap: 2e6,
                    dt: 0.1,
                },
                (1..=n_t).map(|k| k as f64 * 0.1).collect(),
                phi.clone(),
            )
            .unwrap();
            let params: Vec<f64> = if laminar {
                vec![6.8e3, -0.8, 1.7e2, 2e-3, -0.21, 6e-4, 2.0]
            } else {
                vec![6.8e3, -0.8, 1.7e2]
            };
            let (contrast, offset) = (vec![0.2; n_phi], vec![1.0; n_phi]);
            let mut c2 = crate::g2_grid(&exp, &params, &contrast, &offset).unwrap();
            for (k, v) in c2.iter_mut().enumerate() {
                *v += 0.003 * ((k % 17) as f64 - 8.0);
            }
            c2[[1, 3, 9]] = f64::NAN;
            let kind = ScalingKind::Individual;
            let layout = ParameterLayout::new(
                AnalysisMode::from_n_physical(params.len()).unwrap(),
                kind,
                AngleMap::for_kind(kind, &phi, &contrast),
                AngleMap::for_kind(kind, &phi, &offset),
                &params,
                &vec![false; params.len()],
            )
            .unwrap();
            let start: Vec<f64> = params.iter().map(|p| p * 1.1).collect();
            let x = layout.encode(&start, &contrast, &offset);
            let data = FitData::new(&exp, c2.view(), Sigma::Uniform(0.01)).unwrap();
            let pairs = TimePairs::new(
                n_t,
                (0..n_t)
                    .flat_map(|i| (i + 1..n_t).map(move |j| (i, j)))
                    .filter(|(i, j)| (i * 7 + j) % 3 != 0),
            )
            .unwrap();
            for points in [
                PointSet::all(n_t),
                PointSet::unique_pairs(n_t),
                PointSet::pairs(&pairs, Triangles::Both),
            ] {
                let bits: Vec<Vec<u64>> = isas
                    .iter()
                    .map(|&isa| {
                        let vg = value_and_gradient_with(
                            &exp,
                            &layout,
                            &data,
                            &x,
                            &points,
                            &Linear,
                            Par::Seq,
                            isa,
                        )
                        .unwrap();
                        let mut b = vec![vg.chi2.to_bits(), vg.cost.to_bits()];
                        b.extend(vg.jtr.iter().map(|v| v.to_bits()));
                        b
                    })
                    .collect();
                assert_eq!(bits[0], bits[1], "laminar={laminar} {points:?}");
            }
        }
    }
}
