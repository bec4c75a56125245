//! Fast f64 evaluation of g2 on the full (n_phi, n_t, n_t) grid.
//!
//! Same arithmetic as [`crate::kernel`] (results agree to the last bit with
//! [`crate::kernel::g2_grid_generic`]), organised for speed: the diffusion factor and the
//! shear integral of a row are computed once and shared by all angles, only the upper
//! triangle is evaluated (c2 is symmetric), tiles of rows run in parallel ([`Par`]), and
//! the lower triangle is filled by a tiled transpose. Every value is computed on its own,
//! so the result does not depend on `Par`.

use ndarray::{Array3, ArrayViewMut2, Axis};

use crate::error::ModelError;
use crate::experiment::Experiment;
use crate::kernel::{self, Integrals, LOG_CLIP_MIN, VALUE_FLOOR, safe_sinc, smooth_abs};
use crate::par::{Par, run_tiles, tiles_by_weight};

/// g2 on the full grid: `out[a, i, j] = offset[a] + contrast[a] * g1(phi_a, t_i, t_j)^2`,
/// as wide as the current rayon pool ([`g2_grid_par`] with [`Par::rayon`]`(0)`).
pub fn g2_grid(
    experiment: &Experiment,
    params: &[f64],
    contrast: &[f64],
    offset: &[f64],
) -> Result<Array3<f64>, ModelError> {
    g2_grid_par(experiment, params, contrast, offset, Par::rayon(0))
}

/// [`g2_grid`] with parallelism `par`.
pub fn g2_grid_par(
    experiment: &Experiment,
    params: &[f64],
    contrast: &[f64],
    offset: &[f64],
    par: Par,
) -> Result<Array3<f64>, ModelError> {
    experiment.check_params(params)?;
    experiment.check_scaling(contrast, offset)?;
    let (n_phi, n) = (experiment.n_phi(), experiment.n_t());
    let mut out = Array3::<f64>::zeros((n_phi, n, n));
    let rows = RowKernel::new(experiment, params);
    // Tiles of rows of about equal work (row i has n - i upper-triangle entries).
    let mut tiles = Vec::new();
    let mut rest = out.view_mut();
    for tile in tiles_by_weight(0..n, |i| (n - i) * n_phi) {
        let (head, tail) = rest.split_at(Axis(1), tile.len());
        tiles.push((tile.start, head));
        rest = tail;
    }
    run_tiles(
        par,
        tiles,
        RowBuffers::default,
        |buf, _, (first, mut block)| {
            for (di, mut row) in block.axis_iter_mut(Axis(1)).enumerate() {
                let i = first + di;
                rows.fill(i, buf);
                for a in 0..n_phi {
                    let (c, o) = (contrast[a], offset[a]);
                    let mut lane = row.index_axis_mut(Axis(0), a);
                    let lane =
                        &mut lane.as_slice_mut().expect("row of a standard-layout array")[i..];
                    rows.g1_row(a, buf, |k, g1| lane[k] = o + c * (g1 * g1));
                }
            }
        },
    );
    run_tiles(
        par,
        out.axis_iter_mut(Axis(0)).collect(),
        || (),
        |_, _, m| mirror_upper_to_lower(m),
    );
    Ok(out)
}

/// Per-evaluation quantities shared by every row: integrals and angle factors.
pub(crate) struct RowKernel {
    pub ints: Integrals<f64>,
    pub diffusion_prefactor: f64,
    /// `qL dt/(2pi) cos(phi0 - phi_a)` per angle; empty in static mode.
    pub angle_factors: Vec<f64>,
}

/// Scratch for one row: the angle-independent factors for j >= i.
#[derive(Default)]
pub(crate) struct RowBuffers {
    pub g1_diff: Vec<f64>,
    pub shear_integral: Vec<f64>,
}

impl RowKernel {
    pub fn new(experiment: &Experiment, params: &[f64]) -> Self {
        let ints = kernel::integrals(&experiment.t, params);
        let angle_factors = if params.len() >= 7 {
            experiment
                .phi_deg
                .iter()
                .map(|&phi| kernel::angle_factor(&experiment.geometry, params[6], phi))
                .collect()
        } else {
            Vec::new()
        };
        RowKernel {
            ints,
            diffusion_prefactor: experiment.geometry.diffusion_prefactor(),
            angle_factors,
        }
    }

    pub fn laminar(&self) -> bool {
        !self.angle_factors.is_empty()
    }

    /// Fill the angle-independent factors of row `i` for columns `j = i..n`.
    pub fn fill(&self, i: usize, buf: &mut RowBuffers) {
        let cd = &self.ints.cum_diffusion;
        let wq = self.diffusion_prefactor;
        buf.g1_diff.clear();
        buf.g1_diff.extend(cd[i..].iter().map(|&cj| {
            let id = smooth_abs(cd[i] - cj);
            (id * -wq).clamp(LOG_CLIP_MIN, 0.0).exp()
        }));
        buf.shear_integral.clear();
        if self.laminar() {
            let cg = &self.ints.cum_shear;
            buf.shear_integral
                .extend(cg[i..].iter().map(|&cj| smooth_abs(cg[i] - cj)));
        }
    }

    /// Fill the angle-independent factors of row `i` for the listed columns (entry `k`
    /// is column `cols[k]`); same arithmetic as [`Self::fill`].
    pub fn fill_cols(&self, i: usize, cols: &[u32], buf: &mut RowBuffers) {
        let cd = &self.ints.cum_diffusion;
        let wq = self.diffusion_prefactor;
        buf.g1_diff.clear();
        buf.g1_diff.extend(cols.iter().map(|&j| {
            let id = smooth_abs(cd[i] - cd[j as usize]);
            (id * -wq).clamp(LOG_CLIP_MIN, 0.0).exp()
        }));
        buf.shear_integral.clear();
        if self.laminar() {
            let cg = &self.ints.cum_shear;
            buf.shear_integral
                .extend(cols.iter().map(|&j| smooth_abs(cg[i] - cg[j as usize])));
        }
    }

    /// Call `sink(k, g1)` for entry `k` of the filled row (column `i + k` after [`Self::fill`]), angle `a`.
    #[inline(always)]
    pub fn g1_row(&self, a: usize, buf: &RowBuffers, mut sink: impl FnMut(usize, f64)) {
        if self.laminar() {
            let f = self.angle_factors[a];
            for (k, (&gd, &ig)) in buf.g1_diff.iter().zip(&buf.shear_integral).enumerate() {
                let s = safe_sinc(f * ig);
                sink(k, floor(gd * (s * s)));
            }
        } else {
            for (k, &gd) in buf.g1_diff.iter().enumerate() {
                sink(k, floor(gd));
            }
        }
    }
}

#[inline(always)]
fn floor(g1: f64) -> f64 {
    if g1 > VALUE_FLOOR { g1 } else { VALUE_FLOOR }
}

/// Copy the strict upper triangle onto the lower one, in cache-friendly tiles.
pub(crate) fn mirror_upper_to_lower(mut m: ArrayViewMut2<f64>) {
    const TILE: usize = 64;
    let n = m.nrows();
    let s = m.as_slice_mut().expect("standard-layout matrix");
    for ib in (0..n).step_by(TILE) {
        for jb in (ib..n).step_by(TILE) {
            for i in ib..(ib + TILE).min(n) {
                for j in jb.max(i + 1)..(jb + TILE).min(n) {
                    s[j * n + i] = s[i * n + j];
                }
            }
        }
    }
}
