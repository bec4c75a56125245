//! The fit driver: builds the problem (per-angle mode, layout, bounds, strategy), runs
//! local solves with recovery, and assembles the result.
//!
//! [`Fitter`] is prepared once; [`Fitter::solve_from`] runs one local solve with the
//! chosen execution strategy from any start (what multi-start and CMA-ES refinement
//! will call), [`Fitter::fit`] runs the full attempt/recovery loop and
//! [`Fitter::result`] turns any [`LocalSolution`] into an [`NlsqResult`].

use std::time::Instant;

use homodyne_model::C2View;
use homodyne_model::Experiment;
use homodyne_model::layout::ParameterLayout;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::{AngleMap, ScalingKind};
use ndarray::ArrayView3;
use tracing::{debug, info, warn};

use crate::bounds::ParameterBounds;
use crate::coarse::{self, CoarsePairs, CoarseSubset, Subset};
use crate::covariance::{self, map_covariance, per_angle_map};
use crate::error::NlsqError;
use crate::identifiability;
use crate::init::InitialValues;
use crate::loss::RobustLoss;
use crate::options::{NlsqOptions, SigmaSetting, XScale};
use crate::problem::{
    NoiseLevel, Normalized, Objective, ObjectiveInfo, PointsCounted, Problem, SigmaMethod,
};
use crate::profile::{self, PROFILE_AUTO_MAX_POINTS, ProfileSetting};
use crate::recovery::{self, RecoveryStart};
use crate::result::{NlsqResult, QualityCheck, QualityFlag, Status, quality_checks};
use crate::solver::{LocalSolution, SolverOptions, lbfgs, trf};
use crate::strategy::{self, Strategy, StrategyDecision};

/// A prepared fit.
pub struct Fitter<'a> {
    problem: Problem<'a>,
    decision: StrategyDecision,
    options: NlsqOptions,
    bounds: ParameterBounds,
    x0: Vec<f64>,
    initial_per_angle: Vec<f64>,
    objective: ObjectiveInfo,
    warnings: Vec<String>,
    on_iteration: Option<&'a (dyn Fn(usize, f64) + Sync)>,
    /// The coarse stage's pairs and point count, for large problems.
    coarse: Option<(CoarsePairs, usize)>,
}

/// One-call fit: prepare and run with recovery.
pub fn fit<'a>(
    experiment: &'a Experiment,
    c2: impl Into<C2View<'a>>,
    sigma: Option<ArrayView3<'a, f64>>,
    initial: &InitialValues,
    bounds: &ParameterBounds,
    options: &NlsqOptions,
) -> Result<NlsqResult, NlsqError> {
    Ok(Fitter::new(experiment, c2, sigma, initial, bounds, options)?.fit())
}

