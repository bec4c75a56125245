//! The analysis mode and its accepted spellings.
//!
//! `static`, `static_isotropic`, `static_anisotropic`, `isotropic`, `anisotropic`
//! → [`AnalysisMode::Static`]; `laminar_flow`, `laminar-flow`, `laminar flow`,
//! `laminarflow`, `laminar`, `flow` → [`AnalysisMode::LaminarFlow`] (case-insensitive).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Which physical model is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AnalysisMode {
    /// 3 physical parameters (D0, alpha, D_offset).
    #[default]
    Static,
    /// 7 physical parameters (adds gamma_dot_t0, beta, gamma_dot_t_offset, phi0).
    LaminarFlow,
}

impl AnalysisMode {
    /// Canonical spelling (`"static"` / `"laminar_flow"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisMode::Static => "static",
            AnalysisMode::LaminarFlow => "laminar_flow",
        }
    }

    /// Number of physical parameters (3 or 7).
    pub fn n_physical(self) -> usize {
        crate::params::physical_names(self).len()
    }

    /// Physical parameter names in canonical order.
    pub fn physical_names(self) -> &'static [&'static str] {
        crate::params::physical_names(self)
    }
}

impl fmt::Display for AnalysisMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AnalysisMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match norm.as_str() {
            "static" | "static_isotropic" | "static_anisotropic" | "isotropic" | "anisotropic" => {
                Ok(AnalysisMode::Static)
            }
            "laminar_flow" | "laminarflow" | "laminar" | "flow" => Ok(AnalysisMode::LaminarFlow),
            _ => Err(format!(
                "unknown analysis mode \"{s}\"; expected \"static\" or \"laminar_flow\""
            )),
        }
    }
}

impl Serialize for AnalysisMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AnalysisMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
