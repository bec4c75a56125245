//! Parameter covariance from the final normal equations, and its mapping to the
//! per-angle result layout.
//!
//! `Cov = s^2 (J^T J)^+` with the pseudo-inverse taken on the unit-diagonal (scale-free)
//! matrix so that parameters of very different magnitudes do not spoil the cut-off;
//! `s^2 = cost / (N - P)` (the reduced chi^2 for the linear loss) unless sigma is
//! absolute. The optimiser vector maps linearly to `[contrast_0.., offset_0..,
//! physical..]` (`y = M x + fixed`), so the per-angle covariance is `M Cov M^T`,
//! cross terms included; fixed quantities get zero variance.

use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::NormalEquations;
use serde::Serialize;

use crate::error::NlsqError;
use crate::linalg::{condition_number, pinv_symmetric, unit_diagonal};

/// Relative eigenvalue cut-off of the pseudo-inverse, per parameter: directions below
/// `PINV_RCOND_PER_PARAM * P * lambda_max` of the unit-diagonal `J^T J` are dropped.
pub const PINV_RCOND_PER_PARAM: f64 = 10.0 * f64::EPSILON;

/// Covariance of the optimiser vector and conditioning diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Covariance {
    /// Row-major P x P.
    pub matrix: Vec<f64>,
    pub n_params: usize,
    /// Factor `s^2` applied to `(J^T J)^+`.
    pub scale: f64,
    /// Condition number of the unit-diagonal `J^T J` (independent of parameter units).
    pub condition_number: f64,
    /// Condition number of `J^T J` in the parameters' own units.
    pub raw_condition_number: f64,
    /// Directions dropped by the pseudo-inverse.
    pub rank_deficiency: usize,
}

/// Covariance of the fitted vector from the normal equations at the answer.
pub fn from_equations(
    equations: &NormalEquations,
    n_points: usize,
    absolute_sigma: bool,
) -> Result<Covariance, NlsqError> {
    let p = equations.n_params;
    let dof = n_points.saturating_sub(p);
    let scale = if absolute_sigma {
        1.0
    } else if dof > 0 {
        equations.cost / dof as f64
    } else {
        f64::INFINITY
    };
    let d: Vec<f64> = (0..p)
        .map(|i| {
            let h = equations.jtj[i * p + i];
            if h > 0.0 { 1.0 / h.sqrt() } else { 1.0 }
        })
        .collect();
    let unit = unit_diagonal(&equations.jtj, p);
    let rcond = PINV_RCOND_PER_PARAM * p.max(1) as f64;
    let (inv, rank_deficiency) = pinv_symmetric(&unit, p, rcond)?;
    let mut matrix = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            matrix[i * p + j] = d[i] * inv[i * p + j] * d[j] * scale;
        }
    }
    Ok(Covariance {
        matrix,
        n_params: p,
        scale,
        condition_number: condition_number(&unit, p)?,
        raw_condition_number: condition_number(&equations.jtj, p)?,
        rank_deficiency,
    })
}

/// The linear map `M` (row-major, `(2 n_phi + n_physical) x P`) from the optimiser
/// vector to the per-angle layout.
pub fn per_angle_map(layout: &ParameterLayout) -> (Vec<f64>, usize) {
    let n_phi = layout.n_phi();
    let p = layout.n_params();
    let n_phys = layout.mode.n_physical();
    let rows = 2 * n_phi + n_phys;
    let mut m = vec![0.0; rows * p];
    let o0 = layout.offset_start();
    for a in 0..n_phi {
        for (k, b) in layout.contrast.row(a).iter().enumerate() {
            m[a * p + k] = *b;
        }
        for (k, b) in layout.offset.row(a).iter().enumerate() {
            m[(n_phi + a) * p + o0 + k] = *b;
        }
    }
    for k in 0..n_phys {
        if let Some(slot) = layout.physical_slot(k) {
            m[(2 * n_phi + k) * p + slot] = 1.0;
        }
    }
    (m, rows)
}

/// `M C M^T` for `M` (rows x p) and `C` (p x p).
pub fn map_covariance(m: &[f64], rows: usize, cov: &[f64], p: usize) -> Vec<f64> {
    let mut mc = vec![0.0; rows * p];
    for r in 0..rows {
        for j in 0..p {
            mc[r * p + j] = (0..p).map(|k| m[r * p + k] * cov[k * p + j]).sum();
        }
    }
    let mut out = vec![0.0; rows * rows];
    for r in 0..rows {
        for s in 0..rows {
            out[r * rows + s] = (0..p).map(|k| mc[r * p + k] * m[s * p + k]).sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_model::params::AnalysisMode;
    use homodyne_model::scaling::{AngleMap, ScalingKind};

    #[test]
    fn averaged_mapping_matches_angle_map() {
        let layout = ParameterLayout::new(
            AnalysisMode::Static,
            ScalingKind::Averaged,
            AngleMap::averaged(3),
            AngleMap::averaged(3),
            &[1e4, -1.5, 0.0],
            &[false, true, false],
        )
        .unwrap();
        let p = layout.n_params();
        assert_eq!(p, 4);
        let mut cov = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                cov[i * p + j] = if i == j { (i + 1) as f64 } else { 0.1 };
            }
        }
        let (m, rows) = per_angle_map(&layout);
        let out = map_covariance(&m, rows, &cov, p);
        assert_eq!(rows, 9);
        // Every contrast variance equals the coefficient's; cross terms tiled.
        for a in 0..3 {
            assert_eq!(out[a * rows + a], 1.0);
            assert_eq!(out[a * rows + 3 + a], 0.1);
        }
        let block = layout.contrast.map_covariance(&cov[..1]);
        assert_eq!(block[1], out[1]);
        // Fixed alpha (index 7) has zero variance; D0 (6) keeps its own.
        assert_eq!(out[7 * rows + 7], 0.0);
        assert_eq!(out[6 * rows + 6], 3.0);
    }
}