impl<'a> Fitter<'a> {
    /// Validate everything and build the objective. `sigma`: a per-point array, or
    /// `None` for `options.sigma` (measured per angle from the data by default). Symmetric
    /// data (`c2[a, i, j] == c2[a, j, i]`, the loader's `half + half^T`) count each
    /// unordered time pair once, other data both triangles ([`ObjectiveInfo`]).
    pub fn new(
        experiment: &'a Experiment,
        c2: impl Into<C2View<'a>>,
        sigma: Option<ArrayView3<'a, f64>>,
        initial: &InitialValues,
        bounds: &ParameterBounds,
        options: &NlsqOptions,
    ) -> Result<Self, NlsqError> {
        let c2: C2View<'a> = c2.into();
        options.validate()?;
        let mode = initial.validate(experiment)?;
        bounds.validate(mode)?;
        let n_phi = experiment.n_phi();
        let kind = ScalingKind::resolve(
            options.per_angle_mode,
            n_phi,
            options.constant_scaling_threshold,
            options.fourier_order,
        );
        let expected = [n_phi, experiment.n_t(), experiment.n_t()];
        if c2.shape() != expected {
            return Err(homodyne_model::ModelError::Shape {
                got: c2.shape().to_vec(),
                expected: expected.to_vec(),
            }
            .into());
        }
        let (fixed_c, fixed_o) = if kind == ScalingKind::FixedConstant {
            c2.quantile_estimates(&experiment.t, bounds.contrast, bounds.offset, false)
        } else {
            (Vec::new(), Vec::new())
        };
        let layout = ParameterLayout::new(
            mode,
            kind,
            AngleMap::for_kind(kind, &experiment.phi_deg, &fixed_c),
            AngleMap::for_kind(kind, &experiment.phi_deg, &fixed_o),
            &initial.physical,
            &initial.fixed,
        )?;
        let (lower, upper) = bounds.for_layout(&layout);
        let mut warnings = Vec::new();
        let (noise, objective) = objective_info(c2, sigma, options.sigma, &mut warnings);
        let raw = layout.encode(&initial.physical, &initial.contrast, &initial.offset);
        let names = layout.names();
        let x0: Vec<f64> = raw
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = v.clamp(lower[i], upper[i]);
                if c != v {
                    warnings.push(format!(
                        "initial {} = {v} outside [{}, {}]; clipped to {c}",
                        names[i], lower[i], upper[i]
                    ));
                }
                c
            })
            .collect();
        for w in &warnings {
            warn!("{w}");
        }
        let decoded = layout.decode(&x0);
        let mut initial_per_angle = decoded.contrast;
        initial_per_angle.extend(decoded.offset);
        initial_per_angle.extend(decoded.physical);

        let memory = strategy::estimate(
            experiment.n_points(),
            layout.n_params(),
            options.memory_limit_gb,
            options.memory_fraction,
        );
        let (chosen, reason) = strategy::choose(&memory, options.strategy);
        let n_t = experiment.n_t();
        let chunks = match chosen {
            Strategy::Standard => std::iter::once(0..n_t).collect(),
            Strategy::Chunked | Strategy::Streaming => {
                let per_pair = match objective.points {
                    PointsCounted::UniquePairs => 1,
                    PointsCounted::BothTriangles => 2,
                };
                strategy::row_chunks(n_t, n_phi, per_pair, options.chunk_points, 2.min(n_t))
            }
        };
        let decision = StrategyDecision {
            strategy: chosen,
            reason,
            memory,
            n_chunks: chunks.len(),
        };
        info!(
            strategy = %decision.strategy,
            reason = %decision.reason,
            chunks = decision.n_chunks,
            "nlsq execution strategy"
        );
        let problem = Problem::new(
            experiment,
            c2,
            noise,
            objective.points.triangles(),
            layout,
            lower,
            upper,
            RobustLoss::new(options.loss, options.f_scale),
            chunks,
        )?;
        let coarse = CoarseSubset::plan(&problem, &options.coarse)?.map(|s| {
            info!(
                stride = s.stride,
                points = s.n_points,
                of = s.n_points_full,
                "nlsq coarse stage"
            );
            let pairs = CoarsePairs {
                stride: s.stride,
                pairs: s.pairs,
            };
            (pairs, s.n_points)
        });
        Ok(Fitter {
            coarse,
            problem,
            decision,
            options: options.clone(),
            bounds: bounds.clone(),
            x0,
            initial_per_angle,
            objective,
            warnings,
            on_iteration: None,
        })
    }

    /// How the data enter the objective: points counted and sigma.
    pub fn objective(&self) -> &ObjectiveInfo {
        &self.objective
    }

    /// Call `report(iteration, cost)` after every trust-region iteration (progress
    /// display; cost is the robust chi^2).
    pub fn with_progress(mut self, report: &'a (dyn Fn(usize, f64) + Sync)) -> Self {
        self.on_iteration = Some(report);
        self
    }

    /// The prepared objective.
    pub fn problem(&self) -> &Problem<'a> {
        &self.problem
    }
    /// The execution strategy chosen, with its reason.
    pub fn decision(&self) -> &StrategyDecision {
        &self.decision
    }
    /// The encoded (and clipped) start.
    pub fn start(&self) -> &[f64] {
        &self.x0
    }

    fn solver_options(&self) -> SolverOptions {
        let o = &self.options;
        SolverOptions {
            ftol: o.ftol,
            xtol: o.xtol,
            gtol: o.gtol,
            max_nfev: o.max_nfev.unwrap_or(100 * self.problem.n_params().max(1)),
            max_iterations: o.max_iterations,
            x_scale: o.x_scale.clone(),
            polish_steps: o.polish_steps,
            speculative: false,
            geodesic: false,
        }
    }

    /// One local solve from `x0` (optimiser vector) with the chosen strategy; for large
    /// problems the coarse stage ([`crate::CoarseStage`]) first moves the start to the
    /// optimum of the objective on a subset of the time pairs.
    pub fn solve_from(&self, x0: &[f64]) -> Result<LocalSolution, NlsqError> {
        let (lb, ub) = (self.problem.lower(), self.problem.upper());
        let opts = self.solver_options();
        let mut start = x0.to_vec();
        let mut stage = None;
        let mut coarse_accepted = 0;
        if let Some((plan, n_points)) = &self.coarse {
            let started = Instant::now();
            let subset = Subset {
                problem: &self.problem,
                pairs: &plan.pairs,
            };
            let mut coarse_opts = opts.clone();
            coarse_opts.polish_steps = 0;
            coarse_opts.geodesic = true;
            match trf::solve(&subset, x0, lb, ub, &coarse_opts) {
                Ok(sol) => {
                    debug!(
                        iterations = sol.iterations,
                        nfev = sol.nfev,
                        cost = sol.equations.cost,
                        termination = ?sol.termination,
                        seconds = started.elapsed().as_secs_f64(),
                        "nlsq coarse stage done"
                    );
                    coarse::record(
                        &mut stage,
                        plan,
                        *n_points,
                        self.problem.n_points(),
                        &sol,
                        started,
                    );
                    coarse_accepted = sol.accepted_steps;
                    start = sol.x;
                }
                // The full-data solve from the original start reports what is wrong.
                Err(e) => debug!(error = %e, "nlsq coarse stage failed; starting on all points"),
            }
        }
        // From a converged coarse optimum nearly every step is accepted.
        let mut opts = opts;
        opts.speculative = stage
            .as_ref()
            .is_some_and(|s: &coarse::CoarseStage| s.termination.converged());
        let mut sol = match self.decision.strategy {
            Strategy::Standard | Strategy::Chunked => {
                trf::solve_observed(&self.problem, &start, lb, ub, &opts, self.on_iteration)
            }
            Strategy::Streaming => self.solve_streaming(&start, &opts),
        }?;
        sol.accepted_steps += coarse_accepted;
        sol.coarse = stage;
        Ok(sol)
    }

    fn solve_streaming(
        &self,
        x0: &[f64],
        opts: &SolverOptions,
    ) -> Result<LocalSolution, NlsqError> {
        let (lb, ub) = (self.problem.lower(), self.problem.upper());
        let normalized = Normalized::new(&self.problem, lb, ub);
        let s = &self.options.streaming;
        let u0 = normalized.to_u(&crate::solver::make_strictly_feasible(x0, lb, ub, 1e-10));
        let warm = lbfgs::warmup(
            &normalized,
            &u0,
            s.warmup_iterations,
            s.warmup_rtol,
            s.lbfgs_memory,
            s.max_step,
        )?;
        debug!(
            iterations = warm.iterations,
            cost = warm.equations.cost,
            "L-BFGS warm-up"
        );
        let n = x0.len();
        let mut opts = opts.clone();
        let width: Vec<f64> = normalized
            .to_x(&vec![1.0; n])
            .iter()
            .zip(normalized.to_x(&vec![0.0; n]))
            .map(|(a, b)| a - b)
            .collect();
        opts.x_scale = match &opts.x_scale {
            XScale::Jacobian => XScale::Jacobian,
            XScale::InitialMagnitude => XScale::Values(
                x0.iter()
                    .zip(&width)
                    .map(|(x, w)| (x.abs() + 1e-3) / w)
                    .collect(),
            ),
            XScale::Values(v) => XScale::Values(v.iter().zip(&width).map(|(s, w)| s / w).collect()),
        };
        opts.max_nfev = opts.max_nfev.saturating_sub(warm.nfev).max(1);
        let (zeros, ones) = (vec![0.0; n], vec![1.0; n]);
        let mut sol = trf::solve_observed(
            &normalized,
            &warm.u,
            &zeros,
            &ones,
            &opts,
            self.on_iteration,
        )?;
        sol.x = normalized.to_x(&sol.x);
        sol.equations = normalized.to_x_equations(&sol.equations);
        sol.initial_cost = warm.initial_cost;
        sol.iterations += warm.iterations;
        sol.nfev += warm.nfev;
        sol.njev += warm.njev;
        sol.accepted_steps += warm.iterations;
        Ok(sol)
    }

    /// Full fit from the prepared start, with recovery when enabled.
    pub fn fit(&self) -> NlsqResult {
        self.fit_from(&self.x0.clone())
    }

    /// Full fit from `x0` (optimiser vector), with recovery when enabled.
    pub fn fit_from(&self, x0: &[f64]) -> NlsqResult {
        let started = Instant::now();
        let (lb, ub) = (self.problem.lower(), self.problem.upper());
        let mut actions = Vec::new();
        let mut best: Option<(LocalSolution, usize)> = None;
        let max_attempts = if self.options.recovery {
            1 + self
                .options
                .max_recovery_attempts
                .min(RecoveryStart::ORDER.len())
        } else {
            1
        };
        let mut succeeded = false;
        let mut last_error = None;
        for attempt in 0..max_attempts {
            let start = if attempt == 0 {
                x0.to_vec()
            } else {
                let kind = RecoveryStart::ORDER[attempt - 1];
                actions.push(kind.action().to_string());
                kind.start(x0, lb, ub, attempt as u64)
            };
            match self.solve_from(&start) {
                Ok(sol) => {
                    let failure = recovery::diagnose(&sol, self.options.ftol);
                    let better = best
                        .as_ref()
                        .is_none_or(|(b, _)| sol.equations.cost < b.equations.cost);
                    if let Some(why) = failure {
                        warn!(attempt, why, "nlsq attempt failed");
                        actions.push(format!("attempt_{}_failed: {why}", attempt + 1));
                        if better {
                            best = Some((sol, attempt));
                        }
                        continue;
                    }
                    best = Some((sol, attempt));
                    succeeded = true;
                    break;
                }
                Err(e) => {
                    warn!(attempt, error = %e, "nlsq attempt failed");
                    actions.push(format!("attempt_{}_failed: {e}", attempt + 1));
                    last_error = Some(e.to_string());
                }
            }
        }
        match best {
            Some((sol, attempt)) => {
                let status = if !succeeded {
                    Status::Failed
                } else if !sol.termination.converged() {
                    Status::MaxIter
                } else if attempt == 0 {
                    Status::Converged
                } else {
                    Status::ConvergedWithRecovery
                };
                let mut result = self.result(&sol, status, actions);
                result.execution_time = started.elapsed().as_secs_f64();
                result
            }
            None => {
                let mut result = self.failed_result(
                    x0,
                    actions,
                    last_error.unwrap_or_else(|| "no attempt ran".into()),
                );
                result.execution_time = started.elapsed().as_secs_f64();
                result
            }
        }
    }

    /// Result assembled from a local solution with the given status.
    pub fn result(&self, sol: &LocalSolution, status: Status, actions: Vec<String>) -> NlsqResult {
        let layout = self.problem.layout();
        let p = layout.n_params();
        let n_points = sol.equations.n_points;
        let dof = n_points.saturating_sub(p);
        let chi2 = sol.equations.chi2;
        let reduced = if dof > 0 {
            chi2 / dof as f64
        } else {
            f64::INFINITY
        };
        let cov = covariance::from_equations(&sol.equations, n_points, self.options.absolute_sigma);
        let (fitted_cov, condition, raw_condition, deficiency) = match &cov {
            Ok(c) => (
                c.matrix.clone(),
                c.condition_number,
                c.raw_condition_number,
                c.rank_deficiency,
            ),
            Err(_) => (vec![f64::NAN; p * p], f64::INFINITY, f64::INFINITY, p),
        };
        let (m, rows) = per_angle_map(layout);
        let per_angle_cov = map_covariance(&m, rows, &fitted_cov, p);
        let decoded = layout.decode(&sol.x);
        let mut parameters = decoded.contrast.clone();
        parameters.extend(&decoded.offset);
        parameters.extend(&decoded.physical);
        // A free variable the data say nothing about (zero J^T J diagonal, e.g. the
        // contrast of an angle whose points are all NaN) has no finite uncertainty; the
        // pseudo-inverse would report 0. Mark it, and every per-angle entry built from it,
        // as unknown (NaN -> null in JSON).
        let mut undetermined: Vec<bool> = (0..p)
            .map(|k| {
                sol.equations.jtj[k * p + k].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
            })
            .collect();
        // Directions the data do not constrain (rank deficiency): name them, and mark the
        // parameters along a numerically null one as undetermined too, instead of
        // reporting the pseudo-inverse's near-zero variances for them.
        let degeneracies = identifiability::degeneracies(
            &sol.equations.jtj,
            &layout.names(),
            &sol.x,
            &fitted_cov,
            covariance::PINV_RCOND_PER_PARAM * p.max(1) as f64,
        )
        .unwrap_or_default();
        let mut degeneracies = degeneracies;
        for d in identifiability::power_law_ambiguities(&layout.names(), &sol.x, &fitted_cov) {
            // A linear degeneracy already naming the same pair says it better.
            if !degeneracies.iter().any(|e| {
                d.parameters
                    .iter()
                    .filter(|p| e.parameters.contains(p))
                    .count()
                    >= 2
            }) {
                degeneracies.push(d);
            }
        }
        for d in degeneracies.iter().filter(|d| d.undetermined) {
            for name in &d.parameters {
                if let Some(k) = layout.names().iter().position(|n| n == name) {
                    undetermined[k] = true;
                }
            }
        }
        let depends_on_undetermined =
            |r: usize| (0..p).any(|k| undetermined[k] && m[r * p + k] != 0.0);
        let uncertainties: Vec<f64> = (0..rows)
            .map(|i| {
                if depends_on_undetermined(i) {
                    f64::NAN
                } else {
                    std_dev(per_angle_cov[i * rows + i])
                }
            })
            .collect();
        let names = per_angle_names(layout.n_phi(), layout.mode);
        let bounds: Vec<(f64, f64)> = self
            .bounds
            .per_angle(layout.n_phi())
            .iter()
            .map(|b| (b.min, b.max))
            .collect();
        let free_physical: Vec<usize> = (0..layout.mode.n_physical())
            .filter(|&k| layout.physical_slot(k).is_some())
            .map(|k| 2 * layout.n_phi() + k)
            .collect();
        let mut checks_bounds = bounds.clone();
        // Fixed quantities cannot be "at bounds" by the fit's doing: relax them.
        for (i, b) in checks_bounds.iter_mut().enumerate() {
            if m[i * p..(i + 1) * p].iter().all(|v| *v == 0.0) {
                *b = (f64::NEG_INFINITY, f64::INFINITY);
            }
        }
        let mut quality_checks = quality_checks(
            reduced,
            &names,
            &parameters,
            &uncertainties,
            &free_physical,
            &checks_bounds,
            condition,
            status,
        );
        quality_checks.add(QualityCheck {
            name: "identifiability",
            passed: degeneracies.is_empty(),
            value: degeneracies.len() as f64,
            threshold: identifiability::WEAK_EIGENVALUE,
            message: if degeneracies.is_empty() {
                "every free parameter is determined by the data".into()
            } else {
                degeneracies
                    .iter()
                    .map(|d| d.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        });
        let quality_flag = QualityFlag::judge(reduced, status, !degeneracies.is_empty());
        let mut message = sol.termination.message().to_string();
        if let Err(e) = &cov {
            message.push_str(&format!("; covariance unavailable: {e}"));
        }
        let n_phi = layout.n_phi();
        NlsqResult {
            physical_uncertainty: uncertainties[2 * n_phi..].to_vec(),
            contrast_uncertainty: uncertainties[..n_phi].to_vec(),
            offset_uncertainty: uncertainties[n_phi..2 * n_phi].to_vec(),
            parameter_names: names,
            parameters,
            uncertainties,
            covariance: to_rows(&per_angle_cov, rows),
            physical: decoded.physical,
            contrast: decoded.contrast,
            offset: decoded.offset,
            initial_parameters: self.initial_per_angle.clone(),
            fitted_names: layout.names(),
            fitted_vector: sol.x.clone(),
            fitted_uncertainties: (0..p)
                .map(|i| {
                    if undetermined[i] {
                        f64::NAN
                    } else {
                        std_dev(fitted_cov[i * p + i])
                    }
                })
                .collect(),
            fitted_covariance: to_rows(&fitted_cov, p),
            per_angle_mode: layout.scaling_kind,
            analysis_mode: layout.mode,
            chi_squared: chi2,
            reduced_chi_squared: reduced,
            cost: sol.equations.cost,
            loss: self.options.loss.as_str().to_string(),
            n_points,
            n_free_params: p,
            degrees_of_freedom: dof,
            convergence_status: status,
            message,
            iterations: sol.iterations,
            nfev: sol.nfev,
            njev: sol.njev,
            execution_time: 0.0,
            strategy: self.decision.clone(),
            recovery_actions: actions,
            quality_flag,
            degeneracies,
            scaling_decision: None,
            quality_checks,
            condition_number: condition,
            raw_condition_number: raw_condition,
            covariance_rank_deficiency: deficiency,
            sigma_is_default: self.objective.sigma_method == SigmaMethod::Default,
            absolute_sigma: self.options.absolute_sigma,
            warnings: self.warnings.clone(),
            objective: self.objective.clone(),
            coarse_stage: sol.coarse.clone(),
            global_search: None,
            profile: Vec::new(),
        }
    }

    /// Profile-likelihood intervals ([`crate::ProfileInterval`]) of the free physical
    /// parameters of `result` (a converged result of this fitter), as
    /// `options.profile` says. A parameter whose profile is not quadratic gets the wider
    /// side of its interval as its uncertainty, a doubt, and, when the covariance misses
    /// it by more than a factor of 3, a failed `profile_likelihood` check (the fit is
    /// then at best `marginal`: the parameter is weakly identified). The covariance
    /// matrix stays the linearised one.
    ///
    /// A profile point below the fit's chi^2 (by more than 0.1 `s^2`) shows the fit
    /// stopped short of its minimum: the fit is repeated from that point, and when it
    /// ends lower it replaces `result` (a recovery action says so) and is profiled in
    /// turn. A second such point is only reported.
    pub fn add_profile_intervals(&self, result: &mut NlsqResult) {
        let Some(x) = self.profile_once(result) else {
            return;
        };
        let refit = self.fit_from(&x);
        if !(refit.converged() && refit.cost < result.cost) {
            return;
        }
        let action = format!(
            "profile_refit: a profile point had chi^2 lower than the fit's by {:.3} s^2; \
             the fit was repeated from there (reduced chi^2 {:.6} -> {:.6})",
            (result.cost - refit.cost) / result.chi2_scale(),
            result.reduced_chi_squared,
            refit.reduced_chi_squared
        );
        info!("{action}");
        let mut refit = refit;
        refit.iterations += result.iterations;
        refit.nfev += result.nfev;
        refit.njev += result.njev;
        refit.execution_time += result.execution_time;
        refit.scaling_decision = result.scaling_decision.take();
        let mut actions = std::mem::take(&mut result.recovery_actions);
        actions.push(action);
        actions.append(&mut refit.recovery_actions);
        refit.recovery_actions = actions;
        *result = refit;
        self.profile_once(result);
    }

    /// One round of [`Fitter::add_profile_intervals`]: the intervals of `result`, and the
    /// profile point below its chi^2, if any.
    fn profile_once(&self, result: &mut NlsqResult) -> Option<Vec<f64>> {
        let layout = self.problem.layout();
        if self.options.profile == ProfileSetting::Never
            || !result.converged()
            || !result.cost.is_finite()
            || result.fitted_names != layout.names()
        {
            return None;
        }
        let all = self.options.profile == ProfileSetting::Always
            || result.n_points <= PROFILE_AUTO_MAX_POINTS;
        let names = result.physical_names();
        let which: Vec<(usize, String)> = (0..names.len())
            .filter_map(|j| {
                let k = layout.physical_slot(j)?;
                let s = result.physical_uncertainty[j];
                let doubted = result
                    .degeneracies
                    .iter()
                    .any(|d| d.parameters.iter().any(|n| n == names[j]));
                // Undetermined (NaN: an exact degeneracy) too: the profile says how far
                // the data and the bounds let it go.
                let known = (s.is_finite() && s > 0.0) || s.is_nan();
                (known && (all || doubted)).then(|| (k, names[j].to_string()))
            })
            .collect();
        if which.is_empty() {
            return None;
        }
        let p = layout.n_params();
        let scale = result.chi2_scale();
        let covariance: Vec<f64> = result.fitted_covariance.iter().flatten().copied().collect();
        if covariance.len() != p * p || !(scale > 0.0 && scale.is_finite()) {
            return None;
        }
        let started = Instant::now();
        let at = profile::Optimum {
            x: &result.fitted_vector,
            cost: result.cost,
            covariance: &covariance,
            scale,
            lower: self.problem.lower(),
            upper: self.problem.upper(),
        };
        let mut opts = self.solver_options();
        opts.polish_steps = opts.polish_steps.min(2);
        let profile::Profiles {
            intervals,
            warnings,
            below_fit,
        } = profile::intervals(&self.problem, &at, &which, &opts);
        let n_phi = layout.n_phi();
        for iv in intervals.iter().filter(|iv| !iv.quadratic) {
            let j = names
                .iter()
                .position(|n| *n == iv.name)
                .expect("profiled name");
            let k = layout.physical_slot(j).expect("free parameter");
            let u = iv.minus().max(iv.plus());
            result.physical_uncertainty[j] = u;
            result.uncertainties[2 * n_phi + j] = u;
            result.fitted_uncertainties[k] = u;
        }
        let weak: Vec<&str> = intervals
            .iter()
            .filter(|iv| iv.weakly_identified())
            .map(|iv| iv.name.as_str())
            .collect();
        result.add_capping_check(QualityCheck {
            name: "profile_likelihood",
            passed: weak.is_empty(),
            value: weak.len() as f64,
            threshold: profile::WEAK_RATIO,
            message: if weak.is_empty() {
                format!(
                    "the covariance describes the uncertainty of the {} profiled parameters \
                     within a factor of {}",
                    intervals.len(),
                    profile::WEAK_RATIO
                )
            } else {
                format!(
                    "weakly identified (profile interval and covariance differ by more than \
                     a factor of {}): {}",
                    profile::WEAK_RATIO,
                    weak.join(", ")
                )
            },
        });
        result.warnings.extend(warnings);
        debug!(
            seconds = started.elapsed().as_secs_f64(),
            parameters = intervals.len(),
            solves = intervals.iter().map(|iv| iv.solves).sum::<usize>(),
            "profile intervals"
        );
        result.execution_time += started.elapsed().as_secs_f64();
        result.profile = intervals;
        below_fit
    }

    /// Result when no attempt produced a solution: the start, chi^2 = inf, failed.
    fn failed_result(&self, x0: &[f64], actions: Vec<String>, error: String) -> NlsqResult {
        let layout = self.problem.layout();
        let p = layout.n_params();
        let mut ne = homodyne_model::normal::NormalEquations::zeros(p);
        ne.chi2 = f64::INFINITY;
        ne.cost = f64::INFINITY;
        ne.n_points = self.problem.n_points();
        let sol = LocalSolution {
            x: x0.to_vec(),
            equations: ne,
            initial_cost: f64::INFINITY,
            iterations: 0,
            nfev: 0,
            njev: 0,
            accepted_steps: 0,
            termination: crate::solver::Termination::MaxNfev,
            coarse: None,
        };
        let mut result = self.result(&sol, Status::Failed, actions);
        result.uncertainties.iter_mut().for_each(|u| *u = 0.0);
        for u in [
            &mut result.physical_uncertainty,
            &mut result.contrast_uncertainty,
            &mut result.offset_uncertainty,
        ] {
            u.iter_mut().for_each(|u| *u = 0.0);
        }
        result.message = format!("fit failed: {error}");
        result.quality_flag = QualityFlag::Poor;
        result
    }
}

/// The reference's sigma, used when the data are too few to measure it.
const FALLBACK_SIGMA: f64 = 0.01;

/// The sigma and the points of the objective. Symmetric data count each unordered pair
/// once. Without a per-point array, sigma is `setting`'s value or measured per angle; an
/// angle whose noise cannot be measured (too few finite points) takes the median of the
/// measured angles, and when none can be measured the reference's 0.01 is used, with a
/// warning.
fn objective_info<'a>(
    c2: C2View<'a>,
    sigma: Option<ArrayView3<'a, f64>>,
    setting: SigmaSetting,
    warnings: &mut Vec<String>,
) -> (NoiseLevel<'a>, ObjectiveInfo) {
    let n_phi = c2.shape()[0];
    let symmetric = c2.is_symmetric();
    let points = PointsCounted::for_symmetry(symmetric);
    let (noise, method) = match (sigma, setting) {
        (Some(view), _) => (NoiseLevel::PerPoint(view), SigmaMethod::PerPoint),
        (None, SigmaSetting::Value(v)) => (NoiseLevel::Uniform(v), SigmaMethod::Configured),
        (None, SigmaSetting::Estimate) => measured_sigma(c2, warnings),
    };
    let info = ObjectiveInfo {
        symmetric_data: symmetric,
        points,
        sigma: noise.per_angle(n_phi),
        sigma_method: method,
    };
    info!(
        points = info.points.as_str(),
        sigma_method = info.sigma_method.as_str(),
        sigma_mean = info.sigma_mean(),
        "nlsq objective"
    );
    (noise, info)
}

