//! When a global search runs, and the whole fit around it ([`fit`]): the rule the
//! facade and the command line use.
//!
//! * [`Trigger::Off`]: the local fit only.
//! * [`Trigger::Auto`] (default): a quick multi-start ([`MultiStartOptions::quick`])
//!   when the start is the bound midpoints (`values: null`: nothing says where the
//!   answer is) on data small enough to fit fully from every start (at most
//!   `coarse.min_points` points; larger data fit locally first), or when the local fit
//!   converges but ends `poor` (its answer becomes one of the starts); otherwise the
//!   local fit stands.
//! * [`Trigger::MultiStart`] / [`Trigger::Cmaes`]: the configured search, always, as
//!   written; [`Trigger::AutoSelect`]: the reference's scale-ratio rule picks one. For
//!   CMA-ES with the NLSQ warm start, a warm start with reduced chi^2 below the skip
//!   threshold ends the fit there (`warmstart_auto_skip`), as in the reference.
//!
//! The search's best basin is then finished by [`homodyne_nlsq::fit_checked`] from its
//! values (the `auto` per-angle check included), and the record says why it ran.

use homodyne_model::{C2View, Experiment};
use homodyne_nlsq::{
    Fitter, InitialValues, NlsqError, NlsqOptions, NlsqResult, ParameterBounds, QualityCheck,
    QualityFlag, fit_checked,
};
use ndarray::ArrayView3;
use tracing::info;

use crate::cmaes::{CmaesOptions, cmaes_on};
use crate::layers::Layers;
use crate::multistart::{MultiStartOptions, Outcome, multi_start_on};
use crate::subset::CoarseSubset;
use crate::{Method, choose_method};

/// When a global search runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// Never.
    Off,
    /// Quick multi-start for `values: null` or a poor local fit (module docs).
    Auto,
    /// Configured multi-start, always.
    MultiStart,
    /// Configured CMA-ES, always.
    Cmaes,
    /// CMA-ES or multi-start by the scale-ratio rule with this threshold.
    AutoSelect(f64),
}

/// Everything that decides the global part of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// When to search.
    pub trigger: Trigger,
    /// The start is the bound midpoints (`values: null`).
    pub from_midpoints: bool,
    /// Configured multi-start settings (explicit runs).
    pub multi_start: MultiStartOptions,
    /// The quick search of [`Trigger::Auto`].
    pub quick: MultiStartOptions,
    /// CMA-ES settings.
    pub cmaes: CmaesOptions,
    /// Run a local fit before CMA-ES and centre the evolution on it.
    pub cmaes_warmstart: bool,
    /// Skip CMA-ES when the warm start is good.
    pub warmstart_auto_skip: bool,
    /// Reduced chi^2 below which the warm start is good.
    pub warmstart_skip_threshold: f64,
    /// Anti-degeneracy layers 2-5.
    pub layers: Layers,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            trigger: Trigger::Auto,
            from_midpoints: false,
            multi_start: MultiStartOptions::default(),
            quick: MultiStartOptions::quick(),
            cmaes: CmaesOptions::default(),
            cmaes_warmstart: true,
            warmstart_auto_skip: true,
            warmstart_skip_threshold: 5.0,
            layers: Layers::default(),
        }
    }
}

