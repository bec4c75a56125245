//! The profiled objective of the search phase: for physical parameters `p`, the
//! per-angle contrast/offset coefficients enter `g2 = offset + contrast g1^2(p)`
//! linearly, so their best values are one small weighted linear least-squares solve
//! (variable projection). The search then explores only the physical parameters, and
//! every candidate is judged with its best scaling, whatever the per-angle mode.
//!
//! Weighted sums per angle (`S = sum w`, `Sx`, `Sy`, `Sxx`, `Sxy`, `Syy` with `x = g1^2`,
//! `y = c2`, `w = weight_a / sigma^2`) give the normal equations of the coefficients
//! and chi^2 without a second pass. `weight_a` is 1, or the shear-sensitivity weight
//! of angle `a` (layer 5) during the search.

use homodyne_model::forward::g2_grid_par;
use homodyne_model::kernel::{self, Integrals};
use homodyne_model::layout::ParameterLayout;
use homodyne_model::{C2View, Experiment, Par, TimePairs, Triangles};
use homodyne_nlsq::{NlsqError, NoiseLevel, Problem};

/// The profiled chi^2 of a problem.
pub struct Profile<'p, 'a> {
    experiment: &'p Experiment,
    one_angle: Vec<Experiment>,
    pairs: Option<&'p TimePairs>,
    c2: C2View<'a>,
    sigma: &'p NoiseLevel<'a>,
    triangles: Triangles,
    layout: &'p ParameterLayout,
    lower: &'p [f64],
    upper: &'p [f64],
    angle_weight: Vec<f64>,
}

/// A profiled evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiled {
    /// chi^2 (weighted by the angle weights) at the best scaling within bounds.
    pub chi2: f64,
    /// The optimiser vector: best scaling coefficients (clipped to their bounds) and
    /// the physical values.
    pub x: Vec<f64>,
}

#[derive(Default, Clone, Copy)]
struct Sums {
    s: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    sxy: f64,
    syy: f64,
}

impl Sums {
    /// Add the point `(x, y)` with weight `w`.
    fn add(&mut self, w: f64, x: f64, y: f64) {
        self.s += w;
        self.sx += w * x;
        self.sy += w * y;
        self.sxx += w * x * x;
        self.sxy += w * x * y;
        self.syy += w * y * y;
    }
}

