//! Parameter names, canonical order, aliases, bounds, priors and defaults
//!, and the one parameter table every consumer reads:
//! [`ParameterSpace`].
//!
//! Physical parameters come in a fixed order: static uses the first three, laminar flow
//! all seven. Scaling parameters (`contrast`, `offset`) are per angle and handled by
//! [`crate::scaling`]; the table holds their (scalar) bounds and priors.

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
    /// Every spelling [`AnalysisMode::from_str`] accepts (case-insensitive; `-` and
    /// spaces read as `_`).
    pub const ACCEPTED: &'static [&'static str] = &[
        "static",
        "static_isotropic",
        "static_anisotropic",
        "isotropic",
        "anisotropic",
        "laminar_flow",
        "laminar",
        "flow",
        "laminarflow",
    ];

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

    /// Canonical name: `static` or `laminar_flow`.
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bounds {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

impl Bounds {
    /// `[min, max]`.
    pub const fn new(min: f64, max: f64) -> Self {
        Bounds { min, max }
    }
    /// Midpoint.
    pub fn mid(&self) -> f64 {
        0.5 * (self.min + self.max)
    }
    /// `max - min`.
    pub fn width(&self) -> f64 {
        self.max - self.min
    }
    /// `min <= v <= max`.
    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }
    /// `v` clamped into the interval.
    pub fn clip(&self, v: f64) -> f64 {
        v.clamp(self.min, self.max)
    }
}

/// Default bounds (ParameterManager table), physical order.
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

/// NLSQ defaults when the config has no initial values.
pub const DEFAULT_PHYSICAL_INITIAL: [f64; 7] = [1e4, -1.5, 0.0, 1e-3, 0.0, 0.0, 0.0];

/// Default bounds for any named parameter (physical, `contrast`, `offset`).
pub fn default_bounds(name: &str) -> Option<Bounds> {
    match canonical_name(name) {
        "contrast" => Some(DEFAULT_CONTRAST_BOUNDS),
        "offset" => Some(DEFAULT_OFFSET_BOUNDS),
        n => physical_index(n).map(|i| DEFAULT_PHYSICAL_BOUNDS[i]),
    }
}

/// Prior distribution family: the values `parameter_space.bounds[*].type` accepts
/// (Normal, TruncatedNormal, Uniform, LogNormal, BetaScaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PriorKind {
    /// Normal(mu, sigma), unbounded.
    Normal,
    /// Normal(mu, sigma) truncated to the parameter's bounds (the default).
    #[default]
    TruncatedNormal,
    /// Uniform over the parameter's bounds.
    Uniform,
    /// LogNormal(mu, sigma) (mu, sigma of the logarithm, as configured).
    LogNormal,
    /// Beta distribution scaled to the bounds with mean mu and standard deviation sigma.
    BetaScaled,
}

impl PriorKind {
    /// Every kind, in declaration order.
    pub const ALL: [PriorKind; 5] = [
        PriorKind::Normal,
        PriorKind::TruncatedNormal,
        PriorKind::Uniform,
        PriorKind::LogNormal,
        PriorKind::BetaScaled,
    ];

    /// Every spelling [`PriorKind::from_str`] accepts: the canonical names (matched
    /// case-insensitively, `_` ignored, so `truncated_normal` also reads).
    pub const ACCEPTED: &'static [&'static str] = &[
        "Normal",
        "TruncatedNormal",
        "Uniform",
        "LogNormal",
        "BetaScaled",
    ];

    /// Canonical name (as the reference writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            PriorKind::Normal => "Normal",
            PriorKind::TruncatedNormal => "TruncatedNormal",
            PriorKind::Uniform => "Uniform",
            PriorKind::LogNormal => "LogNormal",
            PriorKind::BetaScaled => "BetaScaled",
        }
    }
}

impl fmt::Display for PriorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().replace('_', "").to_ascii_lowercase();
        PriorKind::ALL
            .into_iter()
            .find(|k| k.as_str().to_ascii_lowercase() == norm)
            .ok_or_else(|| {
                format!(
                    "unknown prior type \"{s}\"; expected one of {}",
                    PriorKind::ACCEPTED.join(", ")
                )
            })
    }
}

