//! NLSQ result files with the reference's names and keys:
//! `<out>/nlsq/{parameters.json, analysis_results_nlsq.json, convergence_metrics.json,
//! fitted_data.npz, c2_heatmaps_phi_<phi>deg.png}` and `<out>/homodyne_results.<fmt>`.
//! The files describe the loaded grid including t = 0 (the fit itself excluded it).

use std::path::{Path, PathBuf};

use homodyne_data::XpcsData;
use homodyne_model::AnalysisMode;
use homodyne_nlsq::SigmaMethod;
use homodyne_nlsq::{Estimate, NlsqResult};
use ndarray::{Array1, Array2, Axis};
use serde_json::{Map, Value, json};

use crate::atomic::{NpzEntry, write_npz, write_npz_with};
use crate::device::device_info;
use crate::error::{OutputError, OutputResult, io_err};
use crate::figures;
use crate::json::{num, nums, timestamp, write_json, write_yaml};
use crate::progress::Progress;
use crate::run::{recorded_files_under, remove_stale_figures};
use crate::surfaces::Surfaces;

/// Largest c2 (points) whose fitted_data.npz is deflated.
const COMPRESS_MAX_POINTS: usize = 4_000_000;

/// Format of the run summary `<out>/homodyne_results.<fmt>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SummaryFormat {
    /// `homodyne_results.yaml` (the reference's default).
    #[default]
    Yaml,
    /// `homodyne_results.json`.
    Json,
    /// `homodyne_results.npz`.
    Npz,
}

/// Which theory the fit figures draw (`plotting.fit_surface`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FitSurface {
    /// `offset_i + contrast_i g1^2` with the solver's values.
    #[default]
    Solver,
    /// The theory rescaled per angle by a post-hoc least-squares line.
    Scaled,
}

/// What `fitted_data.npz` holds (`output.fitted_data`). Every per-point array is written
/// angle by angle from the data and the theory computed per angle, so writing it never
/// holds more than one angle's surfaces; these choices decide the file's size (the
/// reference's twelve arrays as float64 take 6 x 8 bytes per point: 4.8 GB at
/// 25 x 2000 x 2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FittedData {
    /// The reference's twelve arrays, float64 (default).
    #[default]
    Float64,
    /// The same arrays, the six per-point ones as float32 (half the size).
    Float32,
    /// float32, and of the per-point arrays only `c2_exp` and `c2_solver_scaled` (the
    /// others follow from them and the per-angle scaling): a third of `float32`.
    Compact,
}

impl FittedData {
    /// The configuration value (`float64`, `float32`, `compact`).
    pub fn as_str(self) -> &'static str {
        match self {
            FittedData::Float64 => "float64",
            FittedData::Float32 => "float32",
            FittedData::Compact => "compact",
        }
    }

    /// Parse a configuration value.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "float64" | "f64" | "full" => Some(FittedData::Float64),
            "float32" | "f32" => Some(FittedData::Float32),
            "compact" => Some(FittedData::Compact),
            _ => None,
        }
    }
}

/// Where and how results are written.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputOptions {
    /// Output folder; method results go to `<dir>/nlsq/`.
    pub dir: PathBuf,
    /// Format of the run summary.
    pub summary_format: SummaryFormat,
    /// Also write the fitted simulation (`<dir>/simulated_data/`) and
    /// `<dir>/plots/fit_comparison.png` (the CLI's `--save-plots`).
    pub save_plots: bool,
    /// Theory drawn in the fit figures.
    pub fit_surface: FitSurface,
    /// What `fitted_data.npz` holds (`output.fitted_data`).
    pub fitted_data: FittedData,
}

impl OutputOptions {
    /// Defaults (YAML summary, solver surface, no extra plots) into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        OutputOptions {
            dir: dir.into(),
            summary_format: SummaryFormat::default(),
            save_plots: false,
            fit_surface: FitSurface::default(),
            fitted_data: FittedData::default(),
        }
    }
}

/// Everything the NLSQ files describe.
#[derive(Debug, Clone, Copy)]
pub struct NlsqRun<'a> {
    /// The data as loaded (t from 0).
    pub data: &'a XpcsData,
    /// The fit.
    pub result: &'a NlsqResult,
    /// Theory on the data's grid.
    pub surfaces: &'a Surfaces,
    /// Stator-rotor gap (Å) of the geometry, recorded with the fitted simulation.
    pub stator_rotor_gap: f64,
}

