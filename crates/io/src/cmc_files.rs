//! CMC result files with the reference's names and keys (spec 07 §7.5), plus richer keys
//! of our own: `<out>/cmc/{parameters.json, analysis_results_cmc.json, diagnostics.json,
//! samples.npz, fitted_data.npz, posterior.zarr, trace.png (or trace_<k>.png pages),
//! posterior_marginals.png, corner.png, c2_heatmaps_phi_<phi>deg.png}` and the run summary
//! `<out>/homodyne_results.<fmt>` ([`write_cmc`]).
//!
//! Conventions of every file:
//! * the "sampled vector" is the layout's vector (`CmcResult::names`: `contrast_0..`,
//!   `offset_0..` per angle, or `contrast`/`offset` averaged, or Fourier coefficients,
//!   then the free physical parameters); per-angle contrast/offset and the physical
//!   parameters (fixed ones constant) are decoded from it draw by draw;
//! * `contrast`/`offset` {mean, std}: the mean over angles of the per-angle posterior
//!   means, and the root mean square of the per-angle posterior sds (the NLSQ files'
//!   convention, so both methods read alike);
//! * undefined statistics (R-hat of one chain, ...) are `null`.
//!
//! Quality flag of `analysis_results_cmc.json` (over the sampled vector, undefined
//! statistics skipped): `poor` when the largest R-hat is >= 1.1, more than 10 % of the
//! draws diverged, or the smallest bulk ESS is below 100; otherwise `good` when the
//! largest R-hat is below 1.05, `acceptable` else (also when R-hat is undefined, one
//! chain). `convergence_status` is `converged` for good and acceptable, `not_converged`
//! for poor.

use std::path::PathBuf;

use homodyne_cmc::CmcResult;
use homodyne_data::XpcsData;
use homodyne_mcmc::{Summary, summarize};
use homodyne_model::scaling::ScalingKind;
use homodyne_nlsq::NlsqResult;
use ndarray::{Array2, Array3, ArrayView2, Axis};
use serde_json::{Map, Value, json};

use crate::cmc_figures::write_figures;
use crate::cmc_samples::write_samples;
use crate::device::device_info;
use crate::error::{OutputError, OutputResult, io_err};
use crate::json::{num, nums, timestamp, write_json};
use crate::nlsq_files::{
    Normalization, OutputOptions, SummaryArrays, nlsq_summary, nlsq_summary_arrays, run_files,
    summary_path, write_fitted_data, write_summary,
};
use crate::posterior_zarr::write_posterior_zarr;
use crate::progress::Progress;
use crate::surfaces::Surfaces;

/// R-hat below which a parameter counts as converged (the reference's threshold).
pub const R_HAT_THRESHOLD: f64 = 1.1;
/// Bulk ESS below which more draws are recommended (the reference's threshold).
pub const ESS_THRESHOLD: f64 = 400.0;
/// Tail probabilities of the tail ESS.
pub const ESS_TAIL_QUANTILES: [f64; 2] = [0.05, 0.95];

/// Everything the CMC files describe.
#[derive(Debug, Clone)]
pub struct CmcRun<'a> {
    /// The data as loaded (t from 0), as for [`crate::NlsqRun`].
    pub data: &'a XpcsData,
    /// The posterior.
    pub result: &'a CmcResult,
    /// Theory at the posterior means (physical means, per-angle contrast/offset means).
    pub surfaces: &'a Surfaces,
    /// The warm start, if any: marked in the figures, compared in the reports.
    pub nlsq: Option<&'a NlsqResult>,
    /// Noise level per angle used in the likelihood (one value: all angles).
    pub sigma: &'a [f64],
    /// Stator-rotor gap (Å) of the geometry.
    pub stator_rotor_gap: f64,
    /// Resolved CMC settings, echoed into `analysis_results_cmc.json` and
    /// `diagnostics.json` (any JSON value; `null` when none).
    pub settings: Value,
    /// `cmc` or `both` (the run summary's `method`).
    pub method: &'a str,
}

