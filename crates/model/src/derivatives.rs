//! Exact first derivatives of g1 with respect to the physical parameters, row by row.
//!
//! Everything that does not depend on the angle (the diffusion factor, the shear integral
//! and their parameter derivatives) is computed once per row and shared by all angles;
//! parameter derivatives of the cumulative integrals are themselves cumulative integrals
//! (O(n) per evaluation). The g1 floor and the log clip pass derivatives through; the
//! D(t) and gamma_dot(t) floors zero them where active (see [`crate::scalar`]).

use crate::experiment::Experiment;
use crate::forward::RowKernel;
use crate::kernel::{self, DEG_TO_RAD, LOG_CLIP_MIN, SINC_TAYLOR_THRESHOLD, VALUE_FLOOR};

/// Per-evaluation state: integrals, their parameter derivatives, angle factors.
pub(crate) struct DerivativeKernel {
    pub row: RowKernel,
    /// d cum_D / d (D0, alpha, D_offset).
    dcum_diffusion: [Vec<f64>; 3],
    /// d cum_gamma / d (gamma_dot_t0, beta, gamma_dot_t_offset); empty when static.
    dcum_shear: [Vec<f64>; 3],
    /// d angle_factor / d phi0 per angle.
    dangle_factor: Vec<f64>,
}

/// Angle-independent values of one row, for the columns it was filled with.
#[derive(Default)]
pub(crate) struct DerivRow {
    g1_diff: Vec<f64>,
    dg1_diff: Vec<[f64; 3]>,
    shear_integral: Vec<f64>,
    dshear_integral: Vec<[f64; 3]>,
}

/// Lanes of the gradient pass's inner loop: blocks of pairs are padded to a multiple.
pub(crate) const LANES: usize = 4;

/// The angle-independent factors of a block of pairs `(i, j)`, in columns (what the
/// gradient pass reads), padded with zeros to a multiple of [`LANES`].
#[derive(Default)]
pub(crate) struct PairBlock {
    /// Number of real pairs (the rest is padding).
    pub len: usize,
    pub gd: Vec<f64>,
    pub dgd: [Vec<f64>; 3],
    pub ig: Vec<f64>,
    pub dig: [Vec<f64>; 3],
    /// Largest shear integral of the block (laminar).
    pub max_ig: f64,
}

impl PairBlock {
    fn clear(&mut self) {
        self.gd.clear();
        self.ig.clear();
        for v in self.dgd.iter_mut().chain(self.dig.iter_mut()) {
            v.clear();
        }
        self.len = 0;
        self.max_ig = 0.0;
    }

    fn pad(&mut self, laminar: bool) {
        let padded = self.len.next_multiple_of(LANES);
        self.gd.resize(padded, 0.0);
        for v in &mut self.dgd {
            v.resize(padded, 0.0);
        }
        if laminar {
            self.ig.resize(padded, 0.0);
            for v in &mut self.dig {
                v.resize(padded, 0.0);
            }
        }
    }

    /// Length with padding.
    pub fn padded(&self) -> usize {
        self.gd.len()
    }
}

impl DerivRow {
    pub fn len(&self) -> usize {
        self.g1_diff.len()
    }
}

/// Cumulative trapezoids of `d rate / d (amplitude, exponent, offset)` for a power law
/// `amplitude t^exponent + offset`, zero where the rate is floored.
fn power_law_derivative_integrals(
    t_safe: &[f64],
    amplitude: f64,
    exponent: f64,
    offset: f64,
) -> [Vec<f64>; 3] {
    let active: Vec<f64> = t_safe
        .iter()
        .map(|&t| {
            let rate = amplitude * t.powf(exponent) + offset;
            if rate > VALUE_FLOOR { 1.0 } else { 0.0 }
        })
        .collect();
    let d_amp: Vec<f64> = t_safe
        .iter()
        .zip(&active)
        .map(|(&t, &on)| on * t.powf(exponent))
        .collect();
    let d_exp: Vec<f64> = t_safe
        .iter()
        .zip(&d_amp)
        .map(|(&t, &p)| amplitude * p * t.ln())
        .collect();
    let ones = active;
    [
        kernel::cumulative_trapezoid(&d_amp),
        kernel::cumulative_trapezoid(&d_exp),
        kernel::cumulative_trapezoid(&ones),
    ]
}

