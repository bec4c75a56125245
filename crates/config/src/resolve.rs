//! Resolved parameter views: effective bounds, priors and initial values
//! (spec 02 §2.2-2.4), computed from the typed [`Config`].
//!
//! * Bounds: the defaults of 02 §2.2 overridden per name by `parameter_space.bounds`
//!   (`min`/`max` each optional; aliases already mapped).
//! * Priors (CMC `ParameterSpace.from_config`): `prior_mu` default mid-range,
//!   `prior_sigma` default range/4, `type` default `TruncatedNormal`.
//! * Initial values (`ConfigManager.get_initial_parameters`): configured values, or the
//!   bound midpoints when `values` is null/missing (D0 → 50050, alpha → 0);
//!   `fixed_parameters` are split off; `active_parameters` restricts the list.

use crate::config::Config;
use crate::params::{self, SCALING_PARAMS};
use crate::sections::AnalysisMode;
use std::collections::BTreeMap;

/// `[min, max]` of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Bound {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

impl Bound {
    /// `(min + max) / 2`.
    pub fn midpoint(&self) -> f64 {
        0.5 * (self.min + self.max)
    }

    /// True when `min ≤ x ≤ max`.
    pub fn contains(&self, x: f64) -> bool {
        self.min <= x && x <= self.max
    }
}

/// Effective bounds of `contrast`, `offset` and the mode's physical parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParameterBounds {
    /// `(name, bound)` in the order contrast, offset, physical parameters.
    pub entries: Vec<(String, Bound)>,
}

impl ParameterBounds {
    /// Bound of `name` (aliases and `contrast_i`/`offset_i` accepted).
    pub fn get(&self, name: &str) -> Option<Bound> {
        let n = params::canonical_name(name);
        let n = params::per_angle_index(n).map_or(n, |(b, _)| b);
        self.entries.iter().find(|(k, _)| k == n).map(|(_, b)| *b)
    }

    /// Bounds of the physical parameters, canonical order.
    pub fn physical(&self, mode: AnalysisMode) -> Vec<Bound> {
        mode.physical_names()
            .iter()
            .filter_map(|n| self.get(n))
            .collect()
    }
}

/// A prior of one parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prior {
    /// Parameter name.
    pub name: String,
    /// Normal | TruncatedNormal | Uniform | LogNormal | BetaScaled.
    pub dist: String,
    /// Location.
    pub mu: f64,
    /// Scale.
    pub sigma: f64,
    /// Support / truncation.
    pub bound: Bound,
}

/// Resolved initial values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InitialValues {
    /// Names of the free parameters (after `active_parameters` / `fixed_parameters`).
    pub names: Vec<String>,
    /// Their start values.
    pub values: Vec<f64>,
    /// Fixed parameters and their values.
    pub fixed: BTreeMap<String, f64>,
    /// True when the values are bound midpoints (`values: null`).
    pub from_midpoints: bool,
}

impl InitialValues {
    /// Value of `name` (free or fixed).
    pub fn get(&self, name: &str) -> Option<f64> {
        let n = params::canonical_name(name);
        self.names
            .iter()
            .position(|k| k == n)
            .map(|i| self.values[i])
            .or_else(|| self.fixed.get(n).copied())
    }
}

impl Config {
    /// Effective bounds (02 §2.2 defaults overridden by `parameter_space.bounds`).
    pub fn parameter_bounds(&self) -> ParameterBounds {
        let names = SCALING_PARAMS
            .iter()
            .chain(self.analysis_mode.physical_names());
        let entries = names
            .map(|n| {
                let (mut min, mut max) = params::default_bounds(n).unwrap_or((0.0, 1.0));
                for b in self.parameter_space.bounds.iter().filter(|b| b.name == *n) {
                    min = b.min.unwrap_or(min);
                    max = b.max.unwrap_or(max);
                }
                (n.to_string(), Bound { min, max })
            })
            .collect();
        ParameterBounds { entries }
    }

