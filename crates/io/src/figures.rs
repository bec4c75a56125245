//! Figures with the reference's file names: per-angle heatmaps and diagonal
//! profiles of experimental and simulated data, and experimental / fit / residual
//! comparisons after a fit. Drawing itself is `homodyne-plot`.

use std::path::Path;

use homodyne_data::XpcsData;
use homodyne_plot::{
    DiagonalProfileOptions, FitComparisonOptions, HeatmapOptions, diagonal_profile,
    fit_comparison_file_name, fit_comparison_heatmaps, heatmap,
};
use ndarray::{Array1, Array3, ArrayView1, ArrayView2, ArrayView3, Axis};

use crate::error::{OutputError, OutputResult, io_err};
use crate::progress::Progress;
use crate::run::{record_file, remove_stale_figures};

/// `c2_heatmaps_phi_<phi>deg.png` (homodyne_plot::fit_comparison_file_name) as prefix and
/// suffix around the angle.
const FIT_COMPARISON_PREFIX: &str = "c2_heatmaps_phi_";
const FIT_COMPARISON_SUFFIX: &str = "deg.png";

fn plot_err(path: &Path) -> impl FnOnce(homodyne_plot::PlotError) -> OutputError + '_ {
    move |e| OutputError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// One c2 heatmap with time axes in seconds.
pub fn c2_heatmap(
    path: &Path,
    c2: ArrayView2<f64>,
    t: ArrayView1<f64>,
    title: &str,
) -> OutputResult<()> {
    let opts = HeatmapOptions {
        title: title.to_string(),
        ..HeatmapOptions::default()
    };
    heatmap(path, c2, t, t, &opts).map_err(plot_err(path))?;
    record_file(path);
    Ok(())
}

fn per_angle(
    dir: &Path,
    stem: &str,
    label: &str,
    c2: ArrayView3<f64>,
    t: ArrayView1<f64>,
    phi: &[f64],
    progress: &dyn Progress,
) -> OutputResult<()> {
    std::fs::create_dir_all(dir).map_err(io_err("cannot create folder", dir))?;
    remove_stale_figures(dir, &format!("{stem}_phi_"), ".png");
    progress.begin(&format!("{label} plots"), phi.len());
    let result = per_angle_figures(dir, stem, label, c2, t, phi, progress);
    progress.end();
    result
}

fn per_angle_figures(
    dir: &Path,
    stem: &str,
    label: &str,
    c2: ArrayView3<f64>,
    t: ArrayView1<f64>,
    phi: &[f64],
    progress: &dyn Progress,
) -> OutputResult<()> {
    for (a, &angle) in phi.iter().enumerate() {
        let path = dir.join(format!("{stem}_phi_{angle:.1}.png"));
        c2_heatmap(
            &path,
            c2.index_axis(Axis(0), a),
            t,
            &format!("{label} c₂, φ = {angle:.1}°"),
        )?;
        progress.step();
    }
    let path = dir.join(format!("{stem}_diagonal.png"));
    let phi_arr = Array1::from(phi.to_vec());
    let opts = DiagonalProfileOptions {
        title: format!("{label} c₂ diagonal"),
        include_off_diagonal: true,
        ..DiagonalProfileOptions::default()
    };
    diagonal_profile(&path, c2, t, phi_arr.view(), &opts).map_err(plot_err(&path))?;
    record_file(&path);
    tracing::info!("wrote {} {label} plots to {}", phi.len() + 1, dir.display());
    Ok(())
}

/// `experimental_data_phi_<phi>.png` per angle and `experimental_data_diagonal.png`
/// (per-angle figures of an earlier run in `dir` are removed first).
pub fn experimental(dir: &Path, data: &XpcsData, progress: &dyn Progress) -> OutputResult<()> {
    per_angle(
        dir,
        "experimental_data",
        "Experimental",
        data.c2_exp.view(),
        data.t1.view(),
        data.phi_angles_list
            .as_slice()
            .unwrap_or(&data.phi_angles_list.to_vec()),
        progress,
    )
}

/// `simulated_data_phi_<phi>.png` per angle and `simulated_data_diagonal.png`
/// (per-angle figures of an earlier run in `dir` are removed first).
pub fn simulated(
    dir: &Path,
    c2: &Array3<f64>,
    t: &[f64],
    phi: &[f64],
    progress: &dyn Progress,
) -> OutputResult<()> {
    let t = Array1::from(t.to_vec());
    per_angle(
        dir,
        "simulated_data",
        "Simulated",
        c2.view(),
        t.view(),
        phi,
        progress,
    )
}

/// `c2_heatmaps_phi_<phi>deg.png` per angle: experimental / fit / residual. Angles are
/// drawn in parallel (each figure has its own bitmap; the font is registered once).
/// Such figures of an earlier run in `dir` are removed first.
pub fn fit_comparisons(
    dir: &Path,
    exp: ArrayView3<f64>,
    fit: ArrayView3<f64>,
    t: ArrayView1<f64>,
    phi: &[f64],
    progress: &dyn Progress,
) -> OutputResult<()> {
    use rayon::prelude::*;
    remove_stale_figures(dir, FIT_COMPARISON_PREFIX, FIT_COMPARISON_SUFFIX);
    progress.begin("fit comparison plots", phi.len());
    let result = phi.par_iter().enumerate().try_for_each(|(a, &angle)| {
        let path = dir.join(fit_comparison_file_name(angle));
        let opts = FitComparisonOptions {
            phi_deg: angle,
            ..FitComparisonOptions::default()
        };
        fit_comparison_heatmaps(
            &path,
            exp.index_axis(Axis(0), a),
            fit.index_axis(Axis(0), a),
            t,
            t,
            &opts,
        )
        .map_err(plot_err(&path))?;
        record_file(&path);
        progress.step();
        Ok(())
    });
    progress.end();
    result
}

/// One experimental / fit / residual figure at `path`.
pub fn fit_comparison_one(
    path: &Path,
    exp: ArrayView2<f64>,
    fit: ArrayView2<f64>,
    t: ArrayView1<f64>,
    phi_deg: f64,
) -> OutputResult<()> {
    let opts = FitComparisonOptions {
        phi_deg,
        ..FitComparisonOptions::default()
    };
    fit_comparison_heatmaps(path, exp, fit, t, t, &opts).map_err(plot_err(path))?;
    record_file(path);
    Ok(())
}
