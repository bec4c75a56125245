//! Per-angle optical scaling: contrast and offset of each angle.
//!
//! The optimiser sees a few coefficients; each angle's contrast (and offset) is a linear
//! function of them, `value[a] = fixed[a] + sum_k basis[a][k] * coef[k]` ([`AngleMap`]).
//! That one form covers every mode: `individual` (identity), `auto` averaged (a column of
//! ones), `constant` (no coefficients, fixed quantile estimates) and `fourier`
//! (`[1, cos phi, sin phi, cos 2phi, ...]`, phi in radians). Covariances map back as
//! `B Sigma B^T`.

use ndarray::{ArrayView3, Axis};
use std::str::FromStr;

use crate::data::C2Value;
use crate::par::{Par, run_tiles};
use crate::params::Bounds;

/// The per-angle mode as configured (`anti_degeneracy.per_angle_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PerAngleMode {
    /// Averaged when n_phi >= constant_scaling_threshold, else individual.
    #[default]
    Auto,
    /// Fixed per-angle quantile estimates (not optimised).
    Constant,
    /// One contrast and one offset per angle, all optimised.
    Individual,
    /// Truncated Fourier series in phi for contrast and offset.
    Fourier,
    /// One optimised contrast/offset pair shared by all angles, whatever their number
    /// (`auto_averaged`, the name the reference reports for `auto` with many angles).
    Averaged,
}

impl PerAngleMode {
    /// Every mode, in declaration order.
    pub const ALL: [PerAngleMode; 5] = [
        PerAngleMode::Auto,
        PerAngleMode::Constant,
        PerAngleMode::Individual,
        PerAngleMode::Fourier,
        PerAngleMode::Averaged,
    ];

    /// Every spelling [`PerAngleMode::from_str`] accepts (case-insensitive).
    pub const ACCEPTED: &'static [&'static str] = &[
        "auto",
        "constant",
        "fixed_constant",
        "individual",
        "fourier",
        "auto_averaged",
        "averaged",
    ];

    /// Canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            PerAngleMode::Auto => "auto",
            PerAngleMode::Constant => "constant",
            PerAngleMode::Individual => "individual",
            PerAngleMode::Fourier => "fourier",
            PerAngleMode::Averaged => "auto_averaged",
        }
    }
}

impl std::fmt::Display for PerAngleMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PerAngleMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(PerAngleMode::Auto),
            "constant" | "fixed_constant" => Ok(PerAngleMode::Constant),
            "individual" => Ok(PerAngleMode::Individual),
            "fourier" => Ok(PerAngleMode::Fourier),
            "auto_averaged" | "averaged" => Ok(PerAngleMode::Averaged),
            _ => Err(format!(
                "unknown per_angle_mode '{s}': expected one of {}",
                PerAngleMode::ACCEPTED.join(", ")
            )),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for PerAngleMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for PerAngleMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod per_angle_mode_tests {
    use super::{PerAngleMode, ScalingKind};

    #[test]
    fn accepted_spellings_parse_and_canonical_names_are_accepted() {
        for s in PerAngleMode::ACCEPTED {
            assert!(s.parse::<PerAngleMode>().is_ok(), "{s}");
        }
        for m in PerAngleMode::ALL {
            assert_eq!(m.as_str().parse::<PerAngleMode>(), Ok(m));
        }
    }

    #[test]
    fn averaged_is_averaged_for_any_angle_count() {
        assert_eq!("auto_averaged".parse(), Ok(PerAngleMode::Averaged));
        assert_eq!("Averaged".parse(), Ok(PerAngleMode::Averaged));
        for n_phi in [1, 2, 3, 10] {
            assert_eq!(
                ScalingKind::resolve(PerAngleMode::Averaged, n_phi, 3, 2),
                ScalingKind::Averaged
            );
        }
    }
}

/// The mode after resolving `auto` and the Fourier fallback for a given angle count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalingKind {
    /// One contrast and offset per angle.
    Individual,
    /// One contrast and offset shared by all angles.
    Averaged,
    /// Fixed per-angle values (not optimised).
    FixedConstant,
    /// Fourier series in phi.
    Fourier {
        /// Highest harmonic.
        order: usize,
    },
}

