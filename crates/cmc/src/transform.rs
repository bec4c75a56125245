//! Coordinates the sampler moves in.
//!
//! `z` (the sampler's) → `y = center + scale · L z` (whitening with the warm start's
//! covariance in `y`, `L` its Cholesky factor) → `x` (the model's bounded parameters) by
//! one smooth map per coordinate: `lo + w·sigmoid(y)` for two-sided bounds, `lo + exp(y)`
//! for a lower bound only, `hi − exp(−y)` for an upper bound only, identity otherwise. The
//! whitening is affine (constant Jacobian, dropped); the bound maps' log-Jacobians enter
//! the density.

use crate::error::CmcError;

/// The map of one coordinate from unconstrained `y` to bounded `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoundMap {
    /// `x = y`.
    Identity,
    /// `x = lo + exp(y)`.
    Lower(f64),
    /// `x = hi - exp(-y)`.
    Upper(f64),
    /// `x = lo + (hi - lo) sigmoid(y)`.
    Interval(f64, f64),
}

/// `ln(1 + e^v)` without overflow.
fn softplus(v: f64) -> f64 {
    if v > 0.0 {
        v + (-v).exp().ln_1p()
    } else {
        v.exp().ln_1p()
    }
}

impl BoundMap {
    /// The map for bounds `[lo, hi]` (either may be infinite).
    pub fn for_bounds(name: &str, lo: f64, hi: f64) -> Result<Self, CmcError> {
        if lo.is_nan() || hi.is_nan() || lo >= hi {
            return Err(CmcError::Prior {
                name: name.into(),
                reason: format!("bounds [{lo}, {hi}] are empty: need lower < upper"),
            });
        }
        Ok(match (lo.is_finite(), hi.is_finite()) {
            (true, true) => BoundMap::Interval(lo, hi),
            (true, false) => BoundMap::Lower(lo),
            (false, true) => BoundMap::Upper(hi),
            (false, false) => BoundMap::Identity,
        })
    }

    /// `(x, dx/dy, ln|dx/dy|, d ln|dx/dy| / dy)` at `y`.
    #[inline]
    pub fn forward(&self, y: f64) -> (f64, f64, f64, f64) {
        match *self {
            BoundMap::Identity => (y, 1.0, 0.0, 0.0),
            BoundMap::Lower(lo) => {
                let e = y.exp();
                (lo + e, e, y, 1.0)
            }
            BoundMap::Upper(hi) => {
                let e = (-y).exp();
                (hi - e, e, -y, -1.0)
            }
            BoundMap::Interval(lo, hi) => {
                let w = hi - lo;
                let s = 1.0 / (1.0 + (-y).exp());
                // ln s = -softplus(-y), ln(1 - s) = -softplus(y): exact in the tails.
                let log_jac = w.ln() - softplus(-y) - softplus(y);
                let x = (lo + w * s).clamp(lo, hi);
                (x, w * s * (1.0 - s), log_jac, 1.0 - 2.0 * s)
            }
        }
    }

    /// `y` for `x` (inside the bounds; values on or past a bound are pulled inside by a
    /// relative 1e-9 of the width so the result is finite).
    pub fn inverse(&self, x: f64) -> f64 {
        match *self {
            BoundMap::Identity => x,
            BoundMap::Lower(lo) => (x - lo).max(1e-300).ln(),
            BoundMap::Upper(hi) => -(hi - x).max(1e-300).ln(),
            BoundMap::Interval(lo, hi) => {
                let w = hi - lo;
                let u = ((x - lo) / w).clamp(1e-9, 1.0 - 1e-9);
                (u / (1.0 - u)).ln()
            }
        }
    }

    /// `dy/dx` at `x` (for carrying a covariance from `x` to `y`).
    pub fn dy_dx(&self, x: f64) -> f64 {
        let y = self.inverse(x);
        1.0 / self.forward(y).1
    }
}

/// The affine whitening `y = center + scale · L z`.
#[derive(Debug, Clone, PartialEq)]
pub struct Whitening {
    /// Centre (the warm start in `y`).
    pub center: Vec<f64>,
    /// Lower-triangular factor, row-major d x d.
    pub factor: Vec<f64>,
    /// Overall scale (sqrt(K) for a shard that sees 1/K of the data).
    pub scale: f64,
}

impl Whitening {
    /// Identity whitening around `center`.
    pub fn identity(center: Vec<f64>) -> Self {
        let d = center.len();
        let mut factor = vec![0.0; d * d];
        for i in 0..d {
            factor[i * d + i] = 1.0;
        }
        Whitening {
            center,
            factor,
            scale: 1.0,
        }
    }

