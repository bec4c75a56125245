//! Writes sample plots (heatmap, fit comparison, diagonal profile) into the folder given
//! as first argument (default: current folder) for visual inspection.

use homodyne_plot::*;
use ndarray::{Array1, Array2, Array3};
use std::path::PathBuf;

fn main() -> Result<(), PlotError> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let n = 400;
    let dt = 0.05;
    let t = Array1::from_shape_fn(n, |i| i as f64 * dt);
    let model = |i: usize, j: usize, k: f64| {
        let lag = (i as f64 - j as f64).abs() * dt;
        1.0 + 0.25 * (-lag * (0.5 + 0.2 * k + 0.002 * (i + j) as f64)).exp()
    };
    let mut exp = Array2::from_shape_fn((n, n), |(i, j)| model(i, j, 0.0));
    let fit = exp.clone();
    for ((i, j), v) in exp.indexed_iter_mut() {
        *v += 0.01 * (((i * 7919 + j * 104_729) % 1000) as f64 / 500.0 - 1.0);
    }
    exp[[10, 300]] = f64::NAN;
    for i in 0..20 {
        for j in 380..400 {
            exp[[i, j]] = f64::NAN;
        }
    }
    let start = std::time::Instant::now();
    heatmap(
        &dir.join("experimental_data_phi_0.0.png"),
        exp.view(),
        t.view(),
        t.view(),
        &HeatmapOptions {
            title: "Experimental c₂, φ = 0.0°".into(),
            ..Default::default()
        },
    )?;
    eprintln!("heatmap {:?}", start.elapsed());
    fit_comparison_heatmaps(
        &dir.join(fit_comparison_file_name(0.0)),
        exp.view(),
        fit.view(),
        t.view(),
        t.view(),
        &FitComparisonOptions::default(),
    )?;
    let c2 = Array3::from_shape_fn((4, n, n), |(k, i, j)| model(i, j, k as f64));
    let phi = Array1::from(vec![0.0, 30.0, 60.0, 90.0]);
    diagonal_profile(
        &dir.join("experimental_data_diagonal.png"),
        c2.view(),
        t.view(),
        phi.view(),
        &DiagonalProfileOptions {
            include_off_diagonal: true,
            ..Default::default()
        },
    )?;
    Ok(())
}
