//! The pass behind [`super::value_and_gradient`]: chi^2, cost and `J^T r` without
//! `J^T J`, organised for speed (a likelihood gradient is evaluated tens of thousands of
//! times per sampling run).
//!
//! Pairs are taken in blocks of at most [`BLOCK`] with a common first time. For each
//! block the angle-independent factors (diffusion factor, shear integral and their
//! parameter derivatives) are computed once, in columns ([`PairBlock`]); each angle then
//! runs a branch-free loop over the block ([`LANES`] pairs at a time, vectorisable:
//! inline `sin`/`cos` from [`crate::fastmath`], residual inputs gathered beforehand with
//! excluded points as zero weights). The physical part of the gradient is linear in the
//! per-pair derivatives, so each pair's weights are summed over the angles first and the
//! derivatives are applied once per block.
//!
//! The sums equal [`super::normal_equations_over`]'s up to rounding (a different
//! summation order and `sin`/`cos`), and are bit-identical for every `Par`: blocks are
//! fixed by the point set, tiles as everywhere else.

use std::ops::Range;

use super::{NormalEquations, Plan, ResidualWeight, Walk};
use crate::data::{Columns, Lookup};
use crate::derivatives::{DerivativeKernel, LANES, PairBlock};
use crate::fastmath::{SINCOS_LIMIT, sin_cos};
use crate::kernel::{SINC_TAYLOR_THRESHOLD, VALUE_FLOOR};
use crate::layout::{Decoded, ParameterLayout};
use crate::par::{Par, run_tiles};

/// Most pairs per block (a multiple of [`LANES`]); keeps a block's columns in cache.
const BLOCK: usize = 256;

/// Per-tile sums.
struct Sums {
    /// Per angle: `J^T r` for the contrast and the offset of the angle.
    scaling: Vec<f64>,
    /// `J^T r` for the physical parameters, summed over the angles.
    physical: [f64; 7],
    chi2: f64,
    cost: f64,
    n_points: usize,
}

impl Sums {
    fn new(n_phi: usize) -> Self {
        Sums {
            scaling: vec![0.0; 2 * n_phi],
            physical: [0.0; 7],
            chi2: 0.0,
            cost: 0.0,
            n_points: 0,
        }
    }

    fn merge(&mut self, other: &Sums) {
        self.scaling
            .iter_mut()
            .zip(&other.scaling)
            .for_each(|(a, b)| *a += b);
        self.physical
            .iter_mut()
            .zip(&other.physical)
            .for_each(|(a, b)| *a += b);
        self.chi2 += other.chi2;
        self.cost += other.cost;
        self.n_points += other.n_points;
    }
}

/// Per-worker buffers (contents never carry from one block to the next).
#[derive(Default)]
struct Scratch {
    block: PairBlock,
    /// Data and 1/sigma of the upper (0) and lower (1) triangle, 0 where excluded.
    value: [Vec<f64>; 2],
    inv_sigma: [Vec<f64>; 2],
    /// Per pair, summed over the angles: the weights of d gd, of d ig and of ig.
    w_diff: Vec<f64>,
    w_shear: Vec<f64>,
    w_angle: Vec<f64>,
    /// Per pair, summed over the angles: chi^2 and cost.
    chi2: Vec<f64>,
    cost: Vec<f64>,
    /// Per pair, one angle: the contrast and offset terms.
    w_g1sq: Vec<f64>,
    w: Vec<f64>,
}

/// Everything a block needs besides its buffers.
struct Pass<'a, D, W> {
    kernel: &'a DerivativeKernel,
    decoded: &'a Decoded,
    lookup: &'a D,
    weight: &'a W,
    n_phi: usize,
    isa: Isa,
}

/// Which build of the inner loops runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Isa {
    /// The target's baseline (SSE2 on x86_64).
    Baseline,
    /// AVX2 (x86_64, detected at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Isa {
    /// The widest build this CPU runs.
    pub(super) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Isa::Avx2;
        }
        Isa::Baseline
    }
}