/// Write every NLSQ file (JSON, NPZ, figures, optional fitted simulation) and, last, the
/// run summary, which lists every file of the run (`files`: these and, within a
/// [`crate::RunFolder`], the others the run wrote in `options.dir`); returns the paths
/// written. Fit figures of an earlier run in the same folder are removed.
pub fn write_nlsq(
    run: &NlsqRun,
    options: &OutputOptions,
    progress: &dyn Progress,
) -> OutputResult<Vec<PathBuf>> {
    let (data, result, surfaces) = (run.data, run.result, run.surfaces);
    let dir = options.dir.join("nlsq");
    std::fs::create_dir_all(&dir).map_err(io_err("cannot create folder", &dir))?;
    let mut written = Vec::new();
    let stamp = timestamp();
    let mut json_file = |name: &str, value: Value| -> OutputResult<()> {
        let path = dir.join(name);
        write_json(&path, &value)?;
        written.push(path);
        Ok(())
    };
    json_file("parameters.json", parameters_json(result, &stamp))?;
    json_file(
        "analysis_results_nlsq.json",
        analysis_results_json(data, result, &stamp),
    )?;
    json_file("convergence_metrics.json", convergence_metrics_json(result))?;
    let npz = dir.join("fitted_data.npz");
    write_fitted_data(
        &npz,
        data,
        surfaces,
        (&result.contrast, &result.offset),
        options.fitted_data,
        Normalization::FivePercent,
    )?;
    written.push(npz);
    let phi = data.phi_angles_list.to_vec();
    let fit_surface = |a: usize| match options.fit_surface {
        FitSurface::Solver => surfaces.solver(a),
        FitSurface::Scaled => surfaces.scaled(a),
    };
    figures::fit_comparisons(
        &dir,
        &data.c2_exp,
        &fit_surface,
        data.t1.view(),
        &phi,
        progress,
    )?;
    written.extend(
        phi.iter()
            .map(|&a| dir.join(homodyne_plot::fit_comparison_file_name(a))),
    );
    if options.save_plots {
        written.extend(save_fitted_simulation(run, &options.dir)?);
    }
    // Written last: the summary names every file of the run (paths relative to the
    // output folder), itself included; a run in progress records the figures and files
    // it wrote before this call ([`crate::RunFolder`]).
    let summary = summary_path(&options.dir, options.summary_format);
    let files = run_files(&written, &options.dir, &summary);
    write_summary(
        &summary,
        options.summary_format,
        nlsq_summary(result),
        &nlsq_summary_arrays(result),
        &files,
    )?;
    written.push(summary);
    tracing::info!("NLSQ results written to {}", dir.display());
    Ok(written)
}

