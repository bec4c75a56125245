//! The measurement the model is evaluated on: geometry, time grid and angles.

use crate::error::ModelError;
use crate::kernel::Geometry;
use crate::params::AnalysisMode;

/// Geometry, time grid (seconds) and scattering angles (degrees), validated once.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Wavevector, gap and frame time.
    pub geometry: Geometry,
    /// Time points of both axes, seconds, increasing.
    pub t: Vec<f64>,
    /// Angles in degrees, one per c2 matrix.
    pub phi_deg: Vec<f64>,
}

impl Experiment {
    /// Validate: finite positive geometry, a non-empty strictly increasing finite time
    /// grid, at least one finite angle.
    pub fn new(geometry: Geometry, t: Vec<f64>, phi_deg: Vec<f64>) -> Result<Self, ModelError> {
        for (name, value) in [
            ("wavevector_q", geometry.wavevector_q),
            ("stator_rotor_gap", geometry.stator_rotor_gap),
            ("dt", geometry.dt),
        ] {
            if !value.is_finite() {
                return Err(ModelError::NonFinite {
                    name: name.into(),
                    value,
                });
            }
            if value <= 0.0 {
                return Err(ModelError::NonPositive { name, value });
            }
        }
        if t.is_empty() {
            return Err(ModelError::EmptyTimeGrid);
        }
        if phi_deg.is_empty() {
            return Err(ModelError::NoAngles);
        }
        if let Some((k, &v)) = t.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                name: format!("t[{k}]"),
                value: v,
            });
        }
        if t.windows(2).any(|w| w[1] <= w[0]) {
            return Err(ModelError::Invalid(
                "time grid must be strictly increasing".into(),
            ));
        }
        if let Some((k, &v)) = phi_deg.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                name: format!("phi[{k}]"),
                value: v,
            });
        }
        Ok(Experiment {
            geometry,
            t,
            phi_deg,
        })
    }

    /// The reference time grid `[0, dt, ..., (n-1) dt]`.
    pub fn uniform_times(n: usize, dt: f64) -> Vec<f64> {
        (0..n).map(|k| k as f64 * dt).collect()
    }

    /// Number of time points.
    pub fn n_t(&self) -> usize {
        self.t.len()
    }
    /// Number of angles.
    pub fn n_phi(&self) -> usize {
        self.phi_deg.len()
    }
    /// Number of grid points n_phi * n_t^2.
    pub fn n_points(&self) -> usize {
        self.n_phi() * self.n_t() * self.n_t()
    }

    /// Check a physical parameter vector: length matching a mode, finite entries.
    pub fn check_params(&self, params: &[f64]) -> Result<AnalysisMode, ModelError> {
        let mode = AnalysisMode::from_n_physical(params.len())
            .ok_or(ModelError::ParameterCount(params.len()))?;
        check_finite(mode.physical_names(), params)?;
        Ok(mode)
    }

    /// Check per-angle contrast/offset vectors.
    pub fn check_scaling(&self, contrast: &[f64], offset: &[f64]) -> Result<(), ModelError> {
        for (name, v) in [("contrast", contrast), ("offset", offset)] {
            if v.len() != self.n_phi() {
                return Err(ModelError::PerAngleLength {
                    name,
                    got: v.len(),
                    expected: self.n_phi(),
                });
            }
            if let Some((k, &x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(ModelError::NonFinite {
                    name: format!("{name}[{k}]"),
                    value: x,
                });
            }
        }
        Ok(())
    }
}

fn check_finite(names: &[&str], values: &[f64]) -> Result<(), ModelError> {
    for (name, &v) in names.iter().zip(values) {
        if !v.is_finite() {
            return Err(ModelError::NonFinite {
                name: (*name).into(),
                value: v,
            });
        }
    }
    Ok(())
}