/// A parameter's prior. Bounded kinds (truncated normal, uniform, scaled beta) take
/// their support from the parameter's [`Bounds`], which the table keeps beside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// Uniform over the bounds.
    Uniform,
    /// Normal(mu, sigma).
    Normal {
        /// Location.
        mu: f64,
        /// Scale.
        sigma: f64,
    },
    /// Normal(mu, sigma) truncated to the bounds.
    TruncatedNormal {
        /// Location.
        mu: f64,
        /// Scale.
        sigma: f64,
    },
    /// LogNormal(mu, sigma).
    LogNormal {
        /// Location.
        mu: f64,
        /// Scale.
        sigma: f64,
    },
    /// Beta on the bounds with mean mu and standard deviation sigma.
    BetaScaled {
        /// Location.
        mu: f64,
        /// Scale.
        sigma: f64,
    },
}

impl Prior {
    /// A prior of `kind` with location `mu` and scale `sigma` (ignored for uniform).
    pub fn new(kind: PriorKind, mu: f64, sigma: f64) -> Self {
        match kind {
            PriorKind::Uniform => Prior::Uniform,
            PriorKind::Normal => Prior::Normal { mu, sigma },
            PriorKind::TruncatedNormal => Prior::TruncatedNormal { mu, sigma },
            PriorKind::LogNormal => Prior::LogNormal { mu, sigma },
            PriorKind::BetaScaled => Prior::BetaScaled { mu, sigma },
        }
    }

    /// The default of `ParameterSpace.from_config` for a parameter with
    /// these bounds: TruncatedNormal(mid-range, range/4).
    pub fn default_for(bounds: Bounds) -> Self {
        Prior::TruncatedNormal {
            mu: bounds.mid(),
            sigma: bounds.width() / 4.0,
        }
    }

    /// The distribution family.
    pub fn kind(&self) -> PriorKind {
        match self {
            Prior::Uniform => PriorKind::Uniform,
            Prior::Normal { .. } => PriorKind::Normal,
            Prior::TruncatedNormal { .. } => PriorKind::TruncatedNormal,
            Prior::LogNormal { .. } => PriorKind::LogNormal,
            Prior::BetaScaled { .. } => PriorKind::BetaScaled,
        }
    }

    /// `(mu, sigma)`; `None` for uniform.
    pub fn location_scale(&self) -> Option<(f64, f64)> {
        match *self {
            Prior::Uniform => None,
            Prior::Normal { mu, sigma }
            | Prior::TruncatedNormal { mu, sigma }
            | Prior::LogNormal { mu, sigma }
            | Prior::BetaScaled { mu, sigma } => Some((mu, sigma)),
        }
    }

    /// Location (`None` for uniform).
    pub fn mu(&self) -> Option<f64> {
        self.location_scale().map(|(m, _)| m)
    }

    /// Scale (`None` for uniform).
    pub fn sigma(&self) -> Option<f64> {
        self.location_scale().map(|(_, s)| s)
    }
}

/// One row of the [`ParameterSpace`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ParameterSpec {
    /// Canonical name (`contrast`, `offset` or a physical name).
    pub name: String,
    /// Effective bounds.
    pub bounds: Bounds,
    /// Prior (CMC).
    pub prior: Prior,
    /// Start value of a fit. For `contrast`/`offset` the bound midpoint, the fallback
    /// the per-angle estimates use when an angle has too few points.
    pub start: f64,
    /// Held at `start` (physical parameters only).
    pub fixed: bool,
}

impl ParameterSpec {
    /// A row with default prior, start at the bound midpoint, not fixed.
    pub fn new(name: &str, bounds: Bounds) -> Self {
        ParameterSpec {
            name: name.to_string(),
            bounds,
            prior: Prior::default_for(bounds),
            start: bounds.mid(),
            fixed: false,
        }
    }
}

