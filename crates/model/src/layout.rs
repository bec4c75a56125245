//! The optimiser's parameter vector and how it maps onto the model.
//!
//! `x = [contrast coefficients, offset coefficients, free physical parameters]`. The
//! scaling coefficients map to per-angle values through [`AngleMap`]s (so every per-angle
//! mode is the same code); physical parameters can be held fixed, in which case they are
//! not in `x`.

use crate::error::ModelError;
use crate::params::AnalysisMode;
use crate::scaling::{AngleMap, ScalingKind};

/// Where each model quantity lives in the optimiser's vector.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterLayout {
    /// Static or laminar flow.
    pub mode: AnalysisMode,
    /// Resolved per-angle mode.
    pub scaling_kind: ScalingKind,
    /// Per-angle contrast from the contrast coefficients.
    pub contrast: AngleMap,
    /// Per-angle offset from the offset coefficients.
    pub offset: AngleMap,
    /// Per physical parameter: its index in `x`, or `None` when held fixed.
    physical_slots: Vec<Option<usize>>,
    /// Values used for fixed physical parameters (and as a template for free ones).
    physical_values: Vec<f64>,
}

/// Model quantities decoded from an optimiser vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// All 3 or 7 physical parameters (fixed ones included).
    pub physical: Vec<f64>,
    /// Contrast per angle.
    pub contrast: Vec<f64>,
    /// Offset per angle.
    pub offset: Vec<f64>,
}

impl ParameterLayout {
    /// `physical_values` gives every physical parameter (3 or 7); `fixed[k]` holds
    /// parameter k at that value.
    pub fn new(
        mode: AnalysisMode,
        scaling_kind: ScalingKind,
        contrast: AngleMap,
        offset: AngleMap,
        physical_values: &[f64],
        fixed: &[bool],
    ) -> Result<Self, ModelError> {
        let p = mode.n_physical();
        if physical_values.len() != p || fixed.len() != p {
            return Err(ModelError::ParameterCount(physical_values.len()));
        }
        if contrast.n_coef() != offset.n_coef() {
            return Err(ModelError::Invalid(format!(
                "contrast map has {} coefficients but offset map {}: both must follow the \
                 same per-angle mode",
                contrast.n_coef(),
                offset.n_coef()
            )));
        }
        if contrast.n_phi() != offset.n_phi() {
            return Err(ModelError::Invalid(
                "contrast and offset maps cover different angle counts".into(),
            ));
        }
        let mut next = contrast.n_coef() + offset.n_coef();
        let physical_slots = fixed
            .iter()
            .map(|&f| {
                (!f).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(ParameterLayout {
            mode,
            scaling_kind,
            contrast,
            offset,
            physical_slots,
            physical_values: physical_values.to_vec(),
        })
    }

    /// Number of angles.
    pub fn n_phi(&self) -> usize {
        self.contrast.n_phi()
    }

    /// Length of the optimiser vector.
    pub fn n_params(&self) -> usize {
        self.contrast.n_coef() + self.offset.n_coef() + self.physical_slots.iter().flatten().count()
    }

    /// Index of physical parameter `k` in `x` (None when fixed).
    pub fn physical_slot(&self, k: usize) -> Option<usize> {
        self.physical_slots[k]
    }

    /// Which physical parameters are held fixed.
    pub fn fixed_mask(&self) -> Vec<bool> {
        self.physical_slots.iter().map(Option::is_none).collect()
    }

    /// First index of the offset coefficients in `x`.
    pub fn offset_start(&self) -> usize {
        self.contrast.n_coef()
    }

    /// Names of the entries of `x`, e.g. `contrast_0`, `contrast` (averaged),
    /// `contrast_c0`/`contrast_c1`/`contrast_s1` (Fourier), then physical names.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.n_params());
        for base in ["contrast", "offset"] {
            let n = self.contrast.n_coef();
            match self.scaling_kind {
                ScalingKind::Individual => names.extend((0..n).map(|a| format!("{base}_{a}"))),
                ScalingKind::Averaged => names.push(base.to_string()),
                ScalingKind::FixedConstant => {}
                ScalingKind::Fourier { order } => {
                    names.push(format!("{base}_c0"));
                    for k in 1..=order {
                        names.push(format!("{base}_c{k}"));
                        names.push(format!("{base}_s{k}"));
                    }
                }
            }
        }
        for (k, slot) in self.physical_slots.iter().enumerate() {
            if slot.is_some() {
                names.push(self.mode.physical_names()[k].to_string());
            }
        }
        names
    }

    /// Decode `x` into physical parameters and per-angle contrast/offset.
    pub fn decode(&self, x: &[f64]) -> Decoded {
        let nc = self.contrast.n_coef();
        let no = self.offset.n_coef();
        let physical = self
            .physical_slots
            .iter()
            .zip(&self.physical_values)
            .map(|(slot, &v)| slot.map_or(v, |i| x[i]))
            .collect();
        Decoded {
            physical,
            contrast: self.contrast.values(&x[..nc]),
            offset: self.offset.values(&x[nc..nc + no]),
        }
    }

    /// Encode: coefficients fitted to per-angle values (least squares), free physical
    /// parameters copied from `physical` (all 3 or 7).
    pub fn encode(&self, physical: &[f64], contrast: &[f64], offset: &[f64]) -> Vec<f64> {
        let mut x = self.contrast.fit_coefficients(contrast);
        x.extend(self.offset.fit_coefficients(offset));
        for (k, slot) in self.physical_slots.iter().enumerate() {
            if slot.is_some() {
                x.push(physical[k]);
            }
        }
        x
    }

    /// The sparse map from the local per-point gradient of angle `a`
    /// (`[d/dcontrast, d/doffset, d/dphysical...]`) to `x`: for each local index, the
    /// `(x index, coefficient)` pairs.
    pub fn local_to_global(&self, a: usize) -> Vec<Vec<(usize, f64)>> {
        let mut map = Vec::with_capacity(2 + self.physical_slots.len());
        map.push(
            self.contrast
                .row(a)
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != 0.0)
                .map(|(k, &b)| (k, b))
                .collect(),
        );
        let o0 = self.offset_start();
        map.push(
            self.offset
                .row(a)
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != 0.0)
                .map(|(k, &b)| (o0 + k, b))
                .collect(),
        );
        for slot in &self.physical_slots {
            map.push(slot.map(|i| vec![(i, 1.0)]).unwrap_or_default());
        }
        map
    }
}