/// A fit with the global search of `plan` (module docs). `progress` receives the local
/// solver's iterations, `phase` one line per phase (local fit, search, refinement).
#[allow(clippy::too_many_arguments)]
pub fn fit<'a>(
    experiment: &'a Experiment,
    c2: impl Into<C2View<'a>>,
    sigma: Option<ArrayView3<'a, f64>>,
    initial: &InitialValues,
    bounds: &ParameterBounds,
    options: &NlsqOptions,
    plan: &Plan,
    progress: Option<&'a (dyn Fn(usize, f64) + Sync)>,
    phase: &dyn Fn(&str),
) -> Result<NlsqResult, NlsqError> {
    let c2: C2View<'a> = c2.into();
    let local = |start: &InitialValues| {
        fit_checked(experiment, c2, sigma, start, bounds, options, progress)
    };
    // Decide.
    let mut first: Option<NlsqResult> = None;
    let mut selection = String::new();
    let (method, reason, explicit) = match plan.trigger {
        Trigger::Off => return local(initial),
        Trigger::Auto => {
            // Large data (where the local fit's coarse stage runs): the local fit from the
            // midpoints first, cheap and usually right; the search, which evaluates every
            // point per start, only when that fit ends poor.
            let large = options.coarse.enabled && experiment.n_points() > options.coarse.min_points;
            if plan.from_midpoints && !large {
                (
                    Method::MultiStart,
                    "initial values are the bound midpoints (initial_parameters.values: null): \
                     nothing says where the answer is"
                        .to_string(),
                    false,
                )
            } else {
                phase("local fit");
                let r = local(initial)?;
                // A fit cut short by the iteration or evaluation limit is reported as it is
                // (exit 3 says so): the limit is the user's, a search would overrule it.
                if r.quality_flag != QualityFlag::Poor || !r.converged() {
                    return Ok(r);
                }
                let why = format!(
                    "the local fit ended poor (status {}, reduced chi^2 {:.3})",
                    r.convergence_status.as_str(),
                    r.reduced_chi_squared
                );
                first = Some(r);
                (Method::MultiStart, why, false)
            }
        }
        Trigger::MultiStart => {
            selection = "explicit: optimization.nlsq.multi_start.enable: true".into();
            (
                Method::MultiStart,
                "configured (optimization.nlsq.multi_start.enable: true)".into(),
                true,
            )
        }
        Trigger::Cmaes | Trigger::AutoSelect(_) => {
            let (m, why) = match plan.trigger {
                Trigger::AutoSelect(threshold) => {
                    let f = Fitter::new(experiment, c2, sigma, initial, bounds, options)?;
                    let p = f.problem();
                    choose_method(p.lower(), p.upper(), threshold)
                }
                _ => (Method::Cmaes, "CMA-ES".into()),
            };
            selection = match plan.trigger {
                Trigger::AutoSelect(_) => format!("auto-selected: {why}"),
                _ => "explicit: optimization.nlsq.cmaes.enable: true".into(),
            };
            let why = format!("configured (optimization.nlsq.cmaes.enable: true; {why})");
            if m == Method::Cmaes && plan.cmaes_warmstart {
                phase("NLSQ warm start");
                let mut r = local(initial)?;
                if plan.warmstart_auto_skip
                    && r.converged()
                    && r.reduced_chi_squared < plan.warmstart_skip_threshold
                {
                    info!(
                        reduced_chi2 = r.reduced_chi_squared,
                        threshold = plan.warmstart_skip_threshold,
                        "CMA-ES skipped: the NLSQ warm start is already good"
                    );
                    r.recovery_actions.push(format!(
                        "cmaes_skipped: NLSQ warm start reduced chi^2 {:.3} < \
                         warmstart_skip_threshold {} ({why})",
                        r.reduced_chi_squared, plan.warmstart_skip_threshold
                    ));
                    return Ok(r);
                }
                first = Some(r);
            }
            (m, why, true)
        }
    };
    info!("global search ({}): {reason}", method.as_str());
    let fitter = Fitter::new(experiment, c2, sigma, initial, bounds, options)?;
    // Large data: screening, evolution and the local solves from the starts on the
    // coarse subset of the time pairs; the best basins then on every point.
    let subset = CoarseSubset::plan(fitter.problem(), &options.coarse)?;
    let on = subset
        .as_ref()
        .map_or(String::new(), |s| format!(", on the {}", s.describe()));
    let mut given = vec![initial.physical.clone()];
    if let Some(r) = &first {
        given.push(r.physical.clone());
    }
    let outcome: Outcome = match method {
        Method::MultiStart => {
            let opts = if explicit {
                &plan.multi_start
            } else {
                &plan.quick
            };
            phase(&format!(
                "multi-start: {} starts ({}{on})",
                opts.n_starts + given.len(),
                if explicit {
                    "configured"
                } else {
                    "quick search"
                }
            ));
            multi_start_on(
                &fitter,
                subset.as_ref(),
                bounds,
                &given,
                opts,
                &plan.layers,
                &reason,
            )?
        }
        Method::Cmaes => {
            phase(&format!("CMA-ES{on}"));
            let warm = first.as_ref().map(|r| r.physical.as_slice());
            cmaes_on(
                &fitter,
                subset.as_ref(),
                bounds,
                warm,
                &plan.cmaes,
                &plan.layers,
                &reason,
            )?
        }
    };
    let mut record = outcome.result.global_search.clone().unwrap_or_default();
    record.selection = if selection.is_empty() {
        format!("automatic ({})", plan_trigger_name(plan.trigger))
    } else {
        selection
    };
    phase(&format!(
        "refinement of the best of {} basins",
        record.basins.len()
    ));
    let best = &outcome.result;
    let start = InitialValues {
        physical: best.physical.clone(),
        contrast: best.contrast.clone(),
        offset: best.offset.clone(),
        fixed: initial.fixed.clone(),
    };
    let mut result = local(&start)?;
    result.iterations += best.iterations;
    result.execution_time += record.seconds;
    if let Some(r) = first
        && r.cost < result.cost
        && r.per_angle_mode == result.per_angle_mode
    {
        record.chosen_basin = usize::MAX;
        let mut r = r;
        r.recovery_actions
            .push("global search found no better basin; the local fit is kept".into());
        r.global_search = Some(record);
        judge_rival_basins(&mut r);
        return Ok(r);
    }
    result.recovery_actions.insert(
        0,
        format!(
            "global_search_{}: {} starts, {} refined, {} basins ({})",
            record.method,
            record.n_starts,
            record.n_refined,
            record.basins.len(),
            record.reason
        ),
    );
    result.global_search = Some(record);
    judge_rival_basins(&mut result);
    Ok(result)
}

/// A basin that fits as well as the answer outside its error bars
/// ([`NlsqResult::rival_basins`]) means the data do not identify the answer: the
/// `unique_basin` check fails and the fit is at best `marginal` (the doubt names it).
fn judge_rival_basins(result: &mut NlsqResult) {
    let rivals = result.rival_basins();
    result.add_capping_check(QualityCheck {
        name: "unique_basin",
        passed: rivals.is_empty(),
        value: rivals.len() as f64,
        threshold: 1.0,
        message: if rivals.is_empty() {
            "no other basin of the global search fits as well outside the error bars".into()
        } else {
            format!(
                "{} basin(s) of the global search fit as well (chi^2 within s^2) at values \
                 outside the error bars",
                rivals.len()
            )
        },
    });
}

fn plan_trigger_name(t: Trigger) -> &'static str {
    match t {
        Trigger::Off => "off",
        Trigger::Auto => "quick multi-start: values null or a poor local fit",
        Trigger::MultiStart => "multi_start",
        Trigger::Cmaes => "cmaes",
        Trigger::AutoSelect(_) => "scale-ratio rule",
    }
}
