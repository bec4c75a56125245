//! NLSQ result files with the reference's names and keys (spec 07 §7.4, §7.6):
//! `<out>/nlsq/{parameters.json, analysis_results_nlsq.json, convergence_metrics.json,
//! fitted_data.npz, c2_heatmaps_phi_<phi>deg.png}` and `<out>/homodyne_results.<fmt>`.
//! The files describe the loaded grid including t = 0 (the fit itself excluded it).

use std::path::Path;

use anyhow::Result;
use homodyne_data::npz::NpzWriter;
use homodyne_model::g2_grid;
use homodyne_nlsq::NlsqResult;
use ndarray::{Array1, Array2, Array3, Axis};

use serde_json::{Map, Value, json};

use crate::args::OutputFormat;
use crate::atomic::{NpzEntry, write_atomic, write_npz};
use crate::json::{num, nums, timestamp, write_json, write_yaml};
use crate::plots;
use crate::run::{Prepared, experiment_for};

/// Largest c2 (points) whose fitted_data.npz is deflated.
const COMPRESS_MAX_POINTS: usize = 4_000_000;

pub fn write_all(p: &Prepared, result: &NlsqResult) -> Result<()> {
    let dir = p.args.output_dir.join("nlsq");
    std::fs::create_dir_all(&dir)?;
    let stamp = timestamp();
    write_json(
        &dir.join("parameters.json"),
        &parameters_json(result, &stamp),
    )?;
    write_json(
        &dir.join("analysis_results_nlsq.json"),
        &analysis_results_json(p, result, &stamp),
    )?;
    write_json(
        &dir.join("convergence_metrics.json"),
        &convergence_metrics_json(result),
    )?;
    let surfaces = Surfaces::compute(p, result)?;
    surfaces.write_npz(&dir.join("fitted_data.npz"), p, result)?;
    let phi = p.data.phi_angles_list.to_vec();
    // plotting.fit_surface: "solver" (default) draws o_i + c_i g1^2 with the solver's
    // values, anything else the post-hoc least-squares scaled theory.
    let scaled;
    let fit_surface = if p.loaded.config.plotting.fit_surface == "solver" {
        &surfaces.solver
    } else {
        scaled = surfaces.scaled();
        &scaled
    };
    plots::fit_comparisons(
        &dir,
        p.data.c2_exp.view(),
        fit_surface.view(),
        p.data.t1.view(),
        &phi,
    )?;
    if p.args.save_plots {
        save_fitted_simulation(p, result, &surfaces.solver)?;
    }
    write_summary(p, result)?;
    tracing::info!("NLSQ results written to {}", dir.display());
    Ok(())
}