/// `--save-plots`: `<out>/simulated_data/{c2_fitted_data.npz,
/// simulation_config_fitted.json, simulated_c2_fitted_phi_<phi>deg.png}` and
/// `<out>/plots/fit_comparison.png` (the angle closest to the flow direction).
fn save_fitted_simulation(run: &NlsqRun, out: &Path) -> OutputResult<Vec<PathBuf>> {
    let (data, result, surfaces) = (run.data, run.result, run.surfaces);
    let dir = out.join("simulated_data");
    std::fs::create_dir_all(&dir).map_err(io_err("cannot create folder", &dir))?;
    let mut written = Vec::new();
    let phi = data.phi_angles_list.to_vec();
    let npz = dir.join("c2_fitted_data.npz");
    let shape = data.c2_exp.shape().to_vec();
    write_npz_with(&npz, data.c2_exp.len() <= COMPRESS_MAX_POINTS, |w| {
        let mut failure = None;
        w.add_f64_values(
            "c2",
            &shape,
            per_angle(surfaces.n_phi(), &mut failure, |a| surfaces.solver(a)),
        )?;
        if let Some(e) = failure {
            return Err(surface_error(e));
        }
        w.add_f64("t1", &[data.t1.len()], data.t1.iter())?;
        w.add_f64("t2", &[data.t2.len()], data.t2.iter())?;
        w.add_f64("phi_angles", &[phi.len()], phi.iter())?;
        Ok(())
    })?;
    written.push(npz);
    let physical: Map<String, Value> = result
        .physical_names()
        .iter()
        .zip(&result.physical)
        .map(|(n, &v)| (n.to_string(), num(v)))
        .collect();
    let config_json = dir.join("simulation_config_fitted.json");
    write_json(
        &config_json,
        &json!({
            "analysis_mode": result.analysis_mode.as_str(),
            "parameters": physical,
            "contrast": nums(&result.contrast),
            "offset": nums(&result.offset),
            "phi_angles": nums(&phi),
            "wavevector_q": num(data.q()),
            "stator_rotor_gap": num(run.stator_rotor_gap),
            "dt": num(data.dt),
            "n_time_points": data.n_times(),
        }),
    )?;
    written.push(config_json);
    remove_stale_figures(&dir, "simulated_c2_fitted_phi_", "deg.png");
    for (a, &angle) in phi.iter().enumerate() {
        let path = dir.join(format!("simulated_c2_fitted_phi_{angle:.1}deg.png"));
        let (fitted, t) = figures::downsampled(surfaces.solver(a)?.view(), data.t1.view());
        figures::c2_heatmap(
            &path,
            fitted.view(),
            t.view(),
            &format!("Fitted c₂, φ = {angle:.1}°"),
        )?;
        written.push(path);
    }
    // The angle closest to the flow direction phi0 (static: the first angle).
    let phi0 = match result.analysis_mode {
        AnalysisMode::LaminarFlow => result.parameter("phi0").map_or(phi[0], |e| e.value),
        AnalysisMode::Static => phi[0],
    };
    let closest = (0..phi.len())
        .min_by(|&a, &b| (phi[a] - phi0).abs().total_cmp(&(phi[b] - phi0).abs()))
        .unwrap_or(0);
    let plots_dir = out.join("plots");
    std::fs::create_dir_all(&plots_dir).map_err(io_err("cannot create folder", &plots_dir))?;
    let comparison = plots_dir.join("fit_comparison.png");
    let (exp, t) = figures::downsampled(data.c2_exp.angle(closest).to_f64().view(), data.t1.view());
    let (fitted, _) = figures::downsampled(surfaces.solver(closest)?.view(), data.t1.view());
    figures::fit_comparison_one(
        &comparison,
        exp.view(),
        fitted.view(),
        t.view(),
        phi[closest],
    )?;
    written.push(comparison);
    tracing::info!("fitted simulation written to {}", dir.display());
    Ok(written)
}

/// `{value, uncertainty}` of one parameter.
fn entry(e: Estimate) -> Value {
    json!({"value": num(e.value), "uncertainty": num(e.uncertainty)})
}

/// The `parameters.json` document: mean contrast/offset, then every physical parameter
/// by name.
pub fn parameters_json(result: &NlsqResult, stamp: &str) -> Value {
    let mut params = Map::new();
    params.insert("contrast".into(), entry(result.contrast_mean()));
    params.insert("offset".into(), entry(result.offset_mean()));
    for (k, name) in result.physical_names().iter().enumerate() {
        let mut e = entry(Estimate {
            value: result.physical[k],
            uncertainty: result.physical_uncertainty[k],
        });
        // Profile-likelihood intervals where computed; where chi^2 is not quadratic the
        // uncertainty above is the wider 68 % side.
        if let Some(p) = result.profile.iter().find(|p| p.name == *name) {
            e["uncertainty_method"] = json!(if p.quadratic {
                "covariance (confirmed by the profile likelihood)"
            } else {
                "profile likelihood (wider 68% side)"
            });
            e["interval_68"] = json!([num(p.one_sigma.lower), num(p.one_sigma.upper)]);
            e["interval_99_7"] = json!([num(p.three_sigma.lower), num(p.three_sigma.upper)]);
        }
        params.insert(name.to_string(), e);
    }
    json!({
        "timestamp": stamp,
        "analysis_mode": result.analysis_mode.as_str(),
        "chi_squared": num(result.chi_squared),
        "reduced_chi_squared": num(result.reduced_chi_squared),
        "convergence_status": result.convergence_status.as_str(),
        "parameters": params,
    })
}