impl DerivativeKernel {
    pub fn new(experiment: &Experiment, params: &[f64]) -> Self {
        let row = RowKernel::new(experiment, params);
        let t_safe = kernel::safe_times(&experiment.t);
        let dcum_diffusion =
            power_law_derivative_integrals(&t_safe, params[0], params[1], params[2]);
        let (dcum_shear, dangle_factor) = if params.len() >= 7 {
            let sp = experiment.geometry.shear_prefactor();
            let dfac = experiment
                .phi_deg
                .iter()
                .map(|&phi| -((params[6] - phi) * DEG_TO_RAD).sin() * DEG_TO_RAD * sp)
                .collect();
            (
                power_law_derivative_integrals(&t_safe, params[3], params[4], params[5]),
                dfac,
            )
        } else {
            (Default::default(), Vec::new())
        };
        DerivativeKernel {
            row,
            dcum_diffusion,
            dcum_shear,
            dangle_factor,
        }
    }

    pub fn laminar(&self) -> bool {
        self.row.laminar()
    }

    /// Fill the angle-independent part of row `i` for columns `start..n`.
    pub fn fill(&self, i: usize, start: usize, buf: &mut DerivRow) {
        let n = self.row.ints.cum_diffusion.len();
        self.fill_columns(i, start..n, buf);
    }

    /// Fill the angle-independent part of row `i` for the listed columns (entry `k` of
    /// the row is column `cols[k]`); same arithmetic as [`Self::fill`].
    pub fn fill_cols(&self, i: usize, cols: &[u32], buf: &mut DerivRow) {
        self.fill_columns(i, cols.iter().map(|&j| j as usize), buf);
    }

    #[inline(always)]
    fn fill_columns(
        &self,
        i: usize,
        cols: impl Iterator<Item = usize> + Clone,
        buf: &mut DerivRow,
    ) {
        let cd = &self.row.ints.cum_diffusion;
        let wq = self.row.diffusion_prefactor;
        let dd = &self.dcum_diffusion;
        buf.g1_diff.clear();
        buf.dg1_diff.clear();
        for j in cols.clone() {
            let delta = cd[i] - cd[j];
            let id = kernel::smooth_abs(delta);
            let g1d = (id * -wq).clamp(LOG_CLIP_MIN, 0.0).exp();
            let e = -wq * (delta / id) * g1d;
            buf.g1_diff.push(g1d);
            buf.dg1_diff.push([
                e * (dd[0][i] - dd[0][j]),
                e * (dd[1][i] - dd[1][j]),
                e * (dd[2][i] - dd[2][j]),
            ]);
        }
        buf.shear_integral.clear();
        buf.dshear_integral.clear();
        if self.laminar() {
            let cg = &self.row.ints.cum_shear;
            let dg = &self.dcum_shear;
            for j in cols {
                let delta = cg[i] - cg[j];
                let ig = kernel::smooth_abs(delta);
                let h = delta / ig;
                buf.shear_integral.push(ig);
                buf.dshear_integral.push([
                    h * (dg[0][i] - dg[0][j]),
                    h * (dg[1][i] - dg[1][j]),
                    h * (dg[2][i] - dg[2][j]),
                ]);
            }
        }
    }