/// chi^2, cost and `J^T r` over the plan's points (`jtj` left empty).
#[allow(clippy::too_many_arguments)]
pub(super) fn accumulate<D: Lookup, W: ResidualWeight>(
    layout: &ParameterLayout,
    kernel: &DerivativeKernel,
    decoded: &Decoded,
    lookup: &D,
    weight: &W,
    plan: &Plan<'_>,
    par: Par,
    isa: Isa,
) -> NormalEquations {
    let pass = Pass {
        kernel,
        decoded,
        lookup,
        weight,
        n_phi: plan.n_phi,
        isa,
    };
    let total = match (kernel.laminar(), plan.both) {
        (true, true) => pass.tiles::<true, true>(plan, par),
        (true, false) => pass.tiles::<true, false>(plan, par),
        (false, true) => pass.tiles::<false, true>(plan, par),
        (false, false) => pass.tiles::<false, false>(plan, par),
    };
    assemble(layout, &total, if kernel.laminar() { 7 } else { 3 })
}

/// Map the sums to the optimiser's parameters.
fn assemble(layout: &ParameterLayout, sums: &Sums, n_physical: usize) -> NormalEquations {
    let p = layout.n_params();
    let mut jtr = vec![0.0; p];
    for a in 0..layout.n_phi() {
        let map = layout.local_to_global(a);
        for (l, entries) in map.iter().take(2).enumerate() {
            for &(x, b) in entries {
                jtr[x] += b * sums.scaling[2 * a + l];
            }
        }
        if a == 0 {
            // The physical parameters are shared by every angle.
            for (l, entries) in map.iter().skip(2).take(n_physical).enumerate() {
                for &(x, b) in entries {
                    jtr[x] += b * sums.physical[l];
                }
            }
        }
    }
    NormalEquations {
        n_params: p,
        chi2: sums.chi2,
        cost: sums.cost,
        jtj: Vec::new(),
        jtr,
        n_points: sums.n_points,
    }
}