fn analysis_results_json(data: &XpcsData, result: &NlsqResult, stamp: &str) -> Value {
    let n_t = data.n_times();
    let o = &result.objective;
    json!({
        "method": "nlsq",
        "timestamp": stamp,
        "analysis_mode": result.analysis_mode.as_str(),
        "fit_quality": {
            "chi_squared": num(result.chi_squared),
            "reduced_chi_squared": num(result.reduced_chi_squared),
            // Points in the objective minus free parameters (the reference used
            // c2_exp.size - len(parameters)).
            "degrees_of_freedom": result.degrees_of_freedom,
            "quality_flag": result.quality_flag,
            // The noise the residuals were divided by: per angle, and how it was obtained.
            "sigma": nums(&o.sigma),
            "sigma_mean": num(o.sigma_mean()),
            "sigma_method": o.sigma_method.as_str(),
            "sigma_description": o.sigma_method.describe(),
        },
        "dataset_info": {
            "n_angles": data.n_angles(),
            "n_time_points": n_t * n_t,
            "total_data_points": data.c2_exp.len(),
            "fitted_data_points": result.n_points,
            "q_value": num(data.q()),
            // Symmetric c2 (APS half matrices): each unordered time pair is one
            // measurement and is counted once.
            "symmetric": o.symmetric_data,
            "points_counted": o.points.describe(),
        },
        "optimization_summary": {
            "convergence_status": result.convergence_status.as_str(),
            "iterations": result.iterations,
            "function_evaluations": result.nfev,
            "execution_time": num(result.execution_time),
            "per_angle_mode": result.per_angle_mode.as_str(),
            "per_angle_decision": result.scaling_decision,
            "strategy": result.strategy,
        },
    })
}

fn convergence_metrics_json(result: &NlsqResult) -> Value {
    let mut checks = Map::new();
    for c in &result.quality_checks.checks {
        checks.insert(c.name.to_string(), json!(c.passed));
    }
    let warnings: Vec<String> = result
        .quality_checks
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.message.clone())
        .chain(result.warnings.iter().cloned())
        .collect();
    let reduction = if result.reduced_chi_squared < 1.0 {
        1.0 - result.reduced_chi_squared
    } else {
        0.0
    };
    json!({
        "convergence": {
            "status": result.convergence_status.as_str(),
            "iterations": result.iterations,
            "execution_time": num(result.execution_time),
            "final_chi_squared": num(result.chi_squared),
            "chi_squared_reduction": num(reduction),
        },
        "recovery_actions": result.recovery_actions,
        "quality_flag": result.quality_flag,
        "device_info": device_info(),
        "quality_validation_passed": result.quality_checks.all_passed,
        "quality_warnings": warnings,
        "quality_checks": checks,
        "condition_number": num(result.condition_number),
        "identifiability": {
            "all_identifiable": result.degeneracies.is_empty(),
            "degeneracies": result.degeneracies.iter().map(|d| json!({
                "parameters": d.parameters,
                "direction": nums(&d.direction),
                "relative_eigenvalue": num(d.relative_eigenvalue),
                "undetermined": d.undetermined,
                "identifiable_combination": d.combination.as_ref().map(|c| json!({
                    "expression": c.text,
                    "coefficients": c.coefficients.iter().map(|(n, v)| json!([n, num(*v)])).collect::<Vec<_>>(),
                    "value": num(c.value),
                    "uncertainty": num(c.uncertainty),
                })),
                "message": d.message,
            })).collect::<Vec<_>>(),
        },
        "doubts": result.doubts(),
        "profile_likelihood": result.profile.iter().map(|p| json!({
            "parameter": p.name,
            "value": num(p.value),
            "covariance_sigma": num(p.covariance_sigma),
            "quadratic": p.quadratic,
            "interval_68": [num(p.one_sigma.lower), num(p.one_sigma.upper)],
            "interval_68_at_bounds": [p.one_sigma.lower_at_bound, p.one_sigma.upper_at_bound],
            "interval_99_7": [num(p.three_sigma.lower), num(p.three_sigma.upper)],
            "interval_99_7_at_bounds": [p.three_sigma.lower_at_bound, p.three_sigma.upper_at_bound],
            "constrained_solves": p.solves,
        })).collect::<Vec<_>>(),
        "global_search": result.global_search.as_ref().map(|g| serde_json::to_value(g).unwrap_or(Value::Null)),
    })
}

/// The values of `n_phi` per-angle matrices in angle order, each computed by `make` when
/// its turn comes (one angle held at a time); the first error stops the stream and is
/// kept in `failure`.
pub(crate) fn per_angle<'a>(
    n_phi: usize,
    failure: &'a mut Option<OutputError>,
    make: impl Fn(usize) -> OutputResult<Array2<f64>> + 'a,
) -> impl Iterator<Item = f64> + 'a {
    (0..n_phi)
        .map_while(move |a| match make(a) {
            Ok(m) => Some(m),
            Err(e) => {
                *failure = Some(e);
                None
            }
        })
        .flat_map(|m| m.into_iter())
}

