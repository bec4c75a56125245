//! The space a global search samples: the free physical parameters, each mapped to
//! `[0, 1]` linearly or, for a positive interval spanning two decades or more (D0
//! `[1e2, 1e6]`, gamma_dot_t0 `[1e-6, 0.5]`), logarithmically, so that a space-filling
//! design or an evolution covers every decade instead of crowding at the top one.

use homodyne_model::layout::ParameterLayout;
use homodyne_nlsq::ParameterBounds;

/// Decades from which a positive interval is sampled in log space.
pub const LOG_RATIO: f64 = 100.0;

/// The free physical parameters and their unit-cube map.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpace {
    /// Physical index of each searched coordinate.
    pub index: Vec<usize>,
    /// Names of the searched parameters.
    pub names: Vec<String>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Whether each coordinate is mapped logarithmically.
    pub log: Vec<bool>,
}

impl SearchSpace {
    /// The free physical parameters of `layout` with their bounds.
    pub fn new(layout: &ParameterLayout, bounds: &ParameterBounds) -> Self {
        let mut s = SearchSpace {
            index: Vec::new(),
            names: Vec::new(),
            lo: Vec::new(),
            hi: Vec::new(),
            log: Vec::new(),
        };
        for (k, b) in bounds.physical.iter().enumerate() {
            if layout.physical_slot(k).is_some() {
                s.index.push(k);
                s.names.push(layout.mode.physical_names()[k].to_string());
                s.lo.push(b.min);
                s.hi.push(b.max);
                s.log.push(b.min > 0.0 && b.max / b.min >= LOG_RATIO);
            }
        }
        s
    }

    /// Number of searched coordinates.
    pub fn dim(&self) -> usize {
        self.index.len()
    }

    /// Unit coordinates of all (3 or 7) physical values.
    pub fn to_unit(&self, physical: &[f64]) -> Vec<f64> {
        (0..self.dim())
            .map(|i| {
                let v = physical[self.index[i]].clamp(self.lo[i], self.hi[i]);
                if self.log[i] {
                    (v / self.lo[i]).ln() / (self.hi[i] / self.lo[i]).ln()
                } else {
                    (v - self.lo[i]) / (self.hi[i] - self.lo[i])
                }
            })
            .collect()
    }

    /// Physical values from unit coordinates (clipped to `[0, 1]`); coordinates not
    /// searched keep their value in `template`.
    pub fn from_unit(&self, u: &[f64], template: &[f64]) -> Vec<f64> {
        let mut p = template.to_vec();
        for i in 0..self.dim() {
            let u = u[i].clamp(0.0, 1.0);
            p[self.index[i]] = if self.log[i] {
                (self.lo[i] * (self.hi[i] / self.lo[i]).powf(u)).clamp(self.lo[i], self.hi[i])
            } else {
                (self.lo[i] + u * (self.hi[i] - self.lo[i])).clamp(self.lo[i], self.hi[i])
            };
        }
        p
    }

    /// Largest unit-space coordinate difference of two physical vectors (how basins are
    /// told apart).
    pub fn distance(&self, a: &[f64], b: &[f64]) -> f64 {
        self.to_unit(a)
            .iter()
            .zip(self.to_unit(b))
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// The reference's scale ratio `max(hi - lo) / min(hi - lo)` over the optimiser
    /// variables with a positive range.
    pub fn scale_ratio(lower: &[f64], upper: &[f64]) -> f64 {
        let widths: Vec<f64> = lower
            .iter()
            .zip(upper)
            .map(|(l, u)| u - l)
            .filter(|w| *w > 0.0 && w.is_finite())
            .collect();
        let max = widths.iter().copied().fold(0.0, f64::max);
        let min = widths.iter().copied().fold(f64::INFINITY, f64::min);
        if min.is_finite() && min > 0.0 {
            max / min
        } else {
            1.0
        }
    }
}
