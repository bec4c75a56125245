//! Anti-degeneracy layers 2-5 (layer 1, the per-angle mode, is the fitter's), active
//! on every data size and every local solve of a global search ([`refine`]). Each
//! layer that acts says when and why in the log and in the record ([`LayerAction`]).
//!
//! * **2 hierarchical**: alternate a solve of the physical parameters with the
//!   per-angle ones frozen and a solve of the per-angle ones with the physical frozen,
//!   until the physical parameters change by less than `outer_tolerance` (relative),
//!   then finish with a joint solve. Acts when the per-angle coefficients outnumber
//!   the free physical parameters (individual or Fourier scaling of many angles: the
//!   per-angle values can absorb the physical signal), or as the response of layer 4.
//! * **3 regularisation**: adds `lambda CV^2 chi2_0` per group (contrast values, offset
//!   values; `CV = std/|mean|`, `chi2_0` the chi^2 at the start) to the objective of the
//!   individual per-angle mode with more than 5 angles, as residuals
//!   `sqrt(lambda chi2_0 / n) (v_k - mean)/|mean|`; the answer's chi^2, uncertainties
//!   and quality are the data's own (re-evaluated without the penalty at the
//!   regularised answer). `lambda` is
//!   `target_contribution / target_cv^2` when auto-tuned (10 by default). Off by default
//!   (as the reference's template).
//! * **4 gradient monitoring**: during the joint solve, the ratio of the physical to the
//!   per-angle gradient norms (in bounds-normalised variables) is watched; when it stays
//!   below `ratio_threshold` for `consecutive_triggers` evaluations while the cost is
//!   still falling, the per-angle parameters are taking the physical signal, and the
//!   response runs: `hierarchical` (layer 2 from that point), `reset` (per-angle values
//!   to their mean, then the joint solve again), `warn` (log only) or `abort` (stop
//!   there).
//! * **5 shear weighting**: during the search phase (screening, CMA-ES) each angle's
//!   residuals are weighted `w = w_min + (1 - w_min) |cos(phi0 - phi)|^alpha`
//!   (normalised to mean 1 when `normalize`), phi0 and phi in **degrees** converted
//!   once (the reference converted radians again, giving uniform weights), so angles
//!   that see the shear count more while the basin is chosen. Laminar flow only; the
//!   final refinement and the reported chi^2 are unweighted.

use std::sync::Mutex;

use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{CostSummary, NormalEquations};
use homodyne_nlsq::{
    Fitter, LayerAction, LocalSolution, NlsqError, Objective, SolverOptions, XScale, trf_solve,
};
use tracing::{info, warn};

use crate::profile::Profile;
use crate::subset::CoarseSubset;

/// Layer 2 settings (`anti_degeneracy.hierarchical`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchical {
    /// On/off.
    pub enable: bool,
    /// Outer alternations.
    pub max_outer_iterations: usize,
    /// Stop when the physical parameters change by less than this (relative).
    pub outer_tolerance: f64,
    /// Iterations of a physical stage.
    pub physical_max_iterations: usize,
    /// Iterations of a per-angle stage.
    pub per_angle_max_iterations: usize,
}

impl Default for Hierarchical {
    fn default() -> Self {
        Hierarchical {
            enable: true,
            max_outer_iterations: 5,
            outer_tolerance: 1e-6,
            physical_max_iterations: 100,
            per_angle_max_iterations: 50,
        }
    }
}

/// Layer 3 settings (`anti_degeneracy.regularization`).
#[derive(Debug, Clone, PartialEq)]
pub struct Regularization {
    /// On/off (off by default, as the reference's template).
    pub enable: bool,
    /// `relative` (CV^2) or `absolute` (variance).
    pub relative: bool,
    /// Weight when not auto-tuned.
    pub lambda: f64,
    /// Target coefficient of variation.
    pub target_cv: f64,
    /// Target contribution to the cost.
    pub target_contribution: f64,
    /// Auto-tune lambda (`target_contribution / target_cv^2`).
    pub auto_tune_lambda: bool,
}

impl Default for Regularization {
    fn default() -> Self {
        Regularization {
            enable: false,
            relative: true,
            lambda: 1.0,
            target_cv: 0.10,
            target_contribution: 0.10,
            auto_tune_lambda: true,
        }
    }
}

impl Regularization {
    /// The weight used.
    pub fn effective_lambda(&self) -> f64 {
        if self.auto_tune_lambda && self.target_cv > 0.0 {
            self.target_contribution / (self.target_cv * self.target_cv)
        } else {
            self.lambda
        }
    }
}