    /// Whitening with covariance `cov` (row-major d x d) of `y`. A covariance that is not
    /// positive definite (a weakly identified direction) is regularised: its diagonal is
    /// floored at `floor` times its largest entry, then a Cholesky factor is taken with a
    /// growing ridge until it succeeds.
    pub fn from_covariance(center: Vec<f64>, cov: &[f64], scale: f64) -> Self {
        let d = center.len();
        let mut c = cov.to_vec();
        for v in c.iter_mut() {
            if !v.is_finite() {
                *v = 0.0;
            }
        }
        let max_diag = (0..d).map(|i| c[i * d + i]).fold(0.0f64, f64::max);
        if max_diag <= 0.0 {
            let mut w = Whitening::identity(center);
            w.scale = scale;
            return w;
        }
        for i in 0..d {
            if c[i * d + i] <= 1e-12 * max_diag {
                // Undetermined at the warm start: give it unit scale in y (the sampler's
                // mass-matrix adaptation takes it from there).
                for j in 0..d {
                    c[i * d + j] = 0.0;
                    c[j * d + i] = 0.0;
                }
                c[i * d + i] = 1.0f64.min(max_diag.max(1e-12));
            }
        }
        let mut ridge = 0.0;
        for _ in 0..30 {
            if let Some(l) = cholesky(&c, d, ridge) {
                return Whitening {
                    center,
                    factor: l,
                    scale,
                };
            }
            ridge = if ridge == 0.0 { 1e-10 } else { ridge * 10.0 };
        }
        let mut w = Whitening::identity(center);
        w.scale = scale;
        w
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.center.len()
    }

    /// `y` from `z`.
    #[allow(clippy::needless_range_loop)] // triangular matrix indexing
    pub fn to_y(&self, z: &[f64], y: &mut [f64]) {
        let d = self.dim();
        for i in 0..d {
            let row = &self.factor[i * d..i * d + i + 1];
            let s: f64 = row.iter().zip(z).map(|(l, z)| l * z).sum();
            y[i] = self.center[i] + self.scale * s;
        }
    }

    /// `z` from `y` (forward substitution).
    #[allow(clippy::needless_range_loop)] // triangular matrix indexing
    pub fn to_z(&self, y: &[f64]) -> Vec<f64> {
        let d = self.dim();
        let mut z = vec![0.0; d];
        for i in 0..d {
            let mut s = (y[i] - self.center[i]) / self.scale;
            for j in 0..i {
                s -= self.factor[i * d + j] * z[j];
            }
            z[i] = s / self.factor[i * d + i];
        }
        z
    }

    /// Gradient in `z` from the gradient in `y`: `scale · Lᵀ g_y`.
    #[allow(clippy::needless_range_loop)] // triangular matrix indexing
    pub fn grad_to_z(&self, gy: &[f64], gz: &mut [f64]) {
        let d = self.dim();
        for (j, g) in gz.iter_mut().enumerate().take(d) {
            let mut s = 0.0;
            for i in j..d {
                s += self.factor[i * d + j] * gy[i];
            }
            *g = self.scale * s;
        }
    }
}

/// Cholesky factor of `a + ridge·diag(a)` (row-major), or None if not positive definite.
fn cholesky(a: &[f64], d: usize, ridge: f64) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            if i == j {
                s += ridge * a[i * d + i].abs().max(1e-300);
            }
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_maps_invert_and_differentiate() {
        for map in [
            BoundMap::Identity,
            BoundMap::Lower(2.0),
            BoundMap::Upper(-1.0),
            BoundMap::Interval(-3.0, 5.0),
        ] {
            for y in [-4.0, -0.3, 0.0, 0.7, 3.0] {
                let (x, dx, lj, dlj) = map.forward(y);
                assert!((map.inverse(x) - y).abs() < 1e-9, "{map:?} {y}");
                let h = 1e-6;
                let (xp, _, ljp, _) = map.forward(y + h);
                let (xm, _, ljm, _) = map.forward(y - h);
                assert!(((xp - xm) / (2.0 * h) - dx).abs() < 1e-6 * dx.abs().max(1.0));
                assert!(((ljp - ljm) / (2.0 * h) - dlj).abs() < 1e-6);
                assert!((lj - dx.abs().ln()).abs() < 1e-9);
            }
        }
        assert!(BoundMap::for_bounds("D0", 1.0, 1.0).is_err());
        assert!(BoundMap::for_bounds("D0", 2.0, 1.0).is_err());
    }

    #[test]
    fn interval_tails_stay_finite() {
        let m = BoundMap::Interval(0.0, 1.0);
        for y in [-800.0, 800.0] {
            let (x, _, lj, dlj) = m.forward(y);
            assert!(x.is_finite() && lj.is_finite() && dlj.is_finite());
            assert!((0.0..=1.0).contains(&x));
        }
    }

    #[test]
    fn whitening_round_trip_and_gradient() {
        let cov = [4.0, 1.8, 1.8, 1.0];
        let w = Whitening::from_covariance(vec![1.0, -2.0], &cov, 2.0);
        let z = [0.3, -1.1];
        let mut y = [0.0; 2];
        w.to_y(&z, &mut y);
        let back = w.to_z(&y);
        assert!((back[0] - z[0]).abs() < 1e-12 && (back[1] - z[1]).abs() < 1e-12);
        // f(y) = a·y  ⇒  df/dz = scale Lᵀ a.
        let a = [0.5, -1.5];
        let mut gz = [0.0; 2];
        w.grad_to_z(&a, &mut gz);
        let h = 1e-6;
        for k in 0..2 {
            let mut zp = z;
            zp[k] += h;
            let mut yp = [0.0; 2];
            w.to_y(&zp, &mut yp);
            let fd = (a[0] * (yp[0] - y[0]) + a[1] * (yp[1] - y[1])) / h;
            assert!((fd - gz[k]).abs() < 1e-6);
        }
    }
}
