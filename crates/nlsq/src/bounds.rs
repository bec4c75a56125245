//! Box bounds of the fit: physical parameters, per-angle contrast and offset, and how
//! they become bounds on the optimiser's vector for each per-angle mode.
//!
//! Individual and averaged coefficients get the contrast/offset bounds. For Fourier
//! scaling the constant term gets them and each harmonic coefficient gets
//! `+-(max - min)/2` (the reference gave harmonics the contrast interval itself, which
//! forbids negative harmonics). Fixed physical parameters have no slot.
//!
//! The bounds come from the one parameter table, the model's [`ParameterSpace`]
//! ([`ParameterBounds::from_space`]); this type is only the fitter's view of it.

use homodyne_model::layout::ParameterLayout;
use homodyne_model::params::{AnalysisMode, Bounds, ParameterSpace};
use homodyne_model::scaling::ScalingKind;
use serde::Serialize;

use crate::error::NlsqError;

impl From<&ParameterSpace> for ParameterBounds {
    fn from(space: &ParameterSpace) -> Self {
        Self::from_space(space)
    }
}

/// Bounds of every model quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterBounds {
    /// One per physical parameter (3 or 7), canonical order.
    #[serde(serialize_with = "ser_bounds_vec")]
    pub physical: Vec<Bounds>,
    #[serde(serialize_with = "ser_bounds")]
    /// Bounds of every angle's contrast.
    pub contrast: Bounds,
    #[serde(serialize_with = "ser_bounds")]
    /// Bounds of every angle's offset.
    pub offset: Bounds,
}

fn ser_bounds<S: serde::Serializer>(b: &Bounds, s: S) -> Result<S::Ok, S::Error> {
    [b.min, b.max].serialize(s)
}

fn ser_bounds_vec<S: serde::Serializer>(b: &[Bounds], s: S) -> Result<S::Ok, S::Error> {
    b.iter()
        .map(|b| [b.min, b.max])
        .collect::<Vec<_>>()
        .serialize(s)
}

impl ParameterBounds {
    /// The reference's ParameterManager defaults.
    pub fn defaults(mode: AnalysisMode) -> Self {
        Self::from_space(&ParameterSpace::defaults(mode))
    }

    /// The bounds of a parameter table (physical parameters of its mode, contrast,
    /// offset).
    pub fn from_space(space: &ParameterSpace) -> Self {
        ParameterBounds {
            physical: space.physical_bounds(),
            contrast: space.contrast().bounds,
            offset: space.offset().bounds,
        }
    }

    /// Every interval finite with `min < max`, one per physical parameter of `mode`.
    pub fn validate(&self, mode: AnalysisMode) -> Result<(), NlsqError> {
        if self.physical.len() != mode.n_physical() {
            return Err(NlsqError::Initial(format!(
                "{} physical bounds given; {mode} needs {}",
                self.physical.len(),
                mode.n_physical()
            )));
        }
        let named = mode
            .physical_names()
            .iter()
            .zip(&self.physical)
            .map(|(n, b)| (n.to_string(), *b))
            .chain([
                ("contrast".to_string(), self.contrast),
                ("offset".to_string(), self.offset),
            ]);
        for (name, b) in named {
            if !(b.min.is_finite() && b.max.is_finite() && b.min < b.max) {
                return Err(NlsqError::Bounds {
                    name,
                    min: b.min,
                    max: b.max,
                });
            }
        }
        Ok(())
    }

    /// Lower and upper bounds of the optimiser vector of `layout`.
    pub fn for_layout(&self, layout: &ParameterLayout) -> (Vec<f64>, Vec<f64>) {
        let mut lo = Vec::with_capacity(layout.n_params());
        let mut hi = Vec::with_capacity(layout.n_params());
        for b in [self.contrast, self.offset] {
            match layout.scaling_kind {
                ScalingKind::Individual => {
                    for _ in 0..layout.n_phi() {
                        lo.push(b.min);
                        hi.push(b.max);
                    }
                }
                ScalingKind::Averaged => {
                    lo.push(b.min);
                    hi.push(b.max);
                }
                ScalingKind::FixedConstant => {}
                ScalingKind::Fourier { order } => {
                    lo.push(b.min);
                    hi.push(b.max);
                    let h = 0.5 * b.width();
                    for _ in 0..2 * order {
                        lo.push(-h);
                        hi.push(h);
                    }
                }
            }
        }
        for (k, b) in self.physical.iter().enumerate() {
            if layout.physical_slot(k).is_some() {
                lo.push(b.min);
                hi.push(b.max);
            }
        }
        (lo, hi)
    }

    /// Bounds in the per-angle result layout `[contrast_0.., offset_0.., physical..]`.
    pub fn per_angle(&self, n_phi: usize) -> Vec<Bounds> {
        let mut out = vec![self.contrast; n_phi];
        out.extend(std::iter::repeat_n(self.offset, n_phi));
        out.extend(self.physical.iter().copied());
        out
    }
}
