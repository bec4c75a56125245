//! Parameter names, canonical order, aliases, bounds and defaults (spec 02 §2.1-2.4).
//!
//! Physical parameters come in a fixed order: static uses the first three, laminar flow
//! all seven. Scaling parameters (`contrast`, `offset`) are per angle and handled by
//! [`crate::scaling`].

use std::fmt;
use std::str::FromStr;

/// Which physical model is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AnalysisMode {
    /// Anomalous diffusion only: `D0, alpha, D_offset`.
    #[default]
    Static,
    /// Diffusion plus laminar shear: adds `gamma_dot_t0, beta, gamma_dot_t_offset, phi0`.
    LaminarFlow,
}

impl AnalysisMode {
    /// Number of physical parameters (3 or 7).
    pub fn n_physical(self) -> usize {
        match self {
            AnalysisMode::Static => 3,
            AnalysisMode::LaminarFlow => 7,
        }
    }

    /// Canonical physical parameter names in order.
    pub fn physical_names(self) -> &'static [&'static str] {
        &PHYSICAL_NAMES[..self.n_physical()]
    }

    /// The mode implied by a parameter vector length (3 → static, 7 → laminar).
    pub fn from_n_physical(n: usize) -> Option<Self> {
        match n {
            3 => Some(AnalysisMode::Static),
            7 => Some(AnalysisMode::LaminarFlow),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisMode::Static => "static",
            AnalysisMode::LaminarFlow => "laminar_flow",
        }
    }
}

impl fmt::Display for AnalysisMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AnalysisMode {
    type Err = String;
    /// Accepts the reference's spellings: `static`, `static_isotropic`,
    /// `static_anisotropic`, `isotropic`, `anisotropic`, `laminar_flow`, `laminar`,
    /// `flow`, `laminarflow` (case-insensitive, `-`/space treated as `_`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match norm.as_str() {
            "static" | "static_isotropic" | "static_anisotropic" | "isotropic" | "anisotropic" => {
                Ok(AnalysisMode::Static)
            }
            "laminar_flow" | "laminar" | "flow" | "laminarflow" => Ok(AnalysisMode::LaminarFlow),
            _ => Err(format!(
                "unknown analysis mode \"{s}\"; expected \"static\" or \"laminar_flow\""
            )),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AnalysisMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AnalysisMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Canonical physical parameter names, in vector order.
pub const PHYSICAL_NAMES: [&str; 7] = [
    "D0",
    "alpha",
    "D_offset",
    "gamma_dot_t0",
    "beta",
    "gamma_dot_t_offset",
    "phi0",
];

/// Map an accepted alias to its canonical name (unknown names pass through unchanged).
pub fn canonical_name(name: &str) -> &str {
    match name {
        "gamma_dot_0" => "gamma_dot_t0",
        "gamma_dot_offset" => "gamma_dot_t_offset",
        "phi_0" => "phi0",
        other => other,
    }
}

/// Index of a (possibly aliased) physical parameter in the canonical order.
pub fn physical_index(name: &str) -> Option<usize> {
    let c = canonical_name(name);
    PHYSICAL_NAMES.iter().position(|&n| n == c)
}

/// Closed interval `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
}

impl Bounds {
    pub const fn new(min: f64, max: f64) -> Self {
        Bounds { min, max }
    }
    pub fn mid(&self) -> f64 {
        0.5 * (self.min + self.max)
    }
    pub fn width(&self) -> f64 {
        self.max - self.min
    }
    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }
    pub fn clip(&self, v: f64) -> f64 {
        v.clamp(self.min, self.max)
    }
}

/// Default bounds (ParameterManager table, spec 02 §2.2), physical order.
pub const DEFAULT_PHYSICAL_BOUNDS: [Bounds; 7] = [
    Bounds::new(1e2, 1e5),
    Bounds::new(-2.0, 2.0),
    Bounds::new(-1e5, 1e5),
    Bounds::new(1e-6, 0.5),
    Bounds::new(-2.0, 2.0),
    Bounds::new(-0.1, 0.1),
    Bounds::new(-10.0, 10.0),
];
/// Default contrast bounds.
pub const DEFAULT_CONTRAST_BOUNDS: Bounds = Bounds::new(0.0, 1.0);
/// Default offset bounds.
pub const DEFAULT_OFFSET_BOUNDS: Bounds = Bounds::new(0.5, 1.5);

/// NLSQ defaults when the config has no initial values (spec 02 §2.4).
pub const DEFAULT_PHYSICAL_INITIAL: [f64; 7] = [1e4, -1.5, 0.0, 1e-3, 0.0, 0.0, 0.0];

/// Default bounds for any named parameter (physical, `contrast`, `offset`).
pub fn default_bounds(name: &str) -> Option<Bounds> {
    match canonical_name(name) {
        "contrast" => Some(DEFAULT_CONTRAST_BOUNDS),
        "offset" => Some(DEFAULT_OFFSET_BOUNDS),
        n => physical_index(n).map(|i| DEFAULT_PHYSICAL_BOUNDS[i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        assert_eq!(
            AnalysisMode::Static.physical_names(),
            ["D0", "alpha", "D_offset"]
        );
        assert_eq!(physical_index("gamma_dot_0"), Some(3));
        assert_eq!(physical_index("phi_0"), Some(6));
        assert_eq!(physical_index("contrast"), None);
        assert_eq!("static_isotropic".parse(), Ok(AnalysisMode::Static));
        assert_eq!("Laminar-Flow".parse(), Ok(AnalysisMode::LaminarFlow));
        assert!("shear".parse::<AnalysisMode>().is_err());
    }

    #[test]
    fn midpoints() {
        assert_eq!(default_bounds("D0").unwrap().mid(), 50050.0);
        assert_eq!(default_bounds("alpha").unwrap().mid(), 0.0);
        assert_eq!(default_bounds("gamma_dot_0").unwrap().mid(), 0.2500005);
        assert_eq!(default_bounds("offset").unwrap().mid(), 1.0);
    }
}