/// The posterior decoded into the model's quantities, with a summary of each.
pub(crate) struct Derived {
    /// Physical parameters (chain, draw, 3|7), fixed ones constant.
    pub physical: Array3<f64>,
    /// Contrast per angle (chain, draw, n_phi).
    pub contrast: Array3<f64>,
    /// Offset per angle (chain, draw, n_phi).
    pub offset: Array3<f64>,
    /// Names of all physical parameters.
    pub physical_names: Vec<String>,
    /// Which physical parameters are held fixed.
    pub fixed: Vec<bool>,
    /// Summaries of `physical`, `contrast`, `offset` columns.
    pub physical_summaries: Vec<Summary>,
    /// Per-angle contrast summaries.
    pub contrast_summaries: Vec<Summary>,
    /// Per-angle offset summaries.
    pub offset_summaries: Vec<Summary>,
    /// Mean over angles of contrast per draw (chain, draw).
    pub contrast_mean_draws: Array2<f64>,
    /// Mean over angles of offset per draw (chain, draw).
    pub offset_mean_draws: Array2<f64>,
}

impl Derived {
    pub(crate) fn new(result: &CmcResult) -> Self {
        let (physical, contrast, offset) = result.decoded();
        let cols =
            |a: &Array3<f64>| -> Vec<Summary> { a.axis_iter(Axis(2)).map(summarize).collect() };
        let mean_draws = |a: &Array3<f64>| -> Array2<f64> {
            a.mean_axis(Axis(2))
                .unwrap_or_else(|| Array2::from_elem((a.dim().0, a.dim().1), f64::NAN))
        };
        Derived {
            physical_summaries: cols(&physical),
            contrast_summaries: cols(&contrast),
            offset_summaries: cols(&offset),
            contrast_mean_draws: mean_draws(&contrast),
            offset_mean_draws: mean_draws(&offset),
            physical_names: result
                .layout
                .mode
                .physical_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            fixed: result.layout.fixed_mask(),
            physical,
            contrast,
            offset,
        }
    }

    /// Indices of the free physical parameters.
    pub(crate) fn free(&self) -> Vec<usize> {
        (0..self.fixed.len()).filter(|&k| !self.fixed[k]).collect()
    }

    /// Draws (chain, draw) of physical parameter `k`.
    pub(crate) fn physical_draws(&self, k: usize) -> ArrayView2<'_, f64> {
        self.physical.index_axis(Axis(2), k)
    }

    /// `(mean, std)` of contrast (`offset == false`) or offset over angles: mean of the
    /// per-angle means, RMS of the per-angle sds.
    pub(crate) fn angle_mean(&self, offset: bool) -> (f64, f64) {
        let s = if offset {
            &self.offset_summaries
        } else {
            &self.contrast_summaries
        };
        let n = s.len().max(1) as f64;
        let mean = s.iter().map(|x| x.mean).sum::<f64>() / n;
        let var = s.iter().map(|x| x.sd * x.sd).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    /// Whether per-angle values are derived (not sampled one by one).
    pub(crate) fn per_angle_derived(result: &CmcResult) -> bool {
        !matches!(result.layout.scaling_kind, ScalingKind::Individual)
    }
}

/// Largest finite R-hat of the sampled vector (NaN when none).
fn max_rhat(result: &CmcResult) -> f64 {
    result.max_rhat()
}

/// Smallest finite bulk ESS of the sampled vector.
fn min_ess(result: &CmcResult) -> f64 {
    result.min_ess_bulk()
}

fn divergence_rate(result: &CmcResult) -> f64 {
    result.divergences as f64 / result.total_draws.max(1) as f64
}

/// Every R-hat of the sampled vector defined and below [`R_HAT_THRESHOLD`]
/// ([`CmcResult::converged`]).
fn all_converged(result: &CmcResult) -> bool {
    result.converged()
}

/// The quality flag: the sampler crate's one rule ([`CmcResult::quality_flag`]).
pub(crate) fn quality_flag(result: &CmcResult) -> &'static str {
    result.quality_flag()
}

/// `{mean, std}`.
fn mean_std(mean: f64, std: f64) -> Value {
    json!({"mean": num(mean), "std": num(std)})
}

