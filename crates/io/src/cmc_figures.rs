//! Figures of a CMC run in `<out>/cmc/`: `trace.png` (pages `trace_<k>.png` when many
//! parameters), `posterior_marginals.png`, `corner.png` and the per-angle fit comparisons
//! `c2_heatmaps_phi_<phi>deg.png` at the posterior means. The NLSQ warm start, when
//! given, is marked (value ± 1 sd in the marginals).

use std::path::{Path, PathBuf};

use homodyne_plot::{
    CornerOptions, MarginalOptions, PosteriorParam, TraceOptions, corner_plot,
    fit_comparison_file_name, marginal_posteriors, trace_plot,
};
use ndarray::Axis;

use crate::cmc_files::{CmcRun, Derived};
use crate::error::OutputResult;
use crate::figures;
use crate::nlsq_files::{FitSurface, OutputOptions};
use crate::progress::Progress;
use crate::run::record_file;

/// Remove `trace.png` and `trace_<k>.png` of an earlier run in `dir`.
fn remove_stale_traces(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let page = name
            .strip_prefix("trace_")
            .and_then(|r| r.strip_suffix(".png"))
            .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
        if name == "trace.png" || page {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// NLSQ value and sd of an entry of the sampled vector (matched by name in the NLSQ
/// optimiser's vector, then the per-angle layout).
fn nlsq_reference(run: &CmcRun, name: &str) -> Option<(f64, f64)> {
    let nlsq = run.nlsq?;
    if let Some(i) = nlsq.fitted_names.iter().position(|n| n == name) {
        return Some((
            nlsq.fitted_vector[i],
            nlsq.fitted_uncertainties
                .get(i)
                .copied()
                .unwrap_or(f64::NAN),
        ));
    }
    let i = nlsq.parameter_names.iter().position(|n| n == name)?;
    Some((
        nlsq.parameters[i],
        nlsq.uncertainties.get(i).copied().unwrap_or(f64::NAN),
    ))
}

fn with_reference<'a>(p: PosteriorParam<'a>, r: Option<(f64, f64)>) -> PosteriorParam<'a> {
    match r {
        Some((v, sd)) => p.with_reference(v, sd.is_finite().then_some(sd)),
        None => p,
    }
}

fn fmt_diag(rhat: f64, ess: f64) -> String {
    let r = if rhat.is_finite() {
        format!("{rhat:.3}")
    } else {
        "n/a".into()
    };
    let e = if ess.is_finite() {
        format!("{ess:.0}")
    } else {
        "n/a".into()
    };
    format!("R-hat = {r}  ESS = {e}")
}

/// Draw one posterior figure; a failure is logged and the figure skipped.
fn attempt(
    what: &str,
    draw: impl FnOnce() -> Result<homodyne_plot::PosteriorPlotInfo, homodyne_plot::PlotError>,
) -> Vec<PathBuf> {
    match draw() {
        Ok(info) => {
            for f in &info.files {
                record_file(f);
            }
            info.files
        }
        Err(e) => {
            tracing::warn!("{what} not drawn: {e}");
            Vec::new()
        }
    }
}

/// Every CMC figure; returns the files written.
pub(crate) fn write_figures(
    dir: &Path,
    run: &CmcRun,
    derived: &Derived,
    options: &OutputOptions,
    progress: &dyn Progress,
) -> OutputResult<Vec<PathBuf>> {
    let result = run.result;
    let mut written = Vec::new();
    progress.begin("posterior plots", 3);

    // Trace of every entry of the sampled vector.
    remove_stale_traces(dir);
    let trace: Vec<PosteriorParam> = result
        .names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let s = &result.summaries[j];
            with_reference(
                PosteriorParam::new(name.clone(), result.draws.index_axis(Axis(2), j))
                    .with_diagnostics(fmt_diag(s.rhat, s.ess_bulk)),
                nlsq_reference(run, name),
            )
        })
        .collect();
    written.extend(attempt("trace plot", || {
        trace_plot(&dir.join("trace.png"), &trace, &TraceOptions::default())
    }));
    progress.step();

    // Marginals of the free physical parameters and the mean contrast / offset.
    let mut marginals: Vec<PosteriorParam> = Vec::new();
    let nlsq_mean = |offset: bool| {
        run.nlsq.map(|r| {
            let e = if offset {
                r.offset_mean()
            } else {
                r.contrast_mean()
            };
            (e.value, e.uncertainty)
        })
    };
    marginals.push(with_reference(
        PosteriorParam::new("contrast (mean)", derived.contrast_mean_draws.view()),
        nlsq_mean(false),
    ));
    marginals.push(with_reference(
        PosteriorParam::new("offset (mean)", derived.offset_mean_draws.view()),
        nlsq_mean(true),
    ));
    let physical: Vec<PosteriorParam> = derived
        .free()
        .into_iter()
        .map(|k| {
            let name = &derived.physical_names[k];
            let reference = run
                .nlsq
                .and_then(|r| r.parameter(name).map(|e| (e.value, e.uncertainty)));
            with_reference(
                PosteriorParam::new(name.clone(), derived.physical_draws(k)),
                reference,
            )
        })
        .collect();
    marginals.extend(physical.iter().cloned());
    written.extend(attempt("posterior marginals", || {
        marginal_posteriors(
            &dir.join("posterior_marginals.png"),
            &marginals,
            &MarginalOptions::default(),
        )
    }));
    progress.step();

    // Corner plot of the free physical parameters.
    let corner = dir.join("corner.png");
    if physical.is_empty() {
        let _ = std::fs::remove_file(&corner);
    } else {
        written.extend(attempt("corner plot", || {
            corner_plot(&corner, &physical, &CornerOptions::default())
        }));
    }
    progress.step();
    progress.end();

    // Fit comparisons at the posterior means (stale ones removed by fit_comparisons).
    let surfaces = run.surfaces;
    let phi = run.data.phi_angles_list.to_vec();
    let fit_surface = |a: usize| match options.fit_surface {
        FitSurface::Solver => surfaces.solver(a),
        FitSurface::Scaled => surfaces.scaled(a),
    };
    figures::fit_comparisons(
        dir,
        &run.data.c2_exp,
        &fit_surface,
        run.data.t1.view(),
        &phi,
        progress,
    )?;
    written.extend(phi.iter().map(|&a| dir.join(fit_comparison_file_name(a))));
    Ok(written)
}