/// What layer 4 does when it triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Log only.
    Warn,
    /// Switch to the hierarchical alternation from the current point.
    Hierarchical,
    /// Per-angle values to their mean, then the joint solve again.
    Reset,
    /// Stop at the current point.
    Abort,
}

impl Response {
    /// `warn | hierarchical | reset | abort`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "warn" => Ok(Response::Warn),
            "hierarchical" => Ok(Response::Hierarchical),
            "reset" => Ok(Response::Reset),
            "abort" => Ok(Response::Abort),
            o => Err(format!(
                "unknown gradient_monitoring.response \"{o}\" (warn | hierarchical | reset | abort)"
            )),
        }
    }
}

/// Layer 4 settings (`anti_degeneracy.gradient_monitoring`).
#[derive(Debug, Clone, PartialEq)]
pub struct GradientMonitoring {
    /// On/off.
    pub enable: bool,
    /// Trigger when physical/per-angle gradient norm ratio is below this.
    pub ratio_threshold: f64,
    /// ... for this many consecutive evaluations.
    pub consecutive_triggers: usize,
    /// What to do then.
    pub response: Response,
}

impl Default for GradientMonitoring {
    fn default() -> Self {
        GradientMonitoring {
            enable: true,
            ratio_threshold: 0.01,
            consecutive_triggers: 5,
            response: Response::Hierarchical,
        }
    }
}

/// Layer 5 settings (`anti_degeneracy.shear_weighting`).
#[derive(Debug, Clone, PartialEq)]
pub struct ShearWeighting {
    /// On/off.
    pub enable: bool,
    /// Smallest weight (angles perpendicular to the flow).
    pub min_weight: f64,
    /// Exponent of `|cos|`.
    pub alpha: f64,
    /// Recompute phi0 from the best candidate every this many CMA-ES generations.
    pub update_frequency: usize,
    /// Normalise the weights to mean 1.
    pub normalize: bool,
}

impl Default for ShearWeighting {
    fn default() -> Self {
        ShearWeighting {
            enable: true,
            min_weight: 0.3,
            alpha: 1.0,
            update_frequency: 1,
            normalize: true,
        }
    }
}

/// The layers of a search (`optimization.nlsq.anti_degeneracy`; `enable: false`
/// switches every layer off).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layers {
    /// Master switch off: no layer acts.
    pub disabled: bool,
    /// Layer 2.
    pub hierarchical: Hierarchical,
    /// Layer 3.
    pub regularization: Regularization,
    /// Layer 4.
    pub gradient_monitoring: GradientMonitoring,
    /// Layer 5.
    pub shear_weighting: ShearWeighting,
}

impl Layers {
    /// Every layer off.
    pub fn off() -> Self {
        Layers {
            disabled: true,
            ..Default::default()
        }
    }

    /// Shear weights of the angles `phi_deg` for flow angle `phi0_deg` (layer 5).
    pub fn shear_weights(&self, phi_deg: &[f64], phi0_deg: f64) -> Vec<f64> {
        let s = &self.shear_weighting;
        let mut w: Vec<f64> = phi_deg
            .iter()
            .map(|&phi| {
                let c = (phi0_deg - phi).to_radians().cos().abs().max(1e-10);
                s.min_weight + (1.0 - s.min_weight) * c.powf(s.alpha)
            })
            .collect();
        if s.normalize {
            let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
            if mean > 0.0 {
                w.iter_mut().for_each(|v| *v /= mean);
            }
        }
        w
    }

    /// Layer 5 on a profiled objective: weights from phi0 of `physical` (laminar flow,
    /// more than one angle). Returns what it did, or `None` when it leaves the
    /// objective alone.
    pub fn apply_shear_weighting(
        &self,
        profile: &mut Profile<'_, '_>,
        physical: &[f64],
    ) -> Option<LayerAction> {
        let phi = profile.phi_deg();
        if self.disabled || !self.shear_weighting.enable || physical.len() != 7 || phi.len() < 2 {
            profile.set_angle_weights(None);
            return None;
        }
        let w = self.shear_weights(&phi, physical[6]);
        let (lo, hi) = w
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(*v), h.max(*v)));
        profile.set_angle_weights(Some(w));
        let message = format!(
            "search phase: angle residuals weighted by shear sensitivity \
             w = {} + {}|cos(phi0 - phi)|^{} (phi0 = {:.2} deg; weights {lo:.3}..{hi:.3})",
            self.shear_weighting.min_weight,
            1.0 - self.shear_weighting.min_weight,
            self.shear_weighting.alpha,
            physical[6]
        );
        info!("anti-degeneracy layer 5 (shear weighting): {message}");
        Some(LayerAction {
            layer: 5,
            name: "shear_weighting".into(),
            message,
        })
    }
}

