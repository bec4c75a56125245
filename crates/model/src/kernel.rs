//! The forward model written once, generic over [`Scalar`].
//!
//! `g2 = offset + contrast * g1^2`, `g1 = floor(g1_diff * g1_shear, 1e-10)` with
//! `g1_diff = exp(clip(-0.5 q^2 dt * ID, -700, 0))`, `g1_shear = sinc(qL dt/(2pi) *
//! cos(phi0 - phi) * IG)^2`, ID/IG smooth absolute differences of cumulative trapezoid
//! integrals (without dt) of D(t) and gamma_dot(t). This is the plain formula: the
//! reference point for the fast f64 paths in [`crate::forward`] and [`crate::normal`],
//! and the path used for complex-step and dual-number derivatives.

use crate::scalar::Scalar;

/// `exp` argument clip (reference `MAX_EXP_ARG`).
pub const LOG_CLIP_MIN: f64 = -700.0;
/// Floor on D(t), gamma_dot(t) and g1.
pub const VALUE_FLOOR: f64 = 1e-10;
/// Smoothing term of the absolute value `sqrt(x^2 + 1e-12)`.
pub const SMOOTH_ABS_EPS: f64 = 1e-12;
/// Below this |x| the sinc uses its Taylor series.
pub const SINC_TAYLOR_THRESHOLD: f64 = 1e-4;
/// Minimum t=0 singularity floor.
pub const T_FLOOR_MIN: f64 = 1e-8;

/// Experimental geometry and sampling: everything but the parameters and angles.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Scattering wavevector q in inverse angstroms.
    pub wavevector_q: f64,
    /// Stator-rotor gap L in angstroms.
    pub stator_rotor_gap: f64,
    /// Frame time step in seconds (enters the prefactors).
    pub dt: f64,
}

impl Geometry {
    /// `0.5 q^2 dt`, the diffusion prefactor.
    pub fn diffusion_prefactor(&self) -> f64 {
        0.5 * self.wavevector_q * self.wavevector_q * self.dt
    }
    /// `q L dt / (2 pi)`, the shear prefactor, computed in the reference's order.
    pub fn shear_prefactor(&self) -> f64 {
        0.5 / std::f64::consts::PI * self.wavevector_q * self.stator_rotor_gap * self.dt
    }
}

/// `t` with the t=0 singularity floored: `where(t > eps, t, eps)`,
/// `eps = max(|t[1] - t[0]| / 2, 1e-8)`.
pub fn safe_times(t: &[f64]) -> Vec<f64> {
    let eps = t_floor(t);
    t.iter().map(|&v| if v > eps { v } else { eps }).collect()
}

/// The singularity floor of a grid (first spacing over two, at least 1e-8).
pub fn t_floor(t: &[f64]) -> f64 {
    let n = t.len();
    if n == 0 {
        return T_FLOOR_MIN;
    }
    let first = (t[1.min(n - 1)] - t[0]).abs();
    if first / 2.0 > T_FLOOR_MIN {
        first / 2.0
    } else {
        T_FLOOR_MIN
    }
}

/// `max_floor(amplitude * t_safe^exponent + offset, 1e-10)` on every grid point.
pub fn power_law_rate<S: Scalar>(t_safe: &[f64], amplitude: S, exponent: S, offset: S) -> Vec<S> {
    t_safe
        .iter()
        .map(|&t| (amplitude * exponent.pow_of(t) + offset).floor_hard(VALUE_FLOOR))
        .collect()
}

/// Cumulative trapezoid without dt: `cum[0] = 0`, `cum[k] = cum[k-1] + (f[k-1]+f[k])/2`.
pub fn cumulative_trapezoid<S: Scalar>(f: &[S]) -> Vec<S> {
    let mut out = Vec::with_capacity(f.len());
    if f.is_empty() {
        return out;
    }
    let mut acc = S::from_f64(0.0);
    out.push(acc);
    for w in f.windows(2) {
        acc = acc + (w[0] + w[1]) * 0.5;
        out.push(acc);
    }
    out
}

/// `sqrt(x^2 + 1e-12)`.
#[inline(always)]
pub fn smooth_abs<S: Scalar>(x: S) -> S {
    (x * x + SMOOTH_ABS_EPS).sqrt()
}

/// Unnormalised sinc `sin(x)/x` with the reference's Taylor branch for |x| < 1e-4.
#[inline(always)]
pub fn safe_sinc<S: Scalar>(x: S) -> S {
    let r = x.re();
    if r.abs() < SINC_TAYLOR_THRESHOLD {
        let x2 = x * x;
        -(x2 / 6.0) + 1.0 + x2 * x2 / 120.0
    } else {
        x.sin() / x
    }
}