impl ScalingKind {
    /// Resolve `mode` for `n_phi` angles: `auto` averages when `n_phi >= threshold`,
    /// `auto_averaged` always averages;
    /// `fourier` needs `n_phi >= 1 + 2 order` and otherwise falls back to individual.
    pub fn resolve(mode: PerAngleMode, n_phi: usize, threshold: usize, order: usize) -> Self {
        match mode {
            PerAngleMode::Auto if n_phi >= threshold => ScalingKind::Averaged,
            PerAngleMode::Auto | PerAngleMode::Individual => ScalingKind::Individual,
            PerAngleMode::Constant => ScalingKind::FixedConstant,
            PerAngleMode::Averaged => ScalingKind::Averaged,
            PerAngleMode::Fourier if order >= 1 && n_phi > 2 * order => {
                ScalingKind::Fourier { order }
            }
            PerAngleMode::Fourier => ScalingKind::Individual,
        }
    }

    /// Name used in reports: `individual`, `auto_averaged`, `fixed_constant`, `fourier`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScalingKind::Individual => "individual",
            ScalingKind::Averaged => "auto_averaged",
            ScalingKind::FixedConstant => "fixed_constant",
            ScalingKind::Fourier { .. } => "fourier",
        }
    }
}

/// Linear map from optimised coefficients to one value per angle.
#[derive(Debug, Clone, PartialEq)]
pub struct AngleMap {
    n_phi: usize,
    n_coef: usize,
    /// Row-major (n_phi x n_coef).
    basis: Vec<f64>,
    fixed: Vec<f64>,
}

impl AngleMap {
    /// One free coefficient per angle.
    pub fn individual(n_phi: usize) -> Self {
        let mut basis = vec![0.0; n_phi * n_phi];
        for a in 0..n_phi {
            basis[a * n_phi + a] = 1.0;
        }
        AngleMap {
            n_phi,
            n_coef: n_phi,
            basis,
            fixed: vec![0.0; n_phi],
        }
    }

    /// One coefficient shared by all angles.
    pub fn averaged(n_phi: usize) -> Self {
        AngleMap {
            n_phi,
            n_coef: 1,
            basis: vec![1.0; n_phi],
            fixed: vec![0.0; n_phi],
        }
    }

    /// No coefficients: the given per-angle values, held fixed.
    pub fn fixed(values: Vec<f64>) -> Self {
        AngleMap {
            n_phi: values.len(),
            n_coef: 0,
            basis: Vec::new(),
            fixed: values,
        }
    }

    /// Fourier basis `[1, cos phi, sin phi, ..., cos K phi, sin K phi]`, phi in radians.
    pub fn fourier(phi_deg: &[f64], order: usize) -> Self {
        let n_coef = 1 + 2 * order;
        let mut basis = Vec::with_capacity(phi_deg.len() * n_coef);
        for &phi in phi_deg {
            let x = phi.to_radians();
            basis.push(1.0);
            for k in 1..=order {
                let (s, c) = (k as f64 * x).sin_cos();
                basis.push(c);
                basis.push(s);
            }
        }
        AngleMap {
            n_phi: phi_deg.len(),
            n_coef,
            basis,
            fixed: vec![0.0; phi_deg.len()],
        }
    }

    /// Build the map of a resolved kind; `fixed_values` are used by `FixedConstant`.
    pub fn for_kind(kind: ScalingKind, phi_deg: &[f64], fixed_values: &[f64]) -> Self {
        match kind {
            ScalingKind::Individual => AngleMap::individual(phi_deg.len()),
            ScalingKind::Averaged => AngleMap::averaged(phi_deg.len()),
            ScalingKind::FixedConstant => AngleMap::fixed(fixed_values.to_vec()),
            ScalingKind::Fourier { order } => AngleMap::fourier(phi_deg, order),
        }
    }

    /// Number of angles.
    pub fn n_phi(&self) -> usize {
        self.n_phi
    }
    /// Number of optimised coefficients.
    pub fn n_coef(&self) -> usize {
        self.n_coef
    }
    /// `d value[a] / d coef[k]`.
    #[inline]
    pub fn basis(&self, a: usize, k: usize) -> f64 {
        self.basis[a * self.n_coef + k]
    }
    /// The basis row of angle `a`.
    #[inline]
    pub fn row(&self, a: usize) -> &[f64] {
        &self.basis[a * self.n_coef..(a + 1) * self.n_coef]
    }

    /// Per-angle values for coefficients `coef` (length `n_coef`).
    pub fn values(&self, coef: &[f64]) -> Vec<f64> {
        (0..self.n_phi)
            .map(|a| {
                self.fixed[a]
                    + self
                        .row(a)
                        .iter()
                        .zip(coef)
                        .map(|(b, c)| b * c)
                        .sum::<f64>()
            })
            .collect()
    }

    /// Least-squares coefficients reproducing `per_angle` values as closely as possible
    /// (exact for individual; the mean for averaged; lstsq for Fourier).
    pub fn fit_coefficients(&self, per_angle: &[f64]) -> Vec<f64> {
        let target: Vec<f64> = per_angle
            .iter()
            .zip(&self.fixed)
            .map(|(v, f)| v - f)
            .collect();
        least_squares(&self.basis, self.n_phi, self.n_coef, &target)
    }