/// The parameter table of one analysis mode: bounds, priors, start values and fixed
/// flags of `contrast`, `offset` and the mode's physical parameters, in that order
/// (physical ones canonical). Every consumer (NLSQ bounds and starts, CMC priors,
/// reports) reads this one table; the configuration builds it
/// (`homodyne_config::Config::parameter_space`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawSpace"))]
pub struct ParameterSpace {
    mode: AnalysisMode,
    /// `contrast`, `offset`, then the physical parameters in canonical order.
    entries: Vec<ParameterSpec>,
    /// True when the physical start values are the bound midpoints (`values: null`).
    from_midpoints: bool,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawSpace {
    mode: AnalysisMode,
    entries: Vec<ParameterSpec>,
    from_midpoints: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<RawSpace> for ParameterSpace {
    type Error = String;
    fn try_from(r: RawSpace) -> Result<Self, String> {
        let space = ParameterSpace {
            mode: r.mode,
            entries: r.entries,
            from_midpoints: r.from_midpoints,
        };
        let want: Vec<&str> = SCALING_NAMES
            .iter()
            .chain(r.mode.physical_names())
            .copied()
            .collect();
        let got: Vec<&str> = space.entries.iter().map(|e| e.name.as_str()).collect();
        if got != want {
            return Err(format!(
                "parameter space entries {got:?}; {} needs {want:?}",
                r.mode
            ));
        }
        Ok(space)
    }
}

/// Names of the scaling parameters, in table order.
pub const SCALING_NAMES: [&str; 2] = ["contrast", "offset"];

impl ParameterSpace {
    /// The code defaults of `mode`: default bounds, TruncatedNormal
    /// (mid-range, range/4) priors, start values at the bound midpoints, nothing fixed.
    pub fn defaults(mode: AnalysisMode) -> Self {
        let entries = SCALING_NAMES
            .iter()
            .chain(mode.physical_names())
            .map(|n| ParameterSpec::new(n, default_bounds(n).expect("known name")))
            .collect();
        ParameterSpace {
            mode,
            entries,
            from_midpoints: true,
        }
    }

    /// The analysis mode.
    pub fn mode(&self) -> AnalysisMode {
        self.mode
    }

    /// Number of rows (2 + number of physical parameters).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true (contrast and offset are always present).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every row: contrast, offset, physical parameters.
    pub fn entries(&self) -> &[ParameterSpec] {
        &self.entries
    }

    /// The physical rows, canonical order.
    pub fn physical(&self) -> &[ParameterSpec] {
        &self.entries[2..]
    }

    /// The `contrast` row.
    pub fn contrast(&self) -> &ParameterSpec {
        &self.entries[0]
    }

    /// The `offset` row.
    pub fn offset(&self) -> &ParameterSpec {
        &self.entries[1]
    }

    /// Physical parameter names, canonical order.
    pub fn physical_names(&self) -> &'static [&'static str] {
        self.mode.physical_names()
    }

    /// Row of `name` (aliases and per-angle `contrast_i`/`offset_i` accepted).
    pub fn spec(&self, name: &str) -> Option<&ParameterSpec> {
        let i = self.index(name)?;
        Some(&self.entries[i])
    }

    /// Mutable row of `name` (see [`ParameterSpace::spec`]).
    pub fn spec_mut(&mut self, name: &str) -> Option<&mut ParameterSpec> {
        let i = self.index(name)?;
        Some(&mut self.entries[i])
    }

    fn index(&self, name: &str) -> Option<usize> {
        let n = scaling_base(canonical_name(name));
        self.entries.iter().position(|e| e.name == n)
    }

    /// Bounds of `name` (aliases and `contrast_i`/`offset_i` accepted).
    pub fn get(&self, name: &str) -> Option<Bounds> {
        self.spec(name).map(|e| e.bounds)
    }

    /// Bounds of the physical parameters, canonical order.
    pub fn physical_bounds(&self) -> Vec<Bounds> {
        self.physical().iter().map(|e| e.bounds).collect()
    }

    /// Start values of the physical parameters, canonical order (fixed ones at their
    /// fixed value).
    pub fn start_values(&self) -> Vec<f64> {
        self.physical().iter().map(|e| e.start).collect()
    }

    /// `fixed[k]`: physical parameter k is held at its start value.
    pub fn fixed_mask(&self) -> Vec<bool> {
        self.physical().iter().map(|e| e.fixed).collect()
    }

    /// True when the physical start values are the bound midpoints (`values: null`).
    pub fn from_midpoints(&self) -> bool {
        self.from_midpoints
    }

    /// Mark whether the start values came from the bound midpoints.
    pub fn set_from_midpoints(&mut self, v: bool) {
        self.from_midpoints = v;
    }

    /// Priors of every row, in table order.
    pub fn priors(&self) -> impl Iterator<Item = (&str, Prior)> {
        self.entries.iter().map(|e| (e.name.as_str(), e.prior))
    }

    /// Every bound finite with `min < max`, every start finite; the first offender's
    /// message otherwise.
    pub fn validate(&self) -> Result<(), String> {
        for e in &self.entries {
            let b = e.bounds;
            if !(b.min.is_finite() && b.max.is_finite() && b.min < b.max) {
                return Err(format!(
                    "{}: bounds [{}, {}] must be finite with min < max",
                    e.name, b.min, b.max
                ));
            }
            if !e.start.is_finite() {
                return Err(format!("{}: start value {} is not finite", e.name, e.start));
            }
        }
        Ok(())
    }
}

/// `contrast_3` → `contrast`, anything else unchanged.
fn scaling_base(name: &str) -> &str {
    for base in SCALING_NAMES {
        if let Some(rest) = name.strip_prefix(base).and_then(|r| r.strip_prefix('_'))
            && rest.parse::<usize>().is_ok()
        {
            return base;
        }
    }
    name
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{Prior, PriorKind};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    impl Serialize for PriorKind {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(self.as_str())
        }
    }