/// `--save-plots`: `<out>/simulated_data/{c2_fitted_data.npz,
/// simulation_config_fitted.json, simulated_c2_fitted_phi_<phi>deg.png}` and
/// `<out>/plots/fit_comparison.png` (the angle closest to the flow direction).
fn save_fitted_simulation(p: &Prepared, result: &NlsqResult, fitted: &Array3<f64>) -> Result<()> {
    let dir = p.args.output_dir.join("simulated_data");
    std::fs::create_dir_all(&dir)?;
    let phi = p.data.phi_angles_list.to_vec();
    write_npz(
        &dir.join("c2_fitted_data.npz"),
        fitted.len() <= COMPRESS_MAX_POINTS,
        vec![
            NpzEntry::array("c2", fitted.view()),
            NpzEntry::array("t1", p.data.t1.view()),
            NpzEntry::array("t2", p.data.t2.view()),
            NpzEntry::array("phi_angles", p.data.phi_angles_list.view()),
        ],
    )?;
    let n_phys = result.physical.len();
    let physical: Map<String, Value> = result.parameter_names[result.parameters.len() - n_phys..]
        .iter()
        .zip(&result.physical)
        .map(|(n, &v)| (n.clone(), num(v)))
        .collect();
    let cfg = &p.loaded.config;
    write_json(
        &dir.join("simulation_config_fitted.json"),
        &json!({
            "analysis_mode": result.analysis_mode,
            "parameters": physical,
            "contrast": nums(&result.contrast),
            "offset": nums(&result.offset),
            "phi_angles": nums(&phi),
            "wavevector_q": num(p.data.q()),
            "stator_rotor_gap": num(cfg.stator_rotor_gap()),
            "dt": num(p.data.dt),
            "n_time_points": p.data.n_times(),
        }),
    )?;
    for (a, &angle) in phi.iter().enumerate() {
        plots::c2_heatmap(
            &dir.join(format!("simulated_c2_fitted_phi_{angle:.1}deg.png")),
            fitted.index_axis(Axis(0), a),
            p.data.t1.view(),
            &format!("Fitted c₂, φ = {angle:.1}°"),
        )?;
    }
    // The angle closest to the flow direction phi0 (static: the first angle).
    let phi0 = if n_phys == 7 {
        result.physical[6]
    } else {
        phi[0]
    };
    let closest = (0..phi.len())
        .min_by(|&a, &b| (phi[a] - phi0).abs().total_cmp(&(phi[b] - phi0).abs()))
        .unwrap_or(0);
    let plots_dir = p.args.output_dir.join("plots");
    std::fs::create_dir_all(&plots_dir)?;
    plots::fit_comparison_one(
        &plots_dir.join("fit_comparison.png"),
        p.data.c2_exp.index_axis(Axis(0), closest),
        fitted.index_axis(Axis(0), closest),
        p.data.t1.view(),
        phi[closest],
    )?;
    tracing::info!("fitted simulation written to {}", dir.display());
    Ok(())
}

/// `{value, uncertainty}` of one parameter.
fn entry(value: f64, uncertainty: f64) -> Value {
    json!({"value": num(value), "uncertainty": num(uncertainty)})
}

/// Mean value and RMS uncertainty of the per-angle entries named `base_<k>`.
fn per_angle_summary(result: &NlsqResult, base: &str) -> (f64, f64) {
    let prefix = format!("{base}_");
    let (mut sum, mut var, mut n) = (0.0, 0.0, 0usize);
    for (i, name) in result.parameter_names.iter().enumerate() {
        if name
            .strip_prefix(&prefix)
            .is_some_and(|k| k.parse::<usize>().is_ok())
        {
            sum += result.parameters[i];
            var += result.uncertainties[i] * result.uncertainties[i];
            n += 1;
        }
    }
    let n = n.max(1) as f64;
    (sum / n, (var / n).sqrt())
}

pub fn parameters_json(result: &NlsqResult, stamp: &str) -> Value {
    let mut params = Map::new();
    for base in ["contrast", "offset"] {
        let (v, u) = per_angle_summary(result, base);
        params.insert(base.into(), entry(v, u));
    }
    let n_phys = result.physical.len();
    let first_phys = result.parameters.len() - n_phys;
    for k in 0..n_phys {
        let i = first_phys + k;
        params.insert(
            result.parameter_names[i].clone(),
            entry(result.parameters[i], result.uncertainties[i]),
        );
    }
    json!({
        "timestamp": stamp,
        "analysis_mode": result.analysis_mode,
        "chi_squared": num(result.chi_squared),
        "reduced_chi_squared": num(result.reduced_chi_squared),
        "convergence_status": result.convergence_status.as_str(),
        "parameters": params,
    })
}