    /// Per-angle covariance `B Sigma B^T` from a coefficient covariance (row-major
    /// n_coef x n_coef); returns row-major n_phi x n_phi.
    pub fn map_covariance(&self, cov: &[f64]) -> Vec<f64> {
        let (n, m) = (self.n_phi, self.n_coef);
        let mut out = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                let mut s = 0.0;
                for k in 0..m {
                    for l in 0..m {
                        s += self.basis(a, k) * cov[k * m + l] * self.basis(b, l);
                    }
                }
                out[a * n + b] = s;
            }
        }
        out
    }
}

/// Minimum-norm least squares `argmin |B c - y|` for a small dense B (rows x cols),
/// via the normal equations with a Jacobi eigen-decomposition pseudo-inverse
/// (cutoff `max(rows, cols) * eps * largest eigenvalue`, as numpy's lstsq rcond).
pub fn least_squares(basis: &[f64], rows: usize, cols: usize, y: &[f64]) -> Vec<f64> {
    if cols == 0 {
        return Vec::new();
    }
    let mut ata = vec![0.0; cols * cols];
    let mut aty = vec![0.0; cols];
    for r in 0..rows {
        let row = &basis[r * cols..(r + 1) * cols];
        for k in 0..cols {
            aty[k] += row[k] * y[r];
            for l in 0..cols {
                ata[k * cols + l] += row[k] * row[l];
            }
        }
    }
    let (values, vectors) = crate::linalg::symmetric_eigen(&ata, cols);
    let largest = values.iter().cloned().fold(0.0, f64::max);
    let rcond = rows.max(cols) as f64 * f64::EPSILON;
    let cutoff = rcond * rcond * largest;
    let mut coef = vec![0.0; cols];
    for (e, &lambda) in values.iter().enumerate() {
        if lambda <= cutoff {
            continue;
        }
        let proj: f64 = (0..cols)
            .map(|k| vectors[k * cols + e] * aty[k])
            .sum::<f64>()
            / lambda;
        for k in 0..cols {
            coef[k] += proj * vectors[k * cols + e];
        }
    }
    coef
}

/// Per-angle quantile estimates of contrast and offset: the offset is
/// the 10th percentile of c2 at the largest lags (Δt >= 80th percentile of Δt), the
/// contrast the 90th percentile at the smallest lags (Δt <= 20th percentile) minus the
/// offset, both clipped to their bounds. Angles with fewer than 100 finite points get
/// the bound midpoints. `include_diagonal` keeps the (t, t) points in the pools.
/// Angles run in parallel on the current rayon pool ([`quantile_estimates_par`] with
/// [`Par::rayon`]`(0)`).
pub fn quantile_estimates<T: C2Value>(
    c2: ArrayView3<T>,
    t: &[f64],
    contrast_bounds: Bounds,
    offset_bounds: Bounds,
    include_diagonal: bool,
) -> (Vec<f64>, Vec<f64>) {
    quantile_estimates_par(
        c2,
        t,
        contrast_bounds,
        offset_bounds,
        include_diagonal,
        Par::rayon(0),
    )
}

impl crate::data::C2View<'_> {
    /// [`quantile_estimates`] on the stored values.
    pub fn quantile_estimates(
        &self,
        t: &[f64],
        contrast_bounds: Bounds,
        offset_bounds: Bounds,
        include_diagonal: bool,
    ) -> (Vec<f64>, Vec<f64>) {
        match self {
            crate::data::C2View::F64(v) => {
                quantile_estimates(*v, t, contrast_bounds, offset_bounds, include_diagonal)
            }
            crate::data::C2View::F32(v) => {
                quantile_estimates(*v, t, contrast_bounds, offset_bounds, include_diagonal)
            }
        }
    }
}