    /// Priors of contrast, offset and the physical parameters (CMC).
    pub fn priors(&self) -> Vec<Prior> {
        self.parameter_bounds()
            .entries
            .into_iter()
            .map(|(name, bound)| {
                let spec = self.parameter_space.bounds.iter().find(|b| b.name == name);
                let width = bound.max - bound.min;
                Prior {
                    dist: spec
                        .and_then(|s| s.r#type.clone())
                        .unwrap_or_else(|| "TruncatedNormal".into()),
                    mu: spec.and_then(|s| s.prior_mu).unwrap_or(bound.midpoint()),
                    sigma: spec.and_then(|s| s.prior_sigma).unwrap_or(width / 4.0),
                    name,
                    bound,
                }
            })
            .collect()
    }

    /// Initial physical parameter values (02 §2.4, ConfigManager semantics).
    ///
    /// Names are `initial_parameters.parameter_names` (else the mode's physical names);
    /// values are `initial_parameters.values` or, when null/missing/of the wrong length,
    /// the bound midpoints. Fixed parameters are moved to `fixed` (with their explicit
    /// value, else their initial value); `active_parameters` restricts the free list.
    pub fn initial_values(&self) -> InitialValues {
        let ip = &self.initial_parameters;
        let bounds = self.parameter_bounds();
        let names: Vec<String> = match &ip.parameter_names {
            Some(n) if !n.is_empty() => n.clone(),
            _ => self
                .analysis_mode
                .physical_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let midpoint = |n: &str| {
            bounds
                .get(n)
                .or_else(|| params::default_bounds(n).map(|(a, b)| Bound { min: a, max: b }))
                .map_or(0.0, |b| b.midpoint())
        };
        let (values, from_midpoints) = match &ip.values {
            Some(v) if v.len() == names.len() => (v.clone(), false),
            _ => (names.iter().map(|n| midpoint(n)).collect(), true),
        };
        let fixed_names = ip
            .fixed_parameters
            .as_ref()
            .map(|f| f.names())
            .unwrap_or_default();
        let mut out = InitialValues {
            names: Vec::new(),
            values: Vec::new(),
            fixed: BTreeMap::new(),
            from_midpoints,
        };
        for (n, v) in names.into_iter().zip(values) {
            if fixed_names.contains(&n) {
                let fv = ip
                    .fixed_parameters
                    .as_ref()
                    .and_then(|f| f.value(&n))
                    .unwrap_or(v);
                out.fixed.insert(n, fv);
                continue;
            }
            if let Some(active) = &ip.active_parameters
                && !active.contains(&n)
            {
                continue;
            }
            out.names.push(n);
            out.values.push(v);
        }
        // Fixed parameters named only in fixed_parameters.
        if let Some(f) = &ip.fixed_parameters {
            for n in f.names() {
                if !out.fixed.contains_key(&n)
                    && let Some(v) = f.value(&n)
                {
                    out.fixed.insert(n, v);
                }
            }
        }
        out
    }

    /// Configured parameter names: `initial_parameters.parameter_names`, else the mode's.
    fn configured_names(&self) -> Vec<String> {
        match &self.initial_parameters.parameter_names {
            Some(n) if !n.is_empty() => n.clone(),
            _ => self
                .analysis_mode
                .physical_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// Start values of all physical parameters of the mode, canonical order: an explicit
    /// `fixed_parameters` value, else the configured value (whatever
    /// `active_parameters` says: NLSQ fits every physical parameter), else the bound
    /// midpoint.
    pub fn initial_physical(&self) -> Vec<f64> {
        let ip = &self.initial_parameters;
        let bounds = self.parameter_bounds();
        let names = self.configured_names();
        let configured: BTreeMap<String, f64> = match &ip.values {
            Some(v) if v.len() == names.len() => names.into_iter().zip(v.iter().copied()).collect(),
            _ => BTreeMap::new(),
        };
        self.analysis_mode
            .physical_names()
            .iter()
            .map(|n| {
                ip.fixed_parameters
                    .as_ref()
                    .and_then(|f| f.value(n))
                    .or_else(|| configured.get(*n).copied())
                    .unwrap_or_else(|| bounds.get(n).map_or(0.0, |b| b.midpoint()))
            })
            .collect()
    }

    /// Switch the analysis mode (CLI `--static-mode` / `--laminar-flow`), keeping the
    /// configured start values attached to their names.
    pub fn override_mode(&mut self, mode: AnalysisMode) {
        if mode == self.analysis_mode {
            return;
        }
        if self.initial_parameters.parameter_names.is_none()
            && self.initial_parameters.values.is_some()
        {
            self.initial_parameters.parameter_names = Some(self.configured_names());
        }
        self.analysis_mode = mode;
    }

    /// Set the start value of physical parameter `name` (CLI `--initial-*`): every
    /// physical parameter of the mode becomes explicit (configured value or midpoint),
    /// then `name` takes `value`. Returns false when the mode has no such parameter.
    pub fn override_initial(&mut self, name: &str, value: f64) -> bool {
        let names: Vec<String> = self
            .analysis_mode
            .physical_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let Some(k) = names.iter().position(|n| n == params::canonical_name(name)) else {
            return false;
        };
        let mut values = self.initial_physical();
        values[k] = value;
        self.initial_parameters.parameter_names = Some(names);
        self.initial_parameters.values = Some(values);
        true
    }

    /// Per-angle contrast and offset start values for `n_phi` angles, when configured
    /// (`initial_parameters.per_angle_scaling`). Length-1 lists are replicated; any
    /// other length must equal `n_phi`. `Ok(None)` when not configured (estimate from
    /// data). A list given for only one of the two returns that one and `None` for the
    /// other.
    #[allow(clippy::type_complexity)]
    pub fn per_angle_scaling(
        &self,
        n_phi: usize,
    ) -> Result<(Option<Vec<f64>>, Option<Vec<f64>>), String> {
        let pas = &self.initial_parameters.per_angle_scaling;
        let expand = |name: &str, v: &Option<Vec<f64>>| -> Result<Option<Vec<f64>>, String> {
            match v {
                None => Ok(None),
                Some(v) if v.len() == 1 => Ok(Some(vec![v[0]; n_phi])),
                Some(v) if v.len() == n_phi => Ok(Some(v.clone())),
                Some(v) => Err(format!(
                    "initial_parameters.per_angle_scaling.{name} has {} values; expected 1 or {n_phi} (one per angle)",
                    v.len()
                )),
            }
        };
        Ok((
            expand("contrast", &pas.contrast)?,
            expand("offset", &pas.offset)?,
        ))
    }
}