    impl<'de> Deserialize<'de> for PriorKind {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            s.parse().map_err(serde::de::Error::custom)
        }
    }

    /// `{type, mu, sigma}` (the names of `parameter_space.bounds[*]`: `type`).
    #[derive(Serialize, Deserialize)]
    struct Repr {
        r#type: PriorKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mu: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sigma: Option<f64>,
    }

    impl Serialize for Prior {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            Repr {
                r#type: self.kind(),
                mu: self.mu(),
                sigma: self.sigma(),
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Prior {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let r = Repr::deserialize(d)?;
            match (r.r#type, r.mu, r.sigma) {
                (PriorKind::Uniform, _, _) => Ok(Prior::Uniform),
                (k, Some(mu), Some(sigma)) => Ok(Prior::new(k, mu, sigma)),
                (k, _, _) => Err(serde::de::Error::custom(format!(
                    "a {k} prior needs mu and sigma"
                ))),
            }
        }
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
    fn accepted_spellings_parse() {
        for s in AnalysisMode::ACCEPTED {
            assert!(s.parse::<AnalysisMode>().is_ok(), "{s}");
        }
        for m in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
            assert!(AnalysisMode::ACCEPTED.contains(&m.as_str()));
        }
        for s in PriorKind::ACCEPTED {
            assert_eq!(s.parse::<PriorKind>().unwrap().as_str(), *s);
        }
        for k in PriorKind::ALL {
            assert!(PriorKind::ACCEPTED.contains(&k.as_str()));
        }
        assert_eq!(
            "truncated_normal".parse::<PriorKind>(),
            Ok(PriorKind::TruncatedNormal)
        );
        assert!("Cauchy".parse::<PriorKind>().is_err());
    }

    #[test]
    fn space_defaults() {
        let s = ParameterSpace::defaults(AnalysisMode::LaminarFlow);
        assert_eq!(s.len(), 9);
        assert_eq!(s.physical_bounds(), DEFAULT_PHYSICAL_BOUNDS.to_vec());
        assert_eq!(s.get("contrast_4"), Some(DEFAULT_CONTRAST_BOUNDS));
        assert_eq!(s.get("phi_0"), Some(DEFAULT_PHYSICAL_BOUNDS[6]));
        assert_eq!(s.start_values()[0], 50050.0);
        assert_eq!(s.fixed_mask(), vec![false; 7]);
        assert!(s.from_midpoints());
        assert_eq!(
            s.spec("offset").unwrap().prior,
            Prior::TruncatedNormal {
                mu: 1.0,
                sigma: 0.25
            }
        );
        assert!(s.validate().is_ok());
        let mut s = ParameterSpace::defaults(AnalysisMode::Static);
        assert_eq!(s.physical_names(), ["D0", "alpha", "D_offset"]);
        s.spec_mut("D0").unwrap().bounds = Bounds::new(5.0, 1.0);
        assert!(s.validate().is_err());
        assert_eq!(Prior::new(PriorKind::Uniform, 1.0, 2.0), Prior::Uniform);
        assert_eq!(Prior::Uniform.mu(), None);
    }

    #[test]
    fn midpoints() {
        assert_eq!(default_bounds("D0").unwrap().mid(), 50050.0);
        assert_eq!(default_bounds("alpha").unwrap().mid(), 0.0);
        assert_eq!(default_bounds("gamma_dot_0").unwrap().mid(), 0.2500005);
        assert_eq!(default_bounds("offset").unwrap().mid(), 1.0);
    }
}