fn analysis_results_json(p: &Prepared, result: &NlsqResult, stamp: &str) -> Value {
    let n_t = p.data.n_times();
    json!({
        "method": "nlsq",
        "timestamp": stamp,
        "analysis_mode": result.analysis_mode,
        "fit_quality": {
            "chi_squared": num(result.chi_squared),
            "reduced_chi_squared": num(result.reduced_chi_squared),
            // Points in the objective minus free parameters (the reference used
            // c2_exp.size - len(parameters)).
            "degrees_of_freedom": result.degrees_of_freedom,
            "quality_flag": result.quality_flag,
        },
        "dataset_info": {
            "n_angles": p.data.n_angles(),
            "n_time_points": n_t * n_t,
            "total_data_points": p.data.c2_exp.len(),
            "fitted_data_points": result.n_points,
            "q_value": num(p.data.q()),
        },
        "optimization_summary": {
            "convergence_status": result.convergence_status.as_str(),
            "iterations": result.iterations,
            "function_evaluations": result.nfev,
            "execution_time": num(result.execution_time),
            "per_angle_mode": result.per_angle_mode,
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
    })
}

fn device_info() -> Value {
    json!({
        "platform": "cpu",
        "device": "cpu",
        "device_kind": std::env::consts::ARCH,
        "n_devices": 1,
        "threads": rayon::current_num_threads(),
        "adapter": "homodyne-rs",
        "fallback_occurred": false,
        "fallback_reason": null,
    })
}

/// Theory surfaces on the loaded grid (t from 0) for fitted_data.npz and the plots.
struct Surfaces {
    /// `1 + g1^2` (contrast = offset = 1).
    raw: Array3<f64>,
    /// `offset_i + contrast_i g1^2` with the solver's per-angle values.
    solver: Array3<f64>,
    /// Post-hoc least-squares `[a_i, b_i]` of `c2_exp ~ a raw + b` (diagonal included).
    lstsq: Vec<(f64, f64)>,
}

impl Surfaces {
    fn compute(p: &Prepared, result: &NlsqResult) -> Result<Self> {
        let experiment = experiment_for(&p.loaded.config, p.mode, p.data)?;
        let n_phi = experiment.n_phi();
        let raw = g2_grid(
            &experiment,
            &result.physical,
            &vec![1.0; n_phi],
            &vec![1.0; n_phi],
        )?;
        let solver = g2_grid(
            &experiment,
            &result.physical,
            &result.contrast,
            &result.offset,
        )?;
        let lstsq = raw
            .outer_iter()
            .zip(p.data.c2_exp.outer_iter())
            .map(|(r, c)| line_fit(r.iter().copied(), c.iter().copied()))
            .collect();
        Ok(Surfaces { raw, solver, lstsq })
    }

    /// `a_i raw + b_i` with the post-hoc least-squares scaling of each angle.
    fn scaled(&self) -> Array3<f64> {
        let mut out = self.raw.clone();
        for (mut m, &(a, b)) in out.outer_iter_mut().zip(&self.lstsq) {
            m.mapv_inplace(|r| a * r + b);
        }
        out
    }

    /// Write the 12 arrays of the reference's fitted_data.npz. Derived surfaces are
    /// computed in one reused buffer to keep memory near a few copies of the data.
    fn write_npz(&self, path: &Path, p: &Prepared, result: &NlsqResult) -> Result<()> {
        let c2 = &p.data.c2_exp;
        let n_phi = c2.len_of(Axis(0));
        let plane = c2.len() / n_phi.max(1);
        let shape = c2.shape().to_vec();
        let scaling = Array2::from_shape_fn((n_phi, 2), |(a, j)| {
            if j == 0 {
                self.lstsq[a].0
            } else {
                self.lstsq[a].1
            }
        });
        let solver_scaling = Array2::from_shape_fn((n_phi, 2), |(a, j)| {
            if j == 0 {
                result.contrast[a]
            } else {
                result.offset[a]
            }
        });
        let q = [p.data.q()];
        write_atomic(path, |tmp| {
            // Deflate, like the reference's savez_compressed, for ordinary sizes; above a
            // few million points noisy float64 barely compresses (1.10 GB -> 1.06 GB for
            // 23 x 1000 x 1000) and deflate would take longer than the fit, so store.
            let compress = c2.len() <= COMPRESS_MAX_POINTS;
            let mut w = NpzWriter::create(tmp, compress)?;
            w.add_f64("phi_angles", &[n_phi], p.data.phi_angles_list.iter())?;
            w.add_f64("c2_exp", &shape, c2.iter())?;
            w.add_f64("c2_theoretical_raw", &shape, self.raw.iter())?;
            let mut buf: Vec<f64> = self
                .raw
                .iter()
                .enumerate()
                .map(|(k, &r)| {
                    let (a, b) = self.lstsq[k / plane.max(1)];
                    a * r + b
                })
                .collect();
            w.add_f64("c2_theoretical_scaled", &shape, buf.iter())?;
            w.add_f64("c2_solver_scaled", &shape, self.solver.iter())?;
            w.add_f64("per_angle_scaling", &[n_phi, 2], scaling.iter())?;
            w.add_f64(
                "per_angle_scaling_solver",
                &[n_phi, 2],
                solver_scaling.iter(),
            )?;
            buf.iter_mut().zip(c2.iter()).for_each(|(s, e)| *s = e - *s);
            w.add_f64("residuals", &shape, buf.iter())?;
            buf.iter_mut()
                .zip(c2.iter())
                .for_each(|(r, &e)| *r = if e == 0.0 { 0.0 } else { *r / (0.05 * e) });
            w.add_f64("residuals_normalized", &shape, buf.iter())?;
            w.add_f64("t1", &[p.data.t1.len()], p.data.t1.iter())?;
            w.add_f64("t2", &[p.data.t2.len()], p.data.t2.iter())?;
            w.add_f64("q", &[1], q.iter())?;
            w.finish()?;
            Ok(())
        })
    }
}

/// Least-squares `(a, b)` of `y ~ a x + b`; `(1, 0)`-like fallback when degenerate.
fn line_fit(x: impl Iterator<Item = f64>, y: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in x.zip(y) {
        if x.is_finite() && y.is_finite() {
            n += 1.0;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
    }
    let det = n * sxx - sx * sx;
    if n < 2.0 || det.abs() <= 1e-12 * (n * sxx).abs().max(f64::MIN_POSITIVE) {
        return (1.0, if n > 0.0 { (sy - sx) / n } else { 0.0 });
    }
    let a = (n * sxy - sx * sy) / det;
    (a, (sy - a * sx) / n)
}

fn write_summary(p: &Prepared, result: &NlsqResult) -> Result<()> {
    let summary = json!({
        "method": "nlsq",
        "analysis_mode": result.analysis_mode,
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
        },
    });
    let out = &p.args.output_dir;
    match p.args.output_format {
        OutputFormat::Json => write_json(&out.join("homodyne_results.json"), &summary),
        OutputFormat::Yaml => write_yaml(&out.join("homodyne_results.yaml"), &summary),
        OutputFormat::Npz => {
            let params = Array1::from(result.parameters.clone());
            let unc = Array1::from(result.uncertainties.clone());
            let chi = Array1::from(vec![result.chi_squared, result.reduced_chi_squared]);
            write_npz(
                &out.join("homodyne_results.npz"),
                false,
                vec![
                    NpzEntry::array("parameters", params.view()),
                    NpzEntry::array("uncertainties", unc.view()),
                    NpzEntry::array("chi_squared", chi.view()),
                    NpzEntry::Text("parameter_names", result.parameter_names.join(",")),
                    NpzEntry::Text("results_summary_json", summary.to_string()),
                ],
            )
        }
    }
}

/// The table printed at the end of a run.
pub fn print_summary(result: &NlsqResult) {
    println!(
        "NLSQ {} ({}), chi2 = {:.6e}, reduced chi2 = {:.4} [{}], {} iterations, {:.2} s",
        result.convergence_status.as_str(),
        result.per_angle_mode,
        result.chi_squared,
        result.reduced_chi_squared,
        serde_json::to_value(result.quality_flag)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        result.iterations,
        result.execution_time
    );
    println!("{:<22} {:>16} {:>14}", "parameter", "value", "uncertainty");
    let n_phys = result.physical.len();
    let first_phys = result.parameters.len() - n_phys;
    for base in ["contrast", "offset"] {
        let (v, u) = per_angle_summary(result, base);
        println!("{:<22} {v:>16.6e} {u:>14.3e}", format!("{base} (mean)"));
    }
    for i in first_phys..result.parameters.len() {
        println!(
            "{:<22} {:>16.6e} {:>14.3e}",
            result.parameter_names[i], result.parameters[i], result.uncertainties[i]
        );
    }
}