/// An error of the theory while an NPZ entry streams, carried through the writer.
pub(crate) fn surface_error(e: OutputError) -> homodyne_data::DataError {
    homodyne_data::DataError::InvalidOption {
        option: "fitted surfaces".into(),
        reason: e.to_string(),
    }
}

/// What `residuals_normalized` divides the residuals by.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Normalization<'a> {
    /// `0.05 c2_exp` (0 where c2_exp = 0): the reference's NLSQ file.
    FivePercent,
    /// The noise level of each angle (one value: all angles), as the CMC likelihood
    /// used it.
    Sigma(&'a [f64]),
}

impl Normalization<'_> {
    /// The divisor of angle `a` for data value `e` (NaN when unknown).
    fn divisor(&self, a: usize, e: f64) -> f64 {
        match self {
            Normalization::FivePercent => 0.05 * e,
            Normalization::Sigma(s) => match s.len() {
                0 => f64::NAN,
                1 => s[0],
                _ => s.get(a).copied().unwrap_or(f64::NAN),
            },
        }
    }
}

/// Write the reference's fitted_data.npz (`mode` decides precision and which per-point
/// arrays, [`FittedData`]); `solver` is the per-angle (contrast, offset) of the solver
/// surface (NLSQ's fit, CMC's posterior means). Every per-point array streams angle by
/// angle: the theory of one angle is computed, combined with that angle's data and
/// written, so memory stays at the data plus one angle's matrices whatever the size.
pub(crate) fn write_fitted_data(
    path: &Path,
    data: &XpcsData,
    surfaces: &Surfaces,
    solver: (&[f64], &[f64]),
    mode: FittedData,
    normalization: Normalization<'_>,
) -> OutputResult<()> {
    let c2 = &data.c2_exp;
    let n_phi = c2.len_of(Axis(0));
    let shape = c2.shape().to_vec();
    let scaling = Array2::from_shape_fn((n_phi, 2), |(a, j)| {
        if j == 0 {
            surfaces.lstsq[a].0
        } else {
            surfaces.lstsq[a].1
        }
    });
    let solver_scaling = Array2::from_shape_fn((n_phi, 2), |(a, j)| {
        if j == 0 {
            solver.0.get(a).copied().unwrap_or(f64::NAN)
        } else {
            solver.1.get(a).copied().unwrap_or(f64::NAN)
        }
    });
    let q = [data.q()];
    // Deflate, like the reference's savez_compressed, for ordinary sizes; above a few
    // million points noisy float64 barely compresses (1.10 GB -> 1.06 GB for
    // 23 x 1000 x 1000) and deflate would take longer than the fit, so store.
    let compress = c2.len() <= COMPRESS_MAX_POINTS;
    let exp = |a: usize| -> OutputResult<Array2<f64>> { Ok(c2.angle(a).to_f64()) };
    let scaled = |a: usize| surfaces.scaled(a);
    let residual = |a: usize| -> OutputResult<Array2<f64>> {
        let mut s = surfaces.scaled(a)?;
        let e = c2.angle(a);
        s.indexed_iter_mut()
            .for_each(|((i, j), v)| *v = e.get(i, j) - *v);
        Ok(s)
    };
    let normalized = |a: usize| -> OutputResult<Array2<f64>> {
        let mut r = residual(a)?;
        let e = c2.angle(a);
        r.indexed_iter_mut().for_each(|((i, j), v)| {
            let divisor = normalization.divisor(a, e.get(i, j));
            *v = if divisor == 0.0 { 0.0 } else { *v / divisor }
        });
        Ok(r)
    };
    let raw = |a: usize| surfaces.raw(a);
    let solver = |a: usize| surfaces.solver(a);
    type Make<'m> = &'m dyn Fn(usize) -> OutputResult<Array2<f64>>;
    let per_point: Vec<(&str, Make)> = match mode {
        FittedData::Compact => vec![("c2_exp", &exp), ("c2_solver_scaled", &solver)],
        _ => vec![
            ("c2_exp", &exp),
            ("c2_theoretical_raw", &raw),
            ("c2_theoretical_scaled", &scaled),
            ("c2_solver_scaled", &solver),
            ("residuals", &residual),
            ("residuals_normalized", &normalized),
        ],
    };
    write_npz_with(path, compress, |w| {
        w.add_f64("phi_angles", &[n_phi], data.phi_angles_list.iter())?;
        for (name, make) in &per_point {
            // Data and theory of one angle at a time; the order of the reference's file.
            let mut failure = None;
            let values = per_angle(n_phi, &mut failure, make);
            if mode == FittedData::Float64 {
                w.add_f64_values(name, &shape, values)?;
            } else {
                w.add_f32_values(name, &shape, values)?;
            }
            if let Some(e) = failure {
                return Err(surface_error(e));
            }
            if *name == "c2_solver_scaled" {
                w.add_f64("per_angle_scaling", &[n_phi, 2], scaling.iter())?;
                w.add_f64(
                    "per_angle_scaling_solver",
                    &[n_phi, 2],
                    solver_scaling.iter(),
                )?;
            }
        }
        w.add_f64("t1", &[data.t1.len()], data.t1.iter())?;
        w.add_f64("t2", &[data.t2.len()], data.t2.iter())?;
        w.add_f64("q", &[1], q.iter())?;
        Ok(())
    })
}