/// Indices of the per-angle coefficients and of the free physical parameters in the
/// optimiser vector.
fn groups(layout: &ParameterLayout) -> (Vec<usize>, Vec<usize>) {
    let n_scale = layout.contrast.n_coef() + layout.offset.n_coef();
    (
        (0..n_scale).collect(),
        (n_scale..layout.n_params()).collect(),
    )
}

/// An objective restricted to some variables, the others held at `base`.
pub struct Subspace<'o, O: Objective + ?Sized> {
    inner: &'o O,
    base: Vec<f64>,
    index: Vec<usize>,
}

impl<'o, O: Objective + ?Sized> Subspace<'o, O> {
    /// Vary `index` of `inner`, the rest fixed at `base`.
    pub fn new(inner: &'o O, base: &[f64], index: Vec<usize>) -> Self {
        Subspace {
            inner,
            base: base.to_vec(),
            index,
        }
    }
    /// Full vector from the sub-vector.
    pub fn full(&self, u: &[f64]) -> Vec<f64> {
        let mut x = self.base.clone();
        for (k, &i) in self.index.iter().enumerate() {
            x[i] = u[k];
        }
        x
    }
    /// Sub-vector of a full vector.
    pub fn sub(&self, x: &[f64]) -> Vec<f64> {
        self.index.iter().map(|&i| x[i]).collect()
    }
}

impl<O: Objective + ?Sized> Objective for Subspace<'_, O> {
    fn n_params(&self) -> usize {
        self.index.len()
    }
    fn evaluate(&self, u: &[f64]) -> Result<NormalEquations, NlsqError> {
        let ne = self.inner.evaluate(&self.full(u))?;
        let (n, k) = (ne.n_params, self.index.len());
        let mut out = NormalEquations::zeros(k);
        out.chi2 = ne.chi2;
        out.cost = ne.cost;
        out.n_points = ne.n_points;
        for (a, &i) in self.index.iter().enumerate() {
            out.jtr[a] = ne.jtr[i];
            for (b, &j) in self.index.iter().enumerate() {
                out.jtj[a * k + b] = ne.jtj[i * n + j];
            }
        }
        Ok(out)
    }
    fn cost(&self, u: &[f64]) -> Result<CostSummary, NlsqError> {
        self.inner.cost(&self.full(u))
    }
}

/// Layer 3: the objective plus the spread penalty of the per-angle values.
pub struct Regularized<'o, O: Objective + ?Sized> {
    inner: &'o O,
    /// Index groups (contrast values, offset values) penalised.
    groups: Vec<Vec<usize>>,
    /// `lambda chi2_0`.
    weight: f64,
    relative: bool,
}

impl<'o, O: Objective + ?Sized> Regularized<'o, O> {
    /// Penalise the spread of each group of `groups` with total weight `weight`.
    pub fn new(inner: &'o O, groups: Vec<Vec<usize>>, weight: f64, relative: bool) -> Self {
        Regularized {
            inner,
            groups,
            weight,
            relative,
        }
    }

    /// Penalty residuals and their Jacobian rows (sparse over the group).
    fn residuals(&self, x: &[f64]) -> Vec<(f64, Vec<(usize, f64)>)> {
        let mut out = Vec::new();
        for g in &self.groups {
            let n = g.len() as f64;
            if g.len() < 2 {
                continue;
            }
            let mean = g.iter().map(|&i| x[i]).sum::<f64>() / n;
            let s = (self.weight / n).sqrt();
            let (den, dden) = if self.relative {
                let m = mean.abs().max(1e-10);
                (m, if mean >= 0.0 { 1.0 } else { -1.0 } / n)
            } else {
                (1.0, 0.0)
            };
            for &k in g {
                let dev = x[k] - mean;
                let r = s * dev / den;
                let row = g
                    .iter()
                    .map(|&j| {
                        let d_dev = if j == k { 1.0 } else { 0.0 } - 1.0 / n;
                        (j, s * (d_dev / den - dev * dden / (den * den)))
                    })
                    .collect();
                out.push((r, row));
            }
        }
        out
    }

