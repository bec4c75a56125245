//! Figures with the reference's file names: per-angle heatmaps and diagonal
//! profiles of experimental and simulated data, and experimental / fit / residual
//! comparisons after a fit. Drawing itself is `homodyne-plot`.

use std::path::Path;

use homodyne_data::{C2Stack, XpcsData};
use homodyne_plot::{
    DiagonalProfileOptions, FitComparisonOptions, HeatmapOptions, diagonal_profile,
    fit_comparison_file_name, fit_comparison_heatmaps, heatmap,
};
use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, ArrayView3, Axis, s};

use crate::error::{OutputError, OutputResult, io_err};
use crate::progress::Progress;
use crate::run::{record_file, remove_stale_figures};

/// `c2_heatmaps_phi_<phi>deg.png` (homodyne_plot::fit_comparison_file_name) as prefix and
/// suffix around the angle.
const FIT_COMPARISON_PREFIX: &str = "c2_heatmaps_phi_";
const FIT_COMPARISON_SUFFIX: &str = "deg.png";

/// Largest side of a matrix drawn as is; larger ones are drawn from every k-th frame
/// (k = ceil(n / MAX_PLOT_SIDE)), which the figures' few hundred pixels cannot tell
/// apart, so a 25 x 2000 x 2000 run never copies its data or theory for the figures.
pub const MAX_PLOT_SIDE: usize = 1000;

/// `m` and its time axis `t` at every k-th frame when `m` is larger than
/// [`MAX_PLOT_SIDE`] (otherwise a copy).
pub fn downsampled(m: ArrayView2<f64>, t: ArrayView1<f64>) -> (Array2<f64>, Array1<f64>) {
    let step = m.nrows().max(m.ncols()).div_ceil(MAX_PLOT_SIDE).max(1);
    let step = step as isize;
    (
        m.slice(s![..;step, ..;step]).to_owned(),
        t.slice(s![..;step]).to_owned(),
    )
}

/// A stack's matrices (any precision) at every k-th frame, as f64 for drawing.
fn downsampled_stack(c2: &C2Stack, t: ArrayView1<f64>) -> (Array3<f64>, Array1<f64>) {
    let (n_phi, n, _) = c2.dim();
    let step = n.div_ceil(MAX_PLOT_SIDE).max(1) as isize;
    let t = t.slice(s![..;step]).to_owned();
    let m = t.len();
    let mut out = Array3::<f64>::zeros((n_phi, m, m));
    for a in 0..n_phi {
        let mut plane = out.index_axis_mut(Axis(0), a);
        match c2.angle(a) {
            homodyne_data::C2Matrix::F64(v) => {
                plane.assign(&v.slice(s![..;step, ..;step]));
            }
            homodyne_data::C2Matrix::F32(v) => {
                plane.assign(&v.slice(s![..;step, ..;step]).mapv(f64::from));
            }
        }
    }
    (out, t)
}

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
    let (c2, t) = downsampled_stack(&data.c2_exp, data.t1.view());
    per_angle(
        dir,
        "experimental_data",
        "Experimental",
        c2.view(),
        t.view(),
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
    let (c2, t) = downsampled_stack(&C2Stack::F64(c2.clone()), t.view());
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
    exp: &C2Stack,
    fit: &(dyn Fn(usize) -> OutputResult<Array2<f64>> + Sync),
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
        // The angle's data and theory, thinned for drawing when large.
        let (e, ts) = downsampled(exp.angle(a).to_f64().view(), t);
        let (f, _) = downsampled(fit(a)?.view(), t);
        fit_comparison_heatmaps(&path, e.view(), f.view(), ts.view(), ts.view(), &opts)
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