impl<D: Lookup, W: ResidualWeight> Pass<'_, D, W> {
    fn tiles<const LAMINAR: bool, const BOTH: bool>(&self, plan: &Plan<'_>, par: Par) -> Sums {
        let partials = run_tiles(par, plan.tiles.clone(), Scratch::default, |sc, _, tile| {
            match self.isa {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `Isa::Avx2` is only chosen where the CPU has AVX2.
                Isa::Avx2 => unsafe { self.tile_avx2::<LAMINAR, BOTH>(plan, tile, sc) },
                Isa::Baseline => self.tile::<LAMINAR, BOTH>(plan, tile, sc),
            }
        });
        let mut total = Sums::new(self.n_phi);
        for part in &partials {
            total.merge(part);
        }
        total
    }

    /// [`Self::tile`] compiled for AVX2 (wider vectors, the same arithmetic: every
    /// operation is element-wise or a fixed-lane sum, and nothing is fused, so the results
    /// are bit-identical to the baseline build's).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn tile_avx2<const LAMINAR: bool, const BOTH: bool>(
        &self,
        plan: &Plan<'_>,
        tile: Range<usize>,
        sc: &mut Scratch,
    ) -> Sums {
        self.tile::<LAMINAR, BOTH>(plan, tile, sc)
    }

    /// One tile: its pairs in blocks.
    #[inline(always)]
    fn tile<const LAMINAR: bool, const BOTH: bool>(
        &self,
        plan: &Plan<'_>,
        tile: Range<usize>,
        sc: &mut Scratch,
    ) -> Sums {
        let n = plan.n_t;
        let mut sums = Sums::new(self.n_phi);
        match plan.walk {
            Walk::Rows => {
                for i in tile {
                    let mut start = i + 1;
                    while start < n {
                        let end = (start + BLOCK).min(n);
                        self.kernel.fill_block(i, start..end, &mut sc.block);
                        self.block::<LAMINAR, BOTH>(i, Columns::Row { start }, sc, &mut sums);
                        start = end;
                    }
                }
            }
            Walk::Pairs(pairs) => Plan::runs(pairs, tile, |i, run| {
                let seconds = pairs.seconds();
                let mut p0 = run.start;
                while p0 < run.end {
                    let p1 = (p0 + BLOCK).min(run.end);
                    let cols = &seconds[p0..p1];
                    self.kernel
                        .fill_block(i, cols.iter().map(|&j| j as usize), &mut sc.block);
                    self.block::<LAMINAR, BOTH>(i, Columns::List { cols, p0 }, sc, &mut sums);
                    p0 = p1;
                }
            }),
        }
        sums
    }

    /// All angles of one filled block.
    #[inline(always)]
    fn block<const LAMINAR: bool, const BOTH: bool>(
        &self,
        i: usize,
        cols: Columns<'_>,
        sc: &mut Scratch,
        sums: &mut Sums,
    ) {
        let Scratch {
            block: b,
            value,
            inv_sigma,
            w_diff,
            w_shear,
            w_angle,
            chi2,
            cost,
            w_g1sq,
            w,
        } = sc;
        let (m, n) = (b.len, b.padded());
        for v in [
            &mut *w_diff,
            &mut *w_shear,
            &mut *w_angle,
            &mut *chi2,
            &mut *cost,
            &mut *w_g1sq,
            &mut *w,
        ]
        .into_iter()
        .chain(value.iter_mut())
        .chain(inv_sigma.iter_mut())
        {
            v.clear();
            v.resize(n, 0.0);
        }
        for a in 0..self.n_phi {
            let mut count = self.lookup.gather(
                a,
                i,
                cols,
                false,
                &mut value[0][..m],
                &mut inv_sigma[0][..m],
            );
            if BOTH {
                count += self.lookup.gather(
                    a,
                    i,
                    cols,
                    true,
                    &mut value[1][..m],
                    &mut inv_sigma[1][..m],
                );
            }
            if count == 0 {
                continue;
            }
            let (c, o) = (self.decoded.contrast[a], self.decoded.offset[a]);
            let (f, df) = if LAMINAR {
                (
                    self.kernel.row.angle_factors[a],
                    self.kernel.dangle_factor(a),
                )
            } else {
                (0.0, 0.0)
            };
            let angle = Angle {
                c,
                o,
                f,
                df,
                weight: self.weight,
            };
            let inputs = Inputs {
                gd: &b.gd,
                ig: &b.ig,
                value: [&value[0], &value[1]],
                inv_sigma: [&inv_sigma[0], &inv_sigma[1]],
            };
            let outputs = Outputs {
                chi2,
                cost,
                w_g1sq,
                w,
                w_diff,
                w_shear,
                w_angle,
            };
            if !LAMINAR {
                angle.points::<false, true, BOTH>(n, inputs, outputs);
            } else if f.abs() * b.max_ig <= SINCOS_LIMIT {
                angle.points::<true, true, BOTH>(n, inputs, outputs);
            } else {
                angle.points::<true, false, BOTH>(n, inputs, outputs);
            }
            sums.scaling[2 * a] += sum(w_g1sq);
            sums.scaling[2 * a + 1] += sum(w);
            sums.n_points += count;
        }
        sums.chi2 += sum(chi2);
        sums.cost += sum(cost);
        for (s, d) in sums.physical.iter_mut().zip(&b.dgd) {
            *s += dot(w_diff, d);
        }
        if LAMINAR {
            for (s, d) in sums.physical[3..6].iter_mut().zip(&b.dig) {
                *s += dot(w_shear, d);
            }
            sums.physical[6] += dot(w_angle, &b.ig);
        }
    }
}

/// `sum a[k] b[k]` over equal-length slices whose length is a multiple of [`LANES`].
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `sum a[k]` over a slice whose length is a multiple of [`LANES`].
#[inline(always)]
fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    for x in a.chunks_exact(LANES) {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// One angle's constants.
struct Angle<'w, W> {
    c: f64,
    o: f64,
    f: f64,
    df: f64,
    weight: &'w W,
}

/// Per-pair inputs of an angle's loop (the lower triangle only read with `BOTH`).
struct Inputs<'s> {
    gd: &'s [f64],
    ig: &'s [f64],
    value: [&'s [f64]; 2],
    inv_sigma: [&'s [f64]; 2],
}

/// Per-pair outputs of an angle's loop: `chi2`, `cost` and the pair weights `w_*` are
/// added to (summed over the angles); `w_g1sq` and `w` (the angle's contrast and offset
/// terms) are overwritten.
struct Outputs<'s> {
    chi2: &'s mut [f64],
    cost: &'s mut [f64],
    w_g1sq: &'s mut [f64],
    w: &'s mut [f64],
    w_diff: &'s mut [f64],
    w_shear: &'s mut [f64],
    w_angle: &'s mut [f64],
}