    /// The penalty `sum r^2` at `x`.
    pub fn penalty(&self, x: &[f64]) -> f64 {
        self.residuals(x).iter().map(|(r, _)| r * r).sum()
    }
}

impl<O: Objective + ?Sized> Objective for Regularized<'_, O> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError> {
        let mut ne = self.inner.evaluate(x)?;
        let n = ne.n_params;
        for (r, row) in self.residuals(x) {
            ne.cost += r * r;
            for &(i, ji) in &row {
                ne.jtr[i] += ji * r;
                for &(j, jj) in &row {
                    ne.jtj[i * n + j] += ji * jj;
                }
            }
        }
        Ok(ne)
    }
    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError> {
        let mut c = self.inner.cost(x)?;
        c.cost += self.penalty(x);
        Ok(c)
    }
}

/// Layer 4: watches the gradient of every evaluation with derivatives.
pub struct Monitored<'o, O: Objective + ?Sized> {
    inner: &'o O,
    physical: Vec<usize>,
    per_angle: Vec<usize>,
    width: Vec<f64>,
    settings: GradientMonitoring,
    state: Mutex<MonitorState>,
}

#[derive(Default)]
struct MonitorState {
    streak: usize,
    last_cost: Option<f64>,
    triggered: Option<(Vec<f64>, f64)>,
    evaluations: usize,
}

/// Error message of a triggered monitor (the solve stops there).
const MONITOR_STOP: &str = "gradient monitor triggered";

impl<'o, O: Objective + ?Sized> Monitored<'o, O> {
    /// Watch `inner` with the groups of `layout`, gradients scaled by the bound widths.
    pub fn new(
        inner: &'o O,
        layout: &ParameterLayout,
        lower: &[f64],
        upper: &[f64],
        settings: GradientMonitoring,
    ) -> Self {
        let (per_angle, physical) = groups(layout);
        Monitored {
            inner,
            physical,
            per_angle,
            width: lower
                .iter()
                .zip(upper)
                .map(|(l, u)| if (u - l).is_finite() { u - l } else { 1.0 })
                .collect(),
            settings,
            state: Mutex::new(MonitorState::default()),
        }
    }

    /// The point and ratio at which it triggered, if it did.
    pub fn triggered(&self) -> Option<(Vec<f64>, f64)> {
        self.state.lock().ok()?.triggered.clone()
    }

    /// The ratio `|g_physical| / |g_per_angle|` of normal equations (normalised
    /// variables).
    pub fn ratio(&self, ne: &NormalEquations) -> f64 {
        let norm = |idx: &[usize]| {
            idx.iter()
                .map(|&i| (ne.jtr[i] * self.width[i]).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let (p, a) = (norm(&self.physical), norm(&self.per_angle));
        if a > 0.0 { p / a } else { f64::INFINITY }
    }
}

impl<O: Objective + ?Sized> Objective for Monitored<'_, O> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError> {
        let ne = self.inner.evaluate(x)?;
        if self.per_angle.is_empty() || self.physical.is_empty() {
            return Ok(ne);
        }
        let ratio = self.ratio(&ne);
        let mut st = self.state.lock().expect("monitor state");
        st.evaluations += 1;
        let falling = st
            .last_cost
            .is_some_and(|c| c - ne.cost > 1e-6 * ne.cost.abs().max(1.0));
        st.last_cost = Some(ne.cost);
        if ratio < self.settings.ratio_threshold && (falling || st.evaluations == 1) {
            st.streak += 1;
        } else {
            st.streak = 0;
        }
        if st.streak >= self.settings.consecutive_triggers.max(1) && st.triggered.is_none() {
            st.triggered = Some((x.to_vec(), ratio));
            if self.settings.response != Response::Warn {
                return Err(NlsqError::Option {
                    name: "gradient_monitoring",
                    message: MONITOR_STOP.into(),
                });
            }
        }
        Ok(ne)
    }
    fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError> {
        self.inner.cost(x)
    }
}

fn stage_options(max_iterations: usize, n: usize) -> SolverOptions {
    SolverOptions {
        ftol: 1e-8,
        xtol: 1e-8,
        gtol: 1e-8,
        max_nfev: 10 * max_iterations.max(1) + 10 * n,
        max_iterations: Some(max_iterations.max(1)),
        x_scale: XScale::Jacobian,
        polish_steps: 0,
        speculative: false,
        geodesic: false,
    }
}