/// sigma of each angle measured from the data; see [`objective_info`] for the fallbacks.
fn measured_sigma<'a>(c2: C2View<'a>, warnings: &mut Vec<String>) -> (NoiseLevel<'a>, SigmaMethod) {
    let mut values = c2.estimate_sigma(homodyne_model::Par::rayon(0));
    let mut measured: Vec<f64> = values.iter().copied().filter(|s| s.is_finite()).collect();
    if measured.is_empty() {
        let w = format!("too few points to measure the noise; using sigma = {FALLBACK_SIGMA}");
        warn!("{w}");
        warnings.push(w);
        return (NoiseLevel::Uniform(FALLBACK_SIGMA), SigmaMethod::Default);
    }
    measured.sort_by(f64::total_cmp);
    let median = measured[measured.len() / 2];
    let missing: Vec<usize> = (0..values.len())
        .filter(|&a| !values[a].is_finite())
        .collect();
    if !missing.is_empty() {
        let w = format!(
            "noise of angles {missing:?} not measurable (too few finite points); using the \
             median of the other angles, sigma = {median:.4e}"
        );
        warn!("{w}");
        warnings.push(w);
        for a in missing {
            values[a] = median;
        }
    }
    (NoiseLevel::PerAngle(values), SigmaMethod::Estimated)
}

/// `contrast_0.., offset_0.., physical names`.
pub fn per_angle_names(n_phi: usize, mode: AnalysisMode) -> Vec<String> {
    let mut names: Vec<String> = (0..n_phi).map(|a| format!("contrast_{a}")).collect();
    names.extend((0..n_phi).map(|a| format!("offset_{a}")));
    names.extend(mode.physical_names().iter().map(|s| s.to_string()));
    names
}

fn to_rows(m: &[f64], n: usize) -> Vec<Vec<f64>> {
    (0..n).map(|i| m[i * n..(i + 1) * n].to_vec()).collect()
}

/// Standard deviation from a variance: an unknown (NaN) variance stays unknown instead
/// of becoming 0 (`f64::max(NaN, 0.0)` is 0), tiny negative round-off becomes 0.
fn std_dev(variance: f64) -> f64 {
    if variance.is_nan() {
        f64::NAN
    } else {
        variance.max(0.0).sqrt()
    }
}