impl<W: ResidualWeight> Angle<'_, W> {
    /// The angle's points `0..n` (element-wise, no branches: vectorises). `LAMINAR`:
    /// with the shear factor; `FAST`: [`sin_cos`] (else the library's, for arguments
    /// beyond its range).
    #[inline(always)]
    fn points<const LAMINAR: bool, const FAST: bool, const BOTH: bool>(
        &self,
        n: usize,
        inputs: Inputs<'_>,
        out: Outputs<'_>,
    ) {
        let (c, o, f) = (self.c, self.o, self.f);
        let (two_c, four_cf, four_cdf) = (2.0 * c, 4.0 * c * f, 4.0 * c * self.df);
        let gd = &inputs.gd[..n];
        let (v0, s0) = (&inputs.value[0][..n], &inputs.inv_sigma[0][..n]);
        let (v1, s1) = if BOTH {
            (&inputs.value[1][..n], &inputs.inv_sigma[1][..n])
        } else {
            (v0, s0)
        };
        let chi2 = &mut out.chi2[..n];
        let cost = &mut out.cost[..n];
        let w_g1sq = &mut out.w_g1sq[..n];
        let w_all = &mut out.w[..n];
        let w_diff = &mut out.w_diff[..n];
        if !LAMINAR {
            for k in 0..n {
                let g1 = if gd[k] > VALUE_FLOOR {
                    gd[k]
                } else {
                    VALUE_FLOOR
                };
                let g1sq = g1 * g1;
                let w = self.residuals::<BOTH>(
                    o + c * g1sq,
                    [v0[k], v1[k]],
                    [s0[k], s1[k]],
                    &mut chi2[k],
                    &mut cost[k],
                );
                w_g1sq[k] = w * g1sq;
                w_all[k] = w;
                w_diff[k] += two_c * (w * g1);
            }
            return;
        }
        let ig = &inputs.ig[..n];
        let w_shear = &mut out.w_shear[..n];
        let w_angle = &mut out.w_angle[..n];
        for k in 0..n {
            let x = f * ig[k];
            let (sn, cs) = if FAST { sin_cos(x) } else { x.sin_cos() };
            // sinc and its derivative; the reference's Taylor branch near 0.
            let small = x.abs() < SINC_TAYLOR_THRESHOLD;
            let inv_x = 1.0 / if small { 1.0 } else { x };
            let s_far = sn * inv_x;
            let ds_far = (cs - s_far) * inv_x;
            let x2 = x * x;
            let s_near = -(x2 * (1.0 / 6.0)) + 1.0 + x2 * x2 * (1.0 / 120.0);
            let ds_near = -x * (1.0 / 3.0) + x * x2 * (1.0 / 30.0);
            let s = if small { s_near } else { s_far };
            let ds = if small { ds_near } else { ds_far };
            let s2 = s * s;
            let raw = gd[k] * s2;
            let g1 = if raw > VALUE_FLOOR { raw } else { VALUE_FLOOR };
            let g1sq = g1 * g1;
            let w = self.residuals::<BOTH>(
                o + c * g1sq,
                [v0[k], v1[k]],
                [s0[k], s1[k]],
                &mut chi2[k],
                &mut cost[k],
            );
            w_g1sq[k] = w * g1sq;
            w_all[k] = w;
            let wg = w * g1;
            w_diff[k] += two_c * (wg * s2);
            let q = wg * gd[k] * s * ds;
            w_shear[k] += four_cf * q;
            w_angle[k] += four_cdf * q;
        }
    }

    /// The residual(s) of one pair given its model value `g2`, data `v` and `1/sigma`
    /// `s` (upper, lower): adds chi^2 and cost and returns `-(sum a b r / sigma)`, the
    /// pair's weight of `d g2`.
    #[inline(always)]
    fn residuals<const BOTH: bool>(
        &self,
        g2: f64,
        v: [f64; 2],
        s: [f64; 2],
        chi2: &mut f64,
        cost: &mut f64,
    ) -> f64 {
        let mut w = 0.0;
        for t in 0..if BOTH { 2 } else { 1 } {
            let r = (v[t] - g2) * s[t];
            let (rho, ja, rb) = self.weight.weigh(r);
            *chi2 += r * r;
            *cost += if s[t] != 0.0 { rho } else { 0.0 };
            w -= ja * rb * r * s[t];
        }
        w
    }
}