/// Layer 2: alternate physical and per-angle solves from `x0`; returns the point
/// reached and the number of outer iterations.
pub fn hierarchical<O: Objective + ?Sized>(
    objective: &O,
    layout: &ParameterLayout,
    lower: &[f64],
    upper: &[f64],
    x0: &[f64],
    settings: &Hierarchical,
) -> Result<(Vec<f64>, usize), NlsqError> {
    let (per_angle, physical) = groups(layout);
    let mut x = x0.to_vec();
    let mut outer = 0;
    for _ in 0..settings.max_outer_iterations.max(1) {
        outer += 1;
        let before: Vec<f64> = physical.iter().map(|&i| x[i]).collect();
        for (idx, iters) in [
            (&physical, settings.physical_max_iterations),
            (&per_angle, settings.per_angle_max_iterations),
        ] {
            if idx.is_empty() {
                continue;
            }
            let sub = Subspace::new(objective, &x, idx.clone());
            let (lb, ub) = (sub.sub(lower), sub.sub(upper));
            let s = trf_solve(
                &sub,
                &sub.sub(&x),
                &lb,
                &ub,
                &stage_options(iters, idx.len()),
            )?;
            x = sub.full(&s.x);
        }
        let change = physical
            .iter()
            .zip(&before)
            .map(|(&i, b)| (x[i] - b).abs() / b.abs().max(1e-12))
            .fold(0.0, f64::max);
        if change < settings.outer_tolerance {
            break;
        }
    }
    Ok((x, outer))
}

/// Whether layer 2 acts by itself on `layout`: the per-angle coefficients outnumber the
/// free physical parameters.
pub fn hierarchical_applies(layers: &Layers, layout: &ParameterLayout) -> bool {
    let (per_angle, physical) = groups(layout);
    !layers.disabled
        && layers.hierarchical.enable
        && !physical.is_empty()
        && per_angle.len() > physical.len()
}

/// Whether layer 3 acts on `layout`: enabled, individual scaling, more than 5 angles.
pub fn regularization_applies(layers: &Layers, layout: &ParameterLayout) -> bool {
    !layers.disabled
        && layers.regularization.enable
        && layout.scaling_kind == homodyne_model::scaling::ScalingKind::Individual
        && layout.n_phi() > 5
}

/// One local solve of a global search from `x0`, with layers 2-4 (module docs). The
/// returned solution's equations are the data's own objective at its answer.
pub fn refine(
    fitter: &Fitter<'_>,
    x0: &[f64],
    layers: &Layers,
) -> Result<(LocalSolution, Vec<LayerAction>), NlsqError> {
    let problem = fitter.problem();
    refine_on(problem, fitter, x0, layers, &|x: &[f64]| {
        fitter.solve_from(x)
    })
}

/// [`refine`] on the coarse subset of a large problem ([`CoarseSubset`]): the layers
/// and the joint solve all on the subset's objective; the returned equations are the
/// subset's.
pub fn refine_subset(
    fitter: &Fitter<'_>,
    subset: &CoarseSubset,
    x0: &[f64],
    layers: &Layers,
) -> Result<(LocalSolution, Vec<LayerAction>), NlsqError> {
    let problem = fitter.problem();
    let objective = subset.objective(problem);
    let opts = joint_options(fitter);
    let (lb, ub) = (problem.lower(), problem.upper());
    refine_on(&objective, fitter, x0, layers, &|x: &[f64]| {
        trf_solve(&objective, x, lb, ub, &opts)
    })
}