/// [`quantile_estimates`] with parallelism `par`. Deterministic: each angle is estimated
/// on its own (a percentile is a function of the multiset of values, not of their order)
/// and the results are returned in angle order, whatever `par`.
pub fn quantile_estimates_par<T: C2Value>(
    c2: ArrayView3<T>,
    t: &[f64],
    contrast_bounds: Bounds,
    offset_bounds: Bounds,
    include_diagonal: bool,
    par: Par,
) -> (Vec<f64>, Vec<f64>) {
    let n = t.len();
    // Angles are independent: estimate them in parallel.
    let pairs: Vec<(f64, f64)> = run_tiles(
        par,
        c2.axis_iter(Axis(0)).collect(),
        || (),
        |_, _, m| {
            let mut lags = Vec::with_capacity(n * n);
            let mut values = Vec::with_capacity(n * n);
            for i in 0..n {
                for j in 0..n {
                    let v: f64 = m[[i, j]].into();
                    if (i == j && !include_diagonal) || !v.is_finite() {
                        continue;
                    }
                    lags.push((t[i] - t[j]).abs());
                    values.push(v);
                }
            }
            if values.len() < 100 {
                return (contrast_bounds.mid(), offset_bounds.mid());
            }
            let mut sorted_lags = lags.clone();
            let lag_hi = percentile(&mut sorted_lags, 80.0);
            let lag_lo = percentile(&mut sorted_lags, 20.0);
            let mut far: Vec<f64> = select(&values, &lags, |l| l >= lag_hi);
            let o = if far.len() >= 10 {
                percentile(&mut far, 10.0)
            } else {
                percentile(&mut values.clone(), 10.0)
            };
            let o = offset_bounds.clip(o);
            let mut near: Vec<f64> = select(&values, &lags, |l| l <= lag_lo);
            let ceiling = if near.len() >= 10 {
                percentile(&mut near, 90.0)
            } else {
                percentile(&mut values.clone(), 90.0)
            };
            (contrast_bounds.clip(ceiling - o), o)
        },
    );
    pairs.into_iter().unzip()
}

fn select(values: &[f64], lags: &[f64], keep: impl Fn(f64) -> bool) -> Vec<f64> {
    values
        .iter()
        .zip(lags)
        .filter(|(_, l)| keep(**l))
        .map(|(v, _)| *v)
        .collect()
}

/// numpy's default ('linear') percentile of `values` (reordered in place).
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (p / 100.0) * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let frac = h - lo as f64;
    let (_, &mut a, rest) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || rest.is_empty() {
        return a;
    }
    let b = rest.iter().cloned().fold(f64::INFINITY, f64::min);
    // numpy's _lerp: a + (b-a) t, or b - (b-a)(1-t) for t >= 0.5.
    let diff = b - a;
    if frac >= 0.5 {
        b - diff * (1.0 - frac)
    } else {
        a + diff * frac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_modes() {
        use PerAngleMode::*;
        assert_eq!(ScalingKind::resolve(Auto, 3, 3, 2), ScalingKind::Averaged);
        assert_eq!(ScalingKind::resolve(Auto, 2, 3, 2), ScalingKind::Individual);
        assert_eq!(
            ScalingKind::resolve(Constant, 1, 3, 2),
            ScalingKind::FixedConstant
        );
        assert_eq!(
            ScalingKind::resolve(Fourier, 5, 3, 2),
            ScalingKind::Fourier { order: 2 }
        );
        assert_eq!(
            ScalingKind::resolve(Fourier, 4, 3, 2),
            ScalingKind::Individual
        );
        assert!("bogus".parse::<PerAngleMode>().is_err());
    }

    #[test]
    fn percentile_matches_numpy() {
        // np.percentile([3, 1, 4, 1, 5], [0, 10, 50, 80, 100]) = [1, 1, 3, 4.2, 5]
        let v = [3.0, 1.0, 4.0, 1.0, 5.0];
        for (p, want) in [
            (0.0, 1.0),
            (10.0, 1.0),
            (50.0, 3.0),
            (80.0, 4.2),
            (100.0, 5.0),
        ] {
            let got = percentile(&mut v.clone(), p);
            assert!((got - want).abs() < 1e-15, "p{p}: {got}");
        }
    }

    #[test]
    fn fourier_fit_and_covariance() {
        let phi: Vec<f64> = (0..8).map(|k| -170.0 + 45.0 * k as f64).collect();
        let map = AngleMap::fourier(&phi, 2);
        let truth = [0.3, 0.05, -0.02, 0.01, 0.004];
        let values = map.values(&truth);
        let coef = map.fit_coefficients(&values);
        for (c, t) in coef.iter().zip(truth) {
            assert!((c - t).abs() < 1e-12);
        }
        // Identity covariance of coefficients maps to B B^T.
        let mut id = vec![0.0; 25];
        (0..5).for_each(|k| id[k * 5 + k] = 1.0);
        let cov = map.map_covariance(&id);
        let bb: f64 = map.row(0).iter().map(|b| b * b).sum();
        assert!((cov[0] - bb).abs() < 1e-14);
        // Averaged map: the mean.
        let avg = AngleMap::averaged(3);
        assert!((avg.fit_coefficients(&[1.0, 2.0, 6.0])[0] - 3.0).abs() < 1e-14);
    }
}