    /// Fill `block` with the angle-independent factors of the pairs `(i, j)` for `j` in
    /// `cols` (same arithmetic as [`Self::fill`]), in columns, padded to a multiple of
    /// [`LANES`] with zeros.
    #[inline]
    pub fn fill_block(
        &self,
        i: usize,
        cols: impl Iterator<Item = usize> + Clone,
        block: &mut PairBlock,
    ) {
        let cd = &self.row.ints.cum_diffusion;
        let wq = self.row.diffusion_prefactor;
        let dd = &self.dcum_diffusion;
        block.clear();
        for j in cols.clone() {
            let delta = cd[i] - cd[j];
            let id = kernel::smooth_abs(delta);
            let g1d = (id * -wq).clamp(LOG_CLIP_MIN, 0.0).exp();
            let e = -wq * (delta / id) * g1d;
            block.gd.push(g1d);
            block.dgd[0].push(e * (dd[0][i] - dd[0][j]));
            block.dgd[1].push(e * (dd[1][i] - dd[1][j]));
            block.dgd[2].push(e * (dd[2][i] - dd[2][j]));
        }
        block.len = block.gd.len();
        if self.laminar() {
            let cg = &self.row.ints.cum_shear;
            let dg = &self.dcum_shear;
            let mut max_ig = 0.0f64;
            for j in cols {
                let delta = cg[i] - cg[j];
                let ig = kernel::smooth_abs(delta);
                let h = delta / ig;
                max_ig = max_ig.max(ig);
                block.ig.push(ig);
                block.dig[0].push(h * (dg[0][i] - dg[0][j]));
                block.dig[1].push(h * (dg[1][i] - dg[1][j]));
                block.dig[2].push(h * (dg[2][i] - dg[2][j]));
            }
            block.max_ig = max_ig;
        }
        block.pad(self.laminar());
    }

    /// d angle_factor / d phi0 of angle `a` (laminar only).
    pub fn dangle_factor(&self, a: usize) -> f64 {
        self.dangle_factor[a]
    }

    /// For angle `a`, call `sink(k, g1, grad)` for each entry `k` of the filled
    /// row, where `grad[2..]` holds d g1 / d physical (the first two slots are left for
    /// the caller's contrast/offset derivatives). `L` is 5 (static) or 9 (laminar).
    #[inline(always)]
    pub fn visit<const L: usize>(
        &self,
        a: usize,
        buf: &DerivRow,
        mut sink: impl FnMut(usize, f64, &[f64; L]),
    ) {
        let mut grad = [0.0; L];
        if L == 9 {
            let f = self.row.angle_factors[a];
            let df = self.dangle_factor[a];
            for k in 0..buf.len() {
                let gd = buf.g1_diff[k];
                let ig = buf.shear_integral[k];
                let x = f * ig;
                let (s, ds) = sinc_and_derivative(x);
                let s2 = s * s;
                let raw = gd * s2;
                let g1 = if raw > VALUE_FLOOR { raw } else { VALUE_FLOOR };
                let dgd = &buf.dg1_diff[k];
                grad[2] = dgd[0] * s2;
                grad[3] = dgd[1] * s2;
                grad[4] = dgd[2] * s2;
                let q = gd * 2.0 * s * ds;
                let dig = &buf.dshear_integral[k];
                grad[5] = q * f * dig[0];
                grad[6] = q * f * dig[1];
                grad[7] = q * f * dig[2];
                grad[8] = q * df * ig;
                sink(k, g1, &grad);
            }
        } else {
            for k in 0..buf.len() {
                let gd = buf.g1_diff[k];
                let g1 = if gd > VALUE_FLOOR { gd } else { VALUE_FLOOR };
                let dgd = &buf.dg1_diff[k];
                grad[2] = dgd[0];
                grad[3] = dgd[1];
                grad[4] = dgd[2];
                sink(k, g1, &grad);
            }
        }
    }
}

/// `sinc(x)` (reference branches) and its derivative.
#[inline(always)]
fn sinc_and_derivative(x: f64) -> (f64, f64) {
    if x.abs() < SINC_TAYLOR_THRESHOLD {
        let x2 = x * x;
        (
            -(x2 / 6.0) + 1.0 + x2 * x2 / 120.0,
            -x / 3.0 + x * x2 / 30.0,
        )
    } else {
        let (sn, cs) = x.sin_cos();
        let s = sn / x;
        (s, (cs - s) / x)
    }
}