/// `<out>/homodyne_results.<fmt>`.
pub(crate) fn summary_path(out: &Path, format: SummaryFormat) -> PathBuf {
    out.join(match format {
        SummaryFormat::Json => "homodyne_results.json",
        SummaryFormat::Yaml => "homodyne_results.yaml",
        SummaryFormat::Npz => "homodyne_results.npz",
    })
}

/// `path` relative to `dir`, with `/` separators (the path itself when outside).
pub(crate) fn relative_name(path: &Path, dir: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file of the run for the summary `files` list, relative to `out`: `written`,
/// what the run in progress recorded under `out` and the summary itself; sorted, files
/// recorded but removed since (none normally) left out.
pub(crate) fn run_files(written: &[PathBuf], out: &Path, summary: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = written
        .iter()
        .cloned()
        .chain(recorded_files_under(out))
        .filter(|f| f.exists())
        .chain([summary.to_path_buf()])
        .collect();
    files.sort();
    files.dedup();
    files.iter().map(|f| relative_name(f, out)).collect()
}

/// The NLSQ part of the run summary: method, mode, success, parameters, diagnostics and
/// the device block (`files` is added by [`write_summary`]).
pub(crate) fn nlsq_summary(result: &NlsqResult) -> Value {
    json!({
        "method": "nlsq",
        "analysis_mode": result.analysis_mode.as_str(),
        "success": result.success(),
        "optimization_time": num(result.execution_time),
        "device_config": device_info(),
        "parameters": nums(&result.parameters),
        "parameter_names": result.parameter_names,
        "uncertainties": nums(&result.uncertainties),
        "diagnostics": {
            "chi_squared": num(result.chi_squared),
            "reduced_chi_squared": num(result.reduced_chi_squared),
            "converged": result.success(),
            "sigma_mean": num(result.objective.sigma_mean()),
            "sigma_method": result.objective.sigma_method.as_str(),
            "points_counted": result.objective.points.as_str(),
        },
    })
}

/// Arrays of the NPZ run summary of an NLSQ result: (name, values) and (name, text).
pub(crate) fn nlsq_summary_arrays(result: &NlsqResult) -> SummaryArrays {
    SummaryArrays {
        numbers: vec![
            ("parameters", result.parameters.clone()),
            ("uncertainties", result.uncertainties.clone()),
            (
                "chi_squared",
                vec![result.chi_squared, result.reduced_chi_squared],
            ),
        ],
        texts: vec![("parameter_names", result.parameter_names.join(","))],
    }
}

/// The arrays an NPZ run summary holds besides the JSON document and `files`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SummaryArrays {
    /// float64 vectors.
    pub numbers: Vec<(&'static str, Vec<f64>)>,
    /// Unicode scalars.
    pub texts: Vec<(&'static str, String)>,
}

/// The run summary at `path`: `summary` with `files` (every file of the run relative to
/// the output folder) added; as NPZ, `arrays`, the document as `results_summary_json`
/// and `files` (one per line).
pub(crate) fn write_summary(
    path: &Path,
    format: SummaryFormat,
    mut summary: Value,
    arrays: &SummaryArrays,
    files: &[String],
) -> OutputResult<()> {
    if let Some(map) = summary.as_object_mut() {
        map.insert("files".into(), json!(files));
    }
    match format {
        SummaryFormat::Json => write_json(path, &summary)?,
        SummaryFormat::Yaml => write_yaml(path, &summary)?,
        SummaryFormat::Npz => {
            let numbers: Vec<Array1<f64>> = arrays
                .numbers
                .iter()
                .map(|(_, v)| Array1::from(v.clone()))
                .collect();
            let mut entries: Vec<NpzEntry> = arrays
                .numbers
                .iter()
                .zip(&numbers)
                .map(|((name, _), a)| NpzEntry::array(name, a.view()))
                .collect();
            entries.extend(
                arrays
                    .texts
                    .iter()
                    .map(|(name, text)| NpzEntry::Text(name, text.clone())),
            );
            entries.push(NpzEntry::Text("results_summary_json", summary.to_string()));
            entries.push(NpzEntry::Text("files", files.join("\n")));
            write_npz(path, false, entries)?
        }
    }
    Ok(())
}

/// `noise sigma 0.0101 (estimated from the data, mean over 8 angles); each measurement
/// counted once`: the sigma of the objective and the points it counted.
fn noise_line(result: &NlsqResult) -> String {
    let o = &result.objective;
    let how = match o.sigma_method {
        SigmaMethod::Estimated => "estimated from the data",
        SigmaMethod::Configured => "configured",
        SigmaMethod::PerPoint => "per-point array",
        SigmaMethod::Default => "default; too few points to estimate",
    };
    let n = o.sigma.len();
    let spread = if n > 1 && o.sigma_method != SigmaMethod::Configured {
        format!(", mean over {n} angles")
    } else {
        String::new()
    };
    let points = if o.symmetric_data {
        "symmetric data: each measurement counted once"
    } else {
        "both triangles counted"
    };
    let sigma = o.sigma_mean();
    let sigma = if (1e-3..1e3).contains(&sigma) {
        format!("{sigma:.4}")
    } else {
        format!("{sigma:.3e}")
    };
    format!("noise sigma {sigma} ({how}{spread}); {points}\n")
}

/// The table printed at the end of a run: status line, the noise sigma the fit used (and
/// how it was obtained), mean contrast/offset, every physical parameter with its
/// uncertainty, then whatever makes the fit doubtful ([`NlsqResult::doubts`]: not
/// converged, quality, unidentifiable parameters, parameters at bounds), so that a table
/// kept without its stderr still says so.
pub fn summary_table(result: &NlsqResult) -> String {
    let mut out = format!(
        "NLSQ {} ({}), chi2 = {:.6e}, reduced chi2 = {:.4} [{}], {} iterations, {:.2} s\n",
        result.convergence_status.as_str(),
        result.per_angle_mode.as_str(),
        result.chi_squared,
        result.reduced_chi_squared,
        result.quality_flag.as_str(),
        result.iterations,
        result.execution_time
    );
    out.push_str(&noise_line(result));
    out.push_str(&format!(
        "{:<22} {:>16} {:>14}\n",
        "parameter", "value", "uncertainty"
    ));
    for (base, e) in [
        ("contrast", result.contrast_mean()),
        ("offset", result.offset_mean()),
    ] {
        out.push_str(&format!(
            "{:<22} {:>16.6e} {:>14.3e}\n",
            format!("{base} (mean)"),
            e.value,
            e.uncertainty
        ));
    }
    for (k, name) in result.physical_names().iter().enumerate() {
        // A non-quadratic profile: its 68 % interval, which the uncertainty summarises.
        let interval = result
            .profile
            .iter()
            .find(|p| p.name == *name && !p.quadratic)
            .map(|p| {
                format!(
                    "   68% [{:.4e}, {:.4e}] (profile)",
                    p.one_sigma.lower, p.one_sigma.upper
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<22} {:>16.6e} {:>14.3e}{interval}\n",
            name, result.physical[k], result.physical_uncertainty[k]
        ));
    }
    let doubts = result.doubts();
    if !doubts.is_empty() {
        out.push_str("doubts (details in nlsq/convergence_metrics.json):\n");
        for d in doubts {
            out.push_str(&format!("  - {d}\n"));
        }
    }
    out
}