/// Per-evaluation integrals shared by all angles.
#[derive(Debug, Clone)]
pub struct Integrals<S> {
    /// Cumulative integral of D(t) (no dt).
    pub cum_diffusion: Vec<S>,
    /// Cumulative integral of gamma_dot(t) (no dt); empty in static mode.
    pub cum_shear: Vec<S>,
}

/// Compute the cumulative integrals for physical parameters `params` (3 or 7 entries).
pub fn integrals<S: Scalar>(t: &[f64], params: &[S]) -> Integrals<S> {
    let t_safe = safe_times(t);
    let d = power_law_rate(&t_safe, params[0], params[1], params[2]);
    let cum_diffusion = cumulative_trapezoid(&d);
    let cum_shear = if params.len() >= 7 {
        cumulative_trapezoid(&power_law_rate(&t_safe, params[3], params[4], params[5]))
    } else {
        Vec::new()
    };
    Integrals {
        cum_diffusion,
        cum_shear,
    }
}

/// `q L dt/(2 pi) * cos(deg2rad(phi0 - phi))` for one angle (degrees).
pub fn angle_factor<S: Scalar>(geometry: &Geometry, phi0_deg: S, phi_deg: f64) -> S {
    // numpy's deg2rad multiplies by pi/180.
    ((phi0_deg - phi_deg) * DEG_TO_RAD).cos() * geometry.shear_prefactor()
}

/// `pi / 180`, numpy's `deg2rad` factor.
pub const DEG_TO_RAD: f64 = std::f64::consts::PI / 180.0;

/// g1 at one (i, j) point, given the angle factor (None in static mode).
#[inline(always)]
pub fn g1_point<S: Scalar>(
    integrals: &Integrals<S>,
    diffusion_prefactor: f64,
    angle_factor: Option<S>,
    i: usize,
    j: usize,
) -> S {
    let id = smooth_abs(integrals.cum_diffusion[i] - integrals.cum_diffusion[j]);
    let g1_diff = (id * (-diffusion_prefactor))
        .clip_re(LOG_CLIP_MIN, 0.0)
        .exp();
    let g1 = match angle_factor {
        Some(a) => {
            let ig = smooth_abs(integrals.cum_shear[i] - integrals.cum_shear[j]);
            let s = safe_sinc(a * ig);
            g1_diff * (s * s)
        }
        None => g1_diff,
    };
    g1.floor_at(VALUE_FLOOR)
}

/// Plain g2 on the full (n_phi, n, n) grid, row-major, for any scalar type.
/// `contrast` and `offset` are per angle. Used for reference and for derivative checks;
/// the fast f64 path is [`crate::forward::g2_grid`].
pub fn g2_grid_generic<S: Scalar>(
    geometry: &Geometry,
    t: &[f64],
    phi_deg: &[f64],
    params: &[S],
    contrast: &[S],
    offset: &[S],
) -> Vec<S> {
    let n = t.len();
    let ints = integrals(t, params);
    let wq = geometry.diffusion_prefactor();
    let mut out = Vec::with_capacity(phi_deg.len() * n * n);
    for (a, &phi) in phi_deg.iter().enumerate() {
        let factor = (params.len() >= 7).then(|| angle_factor(geometry, params[6], phi));
        for i in 0..n {
            for j in 0..n {
                let g1 = g1_point(&ints, wq, factor, i, j);
                out.push(offset[a] + contrast[a] * (g1 * g1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinc_properties() {
        assert_eq!(safe_sinc(0.0), 1.0);
        let pi = std::f64::consts::PI;
        assert!(safe_sinc(pi).abs() < 1e-10);
        assert!(safe_sinc(-2.0 * pi).abs() < 1e-10);
        assert!((safe_sinc(pi / 2.0) - 2.0 / pi).abs() < 1e-15);
        assert_eq!(safe_sinc(0.3), safe_sinc(-0.3));
        assert!((safe_sinc(5e-5) - (5e-5f64).sin() / 5e-5).abs() < 1e-15);
    }

    #[test]
    fn trapezoid_and_floor() {
        assert_eq!(cumulative_trapezoid(&[1.0, 3.0, 5.0]), vec![0.0, 2.0, 6.0]);
        assert_eq!(t_floor(&[0.0, 0.1, 0.2]), 0.05);
        assert_eq!(t_floor(&[0.0]), 1e-8);
        assert_eq!(safe_times(&[0.0, 0.1]), vec![0.05, 0.1]);
        // alpha = 0 gives a constant rate D0 + D_offset.
        let d = power_law_rate(&[0.05, 0.1, 7.0], 100.0, 0.0, 5.0);
        assert!(d.iter().all(|&v| (v - 105.0).abs() < 1e-12));
        // Negative rates are floored.
        let d = power_law_rate(&[1.0], 1.0, 0.0, -5.0);
        assert_eq!(d, vec![1e-10]);
    }
}