/// Every statistic of one summary.
fn summary_entry(s: &Summary) -> Value {
    json!({
        "mean": num(s.mean),
        "std": num(s.sd),
        "q05": num(s.q05),
        "q50": num(s.q50),
        "q95": num(s.q95),
        "r_hat": num(s.rhat),
        "ess_bulk": num(s.ess_bulk),
        "ess_tail": num(s.ess_tail),
        "mcse_mean": num(s.mcse_mean),
        "mcse_sd": num(s.mcse_sd),
    })
}

/// Mean of an array's finite values (NaN when none).
fn finite_mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut n, mut s) = (0usize, 0.0);
    for v in values.filter(|v| v.is_finite()) {
        n += 1;
        s += v;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// `{mean, min, max, std}` of the finite values (population std).
fn stats(values: impl Iterator<Item = f64> + Clone) -> Value {
    let finite: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return json!({"mean": null, "min": null, "max": null, "std": null});
    }
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let var = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    json!({
        "mean": num(mean),
        "min": num(finite.iter().copied().fold(f64::INFINITY, f64::min)),
        "max": num(finite.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        "std": num(var.sqrt()),
    })
}

fn sampling_summary(result: &CmcResult) -> Value {
    let n = &result.nuts;
    json!({
        "n_samples": n.num_samples,
        "n_warmup": n.num_warmup,
        "n_chains": n.num_chains,
        "total_samples": n.num_samples * n.num_chains as u64,
        "computation_time": num(result.seconds),
        "execution_time": num(result.seconds),
        "num_shards": result.num_shards,
        "combination": result.combination,
        "target_accept_prob": num(n.target_accept),
        "max_tree_depth": n.max_tree_depth,
        "dense_mass": n.dense_mass,
        "seed": n.seed,
        "divergences": result.divergences,
        "total_draws": result.total_draws,
        "gradient_evaluations": result.gradient_evaluations,
        "resumed_shards": result.resumed_shards,
        "per_angle_mode": result.layout.scaling_kind.as_str(),
        "warm_start": warm_start_text(result),
    })
}

fn warm_start_text(result: &CmcResult) -> &str {
    if result.warm_start.is_empty() {
        "none"
    } else {
        &result.warm_start
    }
}

/// The `parameters.json` document.
pub(crate) fn parameters_json(run: &CmcRun, derived: &Derived, stamp: &str) -> Value {
    let result = run.result;
    let mut params = Map::new();
    let (cm, cs) = derived.angle_mean(false);
    let (om, os) = derived.angle_mean(true);
    params.insert("contrast".into(), mean_std(cm, cs));
    params.insert("offset".into(), mean_std(om, os));
    for (k, name) in derived.physical_names.iter().enumerate() {
        let s = &derived.physical_summaries[k];
        params.insert(name.clone(), mean_std(s.mean, s.sd));
    }
    let sampled: Map<String, Value> = result
        .names
        .iter()
        .zip(&result.summaries)
        .map(|(n, s)| (n.clone(), summary_entry(s)))
        .collect();
    let per_angle = |s: &[Summary]| {
        json!({
            "mean": nums(&s.iter().map(|x| x.mean).collect::<Vec<_>>()),
            "std": nums(&s.iter().map(|x| x.sd).collect::<Vec<_>>()),
        })
    };
    let fixed: Vec<&String> = derived
        .physical_names
        .iter()
        .zip(&derived.fixed)
        .filter(|(_, f)| **f)
        .map(|(n, _)| n)
        .collect();
    let acceptance = finite_mean(result.sample_stats.acceptance_rate.iter().copied());
    json!({
        "timestamp": stamp,
        "analysis_mode": result.layout.mode.as_str(),
        "method": "cmc",
        "sampling_summary": sampling_summary(result),
        "convergence": {
            "all_chains_converged": all_converged(result),
            "min_r_hat": num(result.summaries.iter().map(|s| s.rhat).filter(|r| r.is_finite()).fold(f64::NAN, f64::min)),
            "max_r_hat": num(max_rhat(result)),
            "min_ess_bulk": num(min_ess(result)),
            "acceptance_rate": num(acceptance),
        },
        "parameters": params,
        "per_angle": {
            "phi_angles": nums(&run.data.phi_angles_list.to_vec()),
            "contrast": per_angle(&derived.contrast_summaries),
            "offset": per_angle(&derived.offset_summaries),
        },
        "sampled_parameters": sampled,
        "fixed_parameters": fixed,
        "per_angle_mode": result.layout.scaling_kind.as_str(),
        "num_shards": result.num_shards,
        "combination": result.combination,
        "warm_start": warm_start_text(result),
    })
}

/// NLSQ value and uncertainty of a named quantity (`contrast`/`offset` = means over the
/// angles, `contrast_<a>`/`offset_<a>` per angle, physical names).
fn nlsq_value(nlsq: &NlsqResult, name: &str) -> Option<(f64, f64)> {
    match name {
        "contrast" => {
            let e = nlsq.contrast_mean();
            return Some((e.value, e.uncertainty));
        }
        "offset" => {
            let e = nlsq.offset_mean();
            return Some((e.value, e.uncertainty));
        }
        _ => {}
    }
    for (base, v, u) in [
        ("contrast_", &nlsq.contrast, &nlsq.contrast_uncertainty),
        ("offset_", &nlsq.offset, &nlsq.offset_uncertainty),
    ] {
        if let Some(a) = name
            .strip_prefix(base)
            .and_then(|a| a.parse::<usize>().ok())
        {
            return Some((*v.get(a)?, u.get(a).copied().unwrap_or(f64::NAN)));
        }
    }
    nlsq.parameter(name).map(|e| (e.value, e.uncertainty))
}

/// NLSQ against the posterior: contrast/offset means, free physical parameters, then
/// per-angle contrast/offset.
fn comparison_json(nlsq: &NlsqResult, derived: &Derived) -> Value {
    let mut rows: Vec<(String, f64, f64)> = Vec::new();
    let (cm, cs) = derived.angle_mean(false);
    let (om, os) = derived.angle_mean(true);
    rows.push(("contrast".into(), cm, cs));
    rows.push(("offset".into(), om, os));
    for k in derived.free() {
        let s = &derived.physical_summaries[k];
        rows.push((derived.physical_names[k].clone(), s.mean, s.sd));
    }
    for (base, sums) in [
        ("contrast", &derived.contrast_summaries),
        ("offset", &derived.offset_summaries),
    ] {
        for (a, s) in sums.iter().enumerate() {
            rows.push((format!("{base}_{a}"), s.mean, s.sd));
        }
    }
    let entries: Vec<Value> = rows
        .into_iter()
        .filter_map(|(name, mean, sd)| {
            let (v, u) = nlsq_value(nlsq, &name)?;
            Some(json!({
                "name": name,
                "nlsq_value": num(v),
                "nlsq_std": num(u),
                "posterior_mean": num(mean),
                "posterior_std": num(sd),
                "z": num(if sd > 0.0 { (mean - v) / sd } else { f64::NAN }),
                "std_ratio": num(if u > 0.0 { sd / u } else { f64::NAN }),
            }))
        })
        .collect();
    json!({
        "description": "z = (posterior mean - NLSQ value) / posterior std; \
                        std_ratio = posterior std / NLSQ std",
        "nlsq_reduced_chi_squared": num(nlsq.reduced_chi_squared),
        "nlsq_convergence_status": nlsq.convergence_status.as_str(),
        "parameters": entries,
    })
}

/// Recommendations from the diagnostics.
fn recommendations(result: &CmcResult) -> Vec<String> {
    let mut out = Vec::new();
    let n = &result.nuts;
    let ess = min_ess(result);
    if ess < ESS_THRESHOLD {
        out.push(format!(
            "smallest bulk ESS is {ess:.0} (< {ESS_THRESHOLD:.0}): increase n_samples (now {})",
            n.num_samples
        ));
    }
    if result.divergences > 0 {
        out.push(format!(
            "{} divergent draws: raise target_accept_prob (now {}) towards 0.95",
            result.divergences, n.target_accept
        ));
    }
    let rhat = max_rhat(result);
    if rhat > 1.01 {
        out.push(format!(
            "largest R-hat is {rhat:.3}: run more warm-up (n_warmup, now {}) or more draws",
            n.num_warmup
        ));
    }
    if result.summaries.iter().all(|s| !s.rhat.is_finite()) && n.num_chains < 2 {
        out.push("R-hat needs at least 2 chains: raise n_chains".into());
    }
    if result.ebfmi.iter().any(|&b| b < 0.3) {
        out.push("E-BFMI below 0.3: run more warm-up; the energy is poorly explored".into());
    }
    if result.shards.iter().any(|s| !s.used) {
        out.push("some shards were dropped from the combination: use fewer shards".into());
    }
    out
}

/// The `analysis_results_cmc.json` document (works for any number of angles).
pub(crate) fn analysis_results_json(run: &CmcRun, derived: &Derived, stamp: &str) -> Value {
    let (data, result) = (run.data, run.result);
    let flag = quality_flag(result);
    let mut warnings = result.warnings.clone();
    if result.summaries.iter().all(|s| !s.rhat.is_finite()) {
        warnings.push("R-hat is undefined (one chain or too few draws)".into());
    }
    let n_t = data.n_times();
    let mut doc = json!({
        "method": "cmc",
        "timestamp": stamp,
        "analysis_mode": result.layout.mode.as_str(),
        "sampling_quality": {
            "convergence_status": if flag == "poor" { "not_converged" } else { "converged" },
            "quality_flag": flag,
            "quality_rule": "poor: max R-hat >= 1.1, divergences > 10 % or min bulk ESS < 100; \
                             good: max R-hat < 1.05; acceptable otherwise",
            "max_r_hat": num(max_rhat(result)),
            "min_ess_bulk": num(min_ess(result)),
            "divergence_rate": num(divergence_rate(result)),
            "warnings": warnings,
            "recommendations": recommendations(result),
        },
        "dataset_info": {
            "n_angles": data.n_angles(),
            "n_time_points": n_t * n_t,
            "n_times": n_t,
            "total_data_points": data.c2_exp.len(),
            "fitted_data_points": result.shards.iter().map(|s| s.n_points).sum::<usize>(),
            "q_value": num(data.q()),
            "phi_angles": nums(&data.phi_angles_list.to_vec()),
            "sigma": nums(run.sigma),
            "stator_rotor_gap": num(run.stator_rotor_gap),
        },
        "sampling_summary": sampling_summary(result),
        "settings": run.settings.clone(),
    });
    if let (Some(nlsq), Some(map)) = (run.nlsq, doc.as_object_mut()) {
        map.insert(
            "comparison_with_nlsq".into(),
            comparison_json(nlsq, derived),
        );
    }
    doc
}

fn per_parameter_entry(name: &str, s: &Summary, deterministic: bool) -> Value {
    json!({
        "name": name,
        "r_hat": num(s.rhat),
        "ess": num(s.ess_bulk),
        "ess_bulk": num(s.ess_bulk),
        "ess_tail": num(s.ess_tail),
        "mcse_mean": num(s.mcse_mean),
        "mcse_sd": num(s.mcse_sd),
        "converged": s.rhat.is_finite() && s.rhat < R_HAT_THRESHOLD,
        "deterministic": deterministic,
    })
}

/// The `diagnostics.json` document.
pub(crate) fn diagnostics_json(run: &CmcRun, derived: &Derived) -> Value {
    let result = run.result;
    let st = &result.sample_stats;
    let mut per_param: Vec<Value> = result
        .names
        .iter()
        .zip(&result.summaries)
        .map(|(n, s)| per_parameter_entry(n, s, false))
        .collect();
    if Derived::per_angle_derived(result) {
        for (base, sums) in [
            ("contrast", &derived.contrast_summaries),
            ("offset", &derived.offset_summaries),
        ] {
            per_param.extend(
                sums.iter()
                    .enumerate()
                    .map(|(a, s)| per_parameter_entry(&format!("{base}_{a}"), s, true)),
            );
        }
    }
    let max_depth = result.nuts.max_tree_depth as i64;
    let shards: Vec<Value> = result
        .shards
        .iter()
        .map(|s| {
            json!({
                "index": s.index,
                "n_points": s.n_points,
                "divergences": s.divergences,
                "n_draws": s.n_draws,
                "max_rhat": num(s.max_rhat),
                "min_ess_bulk": num(s.min_ess_bulk),
                "mean_step_size": num(s.mean_step_size),
                "mean_steps": num(s.mean_steps),
                "gradient_evaluations": s.gradient_evaluations,
                "seconds": num(s.seconds),
                "used": s.used,
                "dropped_reason": s.dropped_reason,
            })
        })
        .collect();
    let used = result.shards.iter().filter(|s| s.used).count();
    let all_finite = result.draws.iter().all(|v| v.is_finite());
    json!({
        "convergence": {
            "all_chains_converged": all_converged(result),
            "r_hat_threshold": R_HAT_THRESHOLD,
            "ess_threshold": ESS_THRESHOLD,
            "max_r_hat": num(max_rhat(result)),
            "min_ess_bulk": num(min_ess(result)),
            "per_parameter_diagnostics": per_param,
        },
        "sampling_efficiency": {
            "divergences": result.divergences,
            "divergence_rate": num(divergence_rate(result)),
            "total_draws": result.total_draws,
            "acceptance_rate": stats(st.acceptance_rate.iter().copied()),
            "step_size": stats(st.step_size.iter().copied()),
            "tree_depth": stats(st.tree_depth.iter().map(|&v| v as f64)),
            "n_steps": stats(st.n_steps.iter().map(|&v| v as f64)),
            "max_tree_depth": max_depth,
            "max_tree_depth_hits": st.tree_depth.iter().filter(|&&v| v >= max_depth).count(),
            "ebfmi": nums(&result.ebfmi),
            "gradient_evaluations": result.gradient_evaluations,
            "seconds": num(result.seconds),
        },
        "posterior_checks": {
            "all_draws_finite": all_finite,
            "fixed_parameters": derived.physical_names.iter().zip(&derived.fixed)
                .filter(|(_, f)| **f).map(|(n, _)| n.clone()).collect::<Vec<_>>(),
            "per_angle_mode": result.layout.scaling_kind.as_str(),
        },
        "cmc_specific": {
            "num_shards": result.num_shards,
            "combination_method": result.combination,
            "shards": shards,
            "heterogeneity": result.heterogeneity.iter()
                .map(|(n, cv)| json!({"name": n, "cv": num(*cv)})).collect::<Vec<_>>(),
            "resumed_shards": result.resumed_shards,
            "shards_used": used,
            "convergence_rate": num(used as f64 / result.num_shards.max(1) as f64),
        },
        "ess_tail_quantiles": ESS_TAIL_QUANTILES,
        "settings": run.settings.clone(),
    })
}

/// The CMC part of the run summary.
fn cmc_section(run: &CmcRun, derived: &Derived) -> Value {
    let result = run.result;
    let (cm, cs) = derived.angle_mean(false);
    let (om, os) = derived.angle_mean(true);
    let physical: Map<String, Value> = derived
        .physical_names
        .iter()
        .zip(&derived.physical_summaries)
        .map(|(n, s)| (n.clone(), mean_std(s.mean, s.sd)))
        .collect();
    json!({
        "success": quality_flag(result) != "poor",
        "sampling_time": num(result.seconds),
        "parameters": {
            "contrast": mean_std(cm, cs),
            "offset": mean_std(om, os),
            "physical_params": physical,
        },
        "diagnostics": {
            "max_r_hat": num(max_rhat(result)),
            "min_ess_bulk": num(min_ess(result)),
            "divergences": result.divergences,
            "converged": all_converged(result),
            "quality_flag": quality_flag(result),
        },
    })
}

/// The run summary document (without `files`) and its NPZ arrays.
fn summary_doc(run: &CmcRun, derived: &Derived) -> (Value, SummaryArrays) {
    let result = run.result;
    let cmc = cmc_section(run, derived);
    let mut doc = json!({
        "method": run.method,
        "analysis_mode": result.layout.mode.as_str(),
        "success": cmc["success"],
        "optimization_time": num(result.seconds),
        "device_config": device_info(),
        "parameters": cmc["parameters"],
        "diagnostics": cmc["diagnostics"],
        "cmc": cmc,
    });
    let mut arrays = SummaryArrays {
        numbers: vec![
            ("parameters", result.means()),
            ("uncertainties", result.sds()),
        ],
        texts: vec![("parameter_names", result.names.join(","))],
    };
    if run.method == "both"
        && let Some(nlsq) = run.nlsq
    {
        let mut section = nlsq_summary(nlsq);
        if let Some(m) = section.as_object_mut() {
            m.remove("device_config");
            m.remove("method");
        }
        let success = doc["success"].as_bool().unwrap_or(false) && nlsq.success();
        if let Some(m) = doc.as_object_mut() {
            m.insert("nlsq".into(), section);
            m.insert("success".into(), json!(success));
        }
        let nl = nlsq_summary_arrays(nlsq);
        arrays.numbers.extend(nl.numbers.into_iter().map(|(n, v)| {
            (
                match n {
                    "parameters" => "nlsq_parameters",
                    "uncertainties" => "nlsq_uncertainties",
                    _ => "nlsq_chi_squared",
                },
                v,
            )
        }));
        arrays.texts.extend(
            nl.texts
                .into_iter()
                .map(|(_, t)| ("nlsq_parameter_names", t)),
        );
    }
    (doc, arrays)
}

/// Write every CMC file into `<options.dir>/cmc/` (JSON, NPZ, `posterior.zarr`, figures)
/// and, last, the run summary `<options.dir>/homodyne_results.<fmt>`, which lists every
/// file of the run (method `run.method`; for `both` with an NLSQ result, its section as
/// [`crate::write_nlsq`] writes it too). Returns the paths written. Per-angle fit figures
/// and trace pages of an earlier run in the folder are removed; a posterior figure that
/// cannot be drawn is logged and skipped (the numbers are in the other files).
pub fn write_cmc(
    run: &CmcRun,
    options: &OutputOptions,
    progress: &dyn Progress,
) -> OutputResult<Vec<PathBuf>> {
    let (data, result) = (run.data, run.result);
    let n_phi = data.n_angles();
    if result.layout.n_phi() != n_phi || run.surfaces.n_phi() != n_phi {
        return Err(OutputError::Inconsistent(format!(
            "data have {n_phi} angles, the posterior {} and the theory {}",
            result.layout.n_phi(),
            run.surfaces.n_phi()
        )));
    }
    if result.names.len() != result.summaries.len() || result.draws.dim().2 != result.names.len() {
        return Err(OutputError::Inconsistent(format!(
            "{} names, {} summaries and draws of {:?}",
            result.names.len(),
            result.summaries.len(),
            result.draws.dim()
        )));
    }
    let dir = options.dir.join("cmc");
    std::fs::create_dir_all(&dir).map_err(io_err("cannot create folder", &dir))?;
    let derived = Derived::new(result);
    let stamp = timestamp();
    let mut written = Vec::new();
    let mut json_file = |name: &str, value: Value| -> OutputResult<()> {
        let path = dir.join(name);
        write_json(&path, &value)?;
        written.push(path);
        Ok(())
    };
    json_file("parameters.json", parameters_json(run, &derived, &stamp))?;
    json_file(
        "analysis_results_cmc.json",
        analysis_results_json(run, &derived, &stamp),
    )?;
    json_file("diagnostics.json", diagnostics_json(run, &derived))?;
    let samples = dir.join("samples.npz");
    write_samples(&samples, result, &derived, data)?;
    written.push(samples);
    written.push(write_posterior_zarr(
        &dir.join("posterior.zarr"),
        run,
        &derived,
    )?);
    let npz = dir.join("fitted_data.npz");
    let means = |s: &[Summary]| s.iter().map(|x| x.mean).collect::<Vec<f64>>();
    write_fitted_data(
        &npz,
        data,
        run.surfaces,
        (
            &means(&derived.contrast_summaries),
            &means(&derived.offset_summaries),
        ),
        options.fitted_data,
        Normalization::Sigma(run.sigma),
    )?;
    written.push(npz);
    written.extend(write_figures(&dir, run, &derived, options, progress)?);

    let summary = summary_path(&options.dir, options.summary_format);
    let files = run_files(&written, &options.dir, &summary);
    let (doc, arrays) = summary_doc(run, &derived);
    write_summary(&summary, options.summary_format, doc, &arrays, &files)?;
    written.push(summary);
    tracing::info!("CMC results written to {}", dir.display());
    Ok(written)
}