/// The body of [`refine`] on any objective of the fitter's layout and bounds; `finish`
/// is the final joint solve.
fn refine_on<O: Objective + ?Sized>(
    problem: &O,
    fitter: &Fitter<'_>,
    x0: &[f64],
    layers: &Layers,
    finish: &dyn Fn(&[f64]) -> Result<LocalSolution, NlsqError>,
) -> Result<(LocalSolution, Vec<LayerAction>), NlsqError> {
    let layout = fitter.problem().layout();
    let (lb, ub) = (fitter.problem().lower(), fitter.problem().upper());
    let mut actions = Vec::new();
    let mut start = x0.to_vec();
    // Layer 2 by itself.
    if hierarchical_applies(layers, layout) {
        let (x, outer) = hierarchical(problem, layout, lb, ub, &start, &layers.hierarchical)?;
        let message = format!(
            "{} per-angle coefficients vs {} physical parameters: {outer} alternations of \
             physical / per-angle solves before the joint solve",
            layout.contrast.n_coef() + layout.offset.n_coef(),
            layout.n_params() - layout.contrast.n_coef() - layout.offset.n_coef()
        );
        info!("anti-degeneracy layer 2 (hierarchical): {message}");
        actions.push(LayerAction {
            layer: 2,
            name: "hierarchical".into(),
            message,
        });
        start = x;
    }
    // Layer 3: a regularised solve first.
    if regularization_applies(layers, layout) {
        let chi2_0 = problem.cost(&start)?.chi2;
        let nc = layout.contrast.n_coef();
        let groups = vec![(0..nc).collect(), (nc..2 * nc).collect()];
        let lambda = layers.regularization.effective_lambda();
        let reg = Regularized::new(
            problem,
            groups,
            lambda * chi2_0,
            layers.regularization.relative,
        );
        let before = reg.penalty(&start);
        let s = trf_solve(&reg, &start, lb, ub, &stage_options(200, start.len()))?;
        let after = reg.penalty(&s.x);
        let message = format!(
            "individual scaling of {} angles: spread of contrast/offset penalised \
             (lambda = {lambda}); penalty {before:.4e} -> {after:.4e} at the answer",
            layout.n_phi()
        );
        info!("anti-degeneracy layer 3 (regularisation): {message}");
        actions.push(LayerAction {
            layer: 3,
            name: "regularization".into(),
            message,
        });
        // The answer is the regularised optimum; chi^2 and the covariance are the
        // data's own there.
        let ne = problem.evaluate(&s.x)?;
        return Ok((
            LocalSolution {
                x: s.x,
                equations: ne,
                ..s
            },
            actions,
        ));
    }
    // Layer 4 watches the joint solve.
    let monitor_on = !layers.disabled && layers.gradient_monitoring.enable;
    if !monitor_on {
        return Ok((finish(&start)?, actions));
    }
    let monitored = Monitored::new(problem, layout, lb, ub, layers.gradient_monitoring.clone());
    let opts = joint_options(fitter);
    let first = trf_solve(&monitored, &start, lb, ub, &opts);
    let Some((x_at, ratio)) = monitored.triggered() else {
        let s = first?;
        // The fitter's own solve (strategy, polish) from the monitored answer.
        return Ok((finish(&s.x)?, actions));
    };
    let settings = &layers.gradient_monitoring;
    let mut message = format!(
        "physical/per-angle gradient ratio {ratio:.2e} < {} for {} consecutive evaluations \
         (the per-angle values are taking the physical signal)",
        settings.ratio_threshold, settings.consecutive_triggers
    );
    warn!("anti-degeneracy layer 4 (gradient monitoring): {message}");
    let next = match settings.response {
        Response::Warn => {
            message.push_str("; response: warn");
            first.map(|s| s.x).unwrap_or(x_at)
        }
        Response::Abort => {
            message.push_str("; response: abort (stopped there)");
            x_at
        }
        Response::Reset => {
            message.push_str("; response: per-angle values reset to their mean");
            let d = layout.decode(&x_at);
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
            let c = vec![mean(&d.contrast); d.contrast.len()];
            let o = vec![mean(&d.offset); d.offset.len()];
            let mut x = layout.encode(&d.physical, &c, &o);
            for (k, v) in x.iter_mut().enumerate() {
                *v = v.clamp(lb[k], ub[k]);
            }
            x
        }
        Response::Hierarchical => {
            let (x, outer) = hierarchical(problem, layout, lb, ub, &x_at, &layers.hierarchical)?;
            message.push_str(&format!(
                "; response: {outer} hierarchical alternations from there"
            ));
            x
        }
    };
    actions.push(LayerAction {
        layer: 4,
        name: "gradient_monitoring".into(),
        message,
    });
    if settings.response == Response::Abort {
        let ne = problem.evaluate(&next)?;
        return Ok((
            LocalSolution {
                x: next,
                initial_cost: ne.cost,
                equations: ne,
                iterations: 0,
                nfev: 1,
                njev: 1,
                accepted_steps: 0,
                termination: homodyne_nlsq::Termination::MaxIterations,
                coarse: None,
            },
            actions,
        ));
    }
    Ok((finish(&next)?, actions))
}

fn joint_options(fitter: &Fitter<'_>) -> SolverOptions {
    let n = fitter.problem().n_params();
    SolverOptions {
        ftol: 1e-8,
        xtol: 1e-8,
        gtol: 1e-8,
        max_nfev: 100 * n.max(1),
        max_iterations: None,
        x_scale: XScale::Jacobian,
        polish_steps: 0,
        speculative: false,
        geodesic: false,
    }
}