impl<'p, 'a> Profile<'p, 'a> {
    /// The profiled objective of `problem`, every angle weighted 1.
    pub fn new(problem: &'p Problem<'a>) -> Result<Self, NlsqError> {
        let e = problem.experiment();
        let one_angle = e
            .phi_deg
            .iter()
            .map(|&phi| Experiment::new(e.geometry.clone(), e.t.clone(), vec![phi]))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Profile {
            experiment: e,
            one_angle,
            pairs: None,
            c2: problem.c2(),
            sigma: problem.sigma(),
            triangles: problem.triangles(),
            layout: problem.layout(),
            lower: problem.lower(),
            upper: problem.upper(),
            angle_weight: vec![1.0; e.n_phi()],
        })
    }

    /// Restrict the sums to these time pairs, one residual (the upper triangle's) per
    /// pair and angle ([`crate::CoarseSubset`]); `None`: every point of the objective.
    pub fn set_pairs(&mut self, pairs: Option<&'p TimePairs>) {
        self.pairs = pairs;
    }

    /// Weight each angle's residuals (layer 5); `None` restores uniform weights.
    pub fn set_angle_weights(&mut self, w: Option<Vec<f64>>) {
        let n = self.one_angle.len();
        self.angle_weight = w.filter(|w| w.len() == n).unwrap_or_else(|| vec![1.0; n]);
    }

    /// Angles in degrees.
    pub fn phi_deg(&self) -> Vec<f64> {
        self.one_angle.iter().map(|e| e.phi_deg[0]).collect()
    }

    /// The angle weights in use.
    pub fn angle_weights(&self) -> &[f64] {
        &self.angle_weight
    }

    fn sigma_at(&self, a: usize, i: usize, j: usize) -> f64 {
        match self.sigma {
            NoiseLevel::Uniform(v) => *v,
            NoiseLevel::PerAngle(v) => v[a],
            NoiseLevel::PerPoint(view) => view[[a, i, j]],
        }
    }

    /// Sums of angle `a` over the pairs of the subset (g1 at the exact times of each
    /// pair, from the integrals over the full frame grid).
    fn pair_sums(
        &self,
        a: usize,
        pairs: &TimePairs,
        ints: &Integrals<f64>,
        physical: &[f64],
    ) -> Sums {
        let e = self.experiment;
        let wq = e.geometry.diffusion_prefactor();
        let factor = (physical.len() >= 7)
            .then(|| kernel::angle_factor(&e.geometry, physical[6], e.phi_deg[a]));
        let mut s = Sums::default();
        for (i, j) in pairs.iter() {
            let y = self.c2.get([a, i, j]);
            let g1 = kernel::g1_point(ints, wq, factor, i, j);
            let x = g1 * g1;
            let sd = self.sigma_at(a, i, j);
            if !(y.is_finite() && x.is_finite() && sd.is_finite() && sd > 0.0) {
                continue;
            }
            s.add(self.angle_weight[a] / (sd * sd), x, y);
        }
        s
    }

    fn sums(&self, a: usize, physical: &[f64], par: Par) -> Result<Sums, NlsqError> {
        let g = g2_grid_par(&self.one_angle[a], physical, &[1.0], &[0.0], par)?;
        let n_t = g.shape()[1];
        let mut s = Sums::default();
        let uniform = match self.sigma {
            NoiseLevel::Uniform(v) => Some(*v),
            NoiseLevel::PerAngle(v) => Some(v[a]),
            NoiseLevel::PerPoint(_) => None,
        };
        for i in 0..n_t {
            let j0 = match self.triangles {
                Triangles::Upper => i + 1,
                Triangles::Both => 0,
            };
            for j in j0..n_t {
                if i == j {
                    continue;
                }
                let y = self.c2.get([a, i, j]);
                let x = g[[0, i, j]];
                let sd = match (uniform, self.sigma) {
                    (Some(v), _) => v,
                    (None, NoiseLevel::PerPoint(view)) => view[[a, i, j]],
                    _ => unreachable!(),
                };
                if !(y.is_finite() && x.is_finite() && sd.is_finite() && sd > 0.0) {
                    continue;
                }
                s.add(self.angle_weight[a] / (sd * sd), x, y);
            }
        }
        Ok(s)
    }

    /// Profiled chi^2 at `physical` (all 3 or 7 values). `par` parallelises over
    /// angles (the sums are added in angle order, so the value does not depend on it).
    pub fn evaluate(&self, physical: &[f64], par: Par) -> Result<Profiled, NlsqError> {
        let n_phi = self.one_angle.len();
        let sums: Vec<Sums> = if let Some(pairs) = self.pairs {
            self.experiment.check_params(physical)?;
            let ints = kernel::integrals(&self.experiment.t, physical);
            match par {
                Par::Seq => (0..n_phi)
                    .map(|a| self.pair_sums(a, pairs, &ints, physical))
                    .collect(),
                Par::Rayon(_) => {
                    use rayon::prelude::*;
                    (0..n_phi)
                        .into_par_iter()
                        .map(|a| self.pair_sums(a, pairs, &ints, physical))
                        .collect()
                }
            }
        } else {
            match par {
                Par::Seq => (0..n_phi)
                    .map(|a| self.sums(a, physical, Par::Seq))
                    .collect::<Result<_, _>>()?,
                Par::Rayon(_) => {
                    use rayon::prelude::*;
                    (0..n_phi)
                        .into_par_iter()
                        .map(|a| self.sums(a, physical, Par::Seq))
                        .collect::<Result<_, _>>()?
                }
            }
        };
        let l = self.layout;
        let (nc, no) = (l.contrast.n_coef(), l.offset.n_coef());
        let m = nc + no;
        let fc = l.contrast.values(&vec![0.0; nc]);
        let fo = l.offset.values(&vec![0.0; no]);
        let mut a_mat = vec![0.0; m * m];
        let mut b = vec![0.0; m];
        let mut yy = 0.0;
        for (a, s) in sums.iter().enumerate() {
            // Residual target y' = y - fc x - fo.
            let (c, o) = (fc[a], fo[a]);
            yy += s.syy - 2.0 * c * s.sxy - 2.0 * o * s.sy
                + c * c * s.sxx
                + 2.0 * c * o * s.sx
                + o * o * s.s;
            let sxy = s.sxy - c * s.sxx - o * s.sx;
            let sy = s.sy - c * s.sx - o * s.s;
            let (bc, bo) = (l.contrast.row(a), l.offset.row(a));
            for i in 0..nc {
                b[i] += bc[i] * sxy;
                for j in 0..nc {
                    a_mat[i * m + j] += bc[i] * bc[j] * s.sxx;
                }
                for j in 0..no {
                    a_mat[i * m + nc + j] += bc[i] * bo[j] * s.sx;
                    a_mat[(nc + j) * m + i] += bc[i] * bo[j] * s.sx;
                }
            }
            for i in 0..no {
                b[nc + i] += bo[i] * sy;
                for j in 0..no {
                    a_mat[(nc + i) * m + nc + j] += bo[i] * bo[j] * s.s;
                }
            }
        }
        let mut theta = solve_spd(&a_mat, &b, m);
        for (k, t) in theta.iter_mut().enumerate() {
            *t = if t.is_finite() {
                t.clamp(self.lower[k], self.upper[k])
            } else {
                0.5 * (self.lower[k] + self.upper[k])
            };
        }
        let mut chi2 = yy;
        for i in 0..m {
            chi2 -= 2.0 * theta[i] * b[i];
            for j in 0..m {
                chi2 += theta[i] * a_mat[i * m + j] * theta[j];
            }
        }
        let mut x = theta;
        for (k, v) in physical.iter().enumerate() {
            if l.physical_slot(k).is_some() {
                x.push(*v);
            }
        }
        Ok(Profiled {
            chi2: if chi2.is_finite() {
                chi2.max(0.0)
            } else {
                f64::INFINITY
            },
            x,
        })
    }
}

/// Solve the symmetric positive (semi-)definite system `A t = b` by Gaussian
/// elimination with partial pivoting and a tiny ridge for singular directions.
fn solve_spd(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let scale = (0..n).map(|i| a[i * n + i].abs()).fold(0.0, f64::max);
    let mut m: Vec<f64> = a.to_vec();
    for i in 0..n {
        m[i * n + i] += 1e-12 * scale.max(f64::MIN_POSITIVE);
    }
    let mut r = b.to_vec();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))
            .unwrap_or(col);
        if m[piv * n + col] == 0.0 {
            continue;
        }
        if piv != col {
            for k in 0..n {
                m.swap(piv * n + k, col * n + k);
            }
            r.swap(piv, col);
        }
        for i in col + 1..n {
            let f = m[i * n + col] / m[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    m[i * n + k] -= f * m[col * n + k];
                }
                r[i] -= f * r[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = r[i];
        for k in i + 1..n {
            s -= m[i * n + k] * x[k];
        }
        x[i] = if m[i * n + i] != 0.0 {
            s / m[i * n + i]
        } else {
            0.0
        };
    }
    x
}
