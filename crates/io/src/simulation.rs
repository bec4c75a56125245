//! Files of a simulation (`homodyne simulate`, the reference's `hsim`): the NPZ with
//! `t`, `phi_angles`, `c2`, and one heatmap per angle.

use std::path::{Path, PathBuf};

use homodyne_model::AnalysisMode;
use ndarray::{Array1, Array3, Axis};

use crate::atomic::{NpzEntry, write_npz};
use crate::error::{OutputResult, io_err};
use crate::figures;
use crate::progress::Progress;
use crate::run::remove_stale_figures;

/// Write `t`, `phi_angles` and `c2` (n_phi x n_t x n_t) to `path`.
pub fn write_simulation_npz(
    path: &Path,
    t: &[f64],
    phi: &[f64],
    c2: &Array3<f64>,
) -> OutputResult<()> {
    let t = Array1::from(t.to_vec());
    let phi = Array1::from(phi.to_vec());
    write_npz(
        path,
        false,
        vec![
            NpzEntry::array("t", t.view()),
            NpzEntry::array("phi_angles", phi.view()),
            NpzEntry::array("c2", c2.view()),
        ],
    )
}

/// `simulated_c2_phi_<phi>deg.png` per angle in `dir` (such figures of an earlier
/// simulation there are removed first); returns the paths.
pub fn write_simulation_heatmaps(
    dir: &Path,
    t: &[f64],
    phi: &[f64],
    c2: &Array3<f64>,
    mode: AnalysisMode,
    progress: &dyn Progress,
) -> OutputResult<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(io_err("cannot create plot folder", dir))?;
    remove_stale_figures(dir, "simulated_c2_phi_", "deg.png");
    let t = Array1::from(t.to_vec());
    let mut written = Vec::new();
    progress.begin("simulation plots", phi.len());
    let result = phi.iter().enumerate().try_for_each(|(a, &angle)| {
        let path = dir.join(format!("simulated_c2_phi_{angle:.1}deg.png"));
        figures::c2_heatmap(
            &path,
            c2.index_axis(Axis(0), a),
            t.view(),
            &format!("Simulated c₂, {mode} mode, φ = {angle:.1}°"),
        )?;
        written.push(path);
        progress.step();
        Ok(())
    });
    progress.end();
    result.map(|()| written)
}
