//! Resolved parameter views, computed from the typed [`Config`]: one table, the model's
//! [`ParameterSpace`], built by [`Config::parameter_space`], so the fit, the priors and
//! the reports all read the same bounds and start values.
//!
//! * Bounds: the model's built-in default bounds, overridden per name by
//!   `parameter_space.bounds` (`min`/`max` each optional; aliases already mapped).
//! * Priors (as the original's CMC reads them): `prior_mu` default mid-range,
//!   `prior_sigma` default range/4, `type` default `TruncatedNormal`.
//! * Start values (as the original's configuration manager reads them): an explicit
//!   `fixed_parameters` value, else the configured value, else the bound midpoint
//!   (`values` null/missing: D0 → 50050, alpha → 0); `fixed_parameters` set the fixed
//!   flags. [`InitialValues`] is the CMC view of the same table with
//!   `active_parameters` applied.

use crate::config::Config;
use crate::params;
use homodyne_model::params::{AnalysisMode, ParameterSpace, Prior, PriorKind};
use std::collections::BTreeMap;

/// `[min, max]` of one parameter: the model's [`homodyne_model::Bounds`].
pub type Bound = homodyne_model::Bounds;

/// Effective bounds (and priors, start values) of `contrast`, `offset` and the mode's
/// physical parameters: the model's [`ParameterSpace`]. [`ParameterSpace::get`] gives the
/// bounds of a name.
pub type ParameterBounds = ParameterSpace;

/// The CMC view of the start values: the free parameters after
/// `fixed_parameters` and `active_parameters`, and the fixed ones. Built from
/// [`Config::parameter_space`].
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
    /// The parameter table of the configured mode: bounds (the model's defaults
    /// overridden by `parameter_space.bounds`), priors (`type`/`prior_mu`/`prior_sigma`, defaults
    /// TruncatedNormal, mid-range, range/4), start values (explicit fixed value, else
    /// `initial_parameters.values`, else the bound midpoint) and fixed flags
    /// (`fixed_parameters`). A prior type that does not parse (an error of the
    /// validation) reads as the default.
    pub fn parameter_space(&self) -> ParameterSpace {
        let mut space = ParameterSpace::defaults(self.analysis_mode);
        let names: Vec<String> = space.entries().iter().map(|e| e.name.clone()).collect();
        for name in &names {
            let spec = space.spec_mut(name).expect("name from the table");
            let entries = || {
                self.parameter_space
                    .bounds
                    .iter()
                    .filter(move |b| b.name == *name)
            };
            for b in entries() {
                spec.bounds.min = b.min.unwrap_or(spec.bounds.min);
                spec.bounds.max = b.max.unwrap_or(spec.bounds.max);
            }
            let (mut kind, mut mu, mut sigma) = (PriorKind::default(), None, None);
            for b in entries() {
                if let Some(k) = b.r#type.as_deref().and_then(|t| t.parse().ok()) {
                    kind = k;
                }
                mu = b.prior_mu.or(mu);
                sigma = b.prior_sigma.or(sigma);
            }
            let bounds = spec.bounds;
            spec.prior = Prior::new(
                kind,
                mu.unwrap_or(bounds.mid()),
                sigma.unwrap_or(bounds.width() / 4.0),
            );
            spec.start = bounds.mid();
        }
        let ip = &self.initial_parameters;
        let configured = self.configured_values();
        space.set_from_midpoints(configured.is_none());
        let configured = configured.unwrap_or_default();
        let fixed_names = ip
            .fixed_parameters
            .as_ref()
            .map(|f| f.names())
            .unwrap_or_default();
        for name in &names {
            let physical = params::LAMINAR_PARAMS.contains(&name.as_str());
            let spec = space.spec_mut(name).expect("name from the table");
            let fixed_value = ip.fixed_parameters.as_ref().and_then(|f| f.value(name));
            if let Some(v) = fixed_value.or_else(|| configured.get(name).copied()) {
                spec.start = v;
            }
            spec.fixed = physical && fixed_names.contains(name);
        }
        space
    }

    /// Effective bounds: the [`Config::parameter_space`] table (its
    /// [`ParameterSpace::get`] gives the bounds of a name).
    pub fn parameter_bounds(&self) -> ParameterBounds {
        self.parameter_space()
    }

    /// Priors of contrast, offset and the physical parameters, table order (CMC).
    pub fn priors(&self) -> Vec<(String, Prior)> {
        self.parameter_space()
            .priors()
            .map(|(n, p)| (n.to_string(), p))
            .collect()
    }

    /// Start values as the original's configuration manager gives them: the mode's
    /// physical parameters from [`Config::parameter_space`]; fixed ones go to `fixed`,
    /// free ones not in `active_parameters` (when given) are left out.
    pub fn initial_values(&self) -> InitialValues {
        let space = self.parameter_space();
        let active = self.initial_parameters.active_parameters.as_ref();
        let mut out = InitialValues {
            names: Vec::new(),
            values: Vec::new(),
            fixed: BTreeMap::new(),
            from_midpoints: space.from_midpoints(),
        };
        for e in space.physical() {
            if e.fixed {
                out.fixed.insert(e.name.clone(), e.start);
            } else if active.is_none_or(|a| a.contains(&e.name)) {
                out.names.push(e.name.clone());
                out.values.push(e.start);
            }
        }
        out
    }

    /// Configured start values by canonical name (`initial_parameters.values` against
    /// `parameter_names`, else the mode's names); `None` when `values` is null, missing
    /// or of the wrong length (bound midpoints).
    fn configured_values(&self) -> Option<BTreeMap<String, f64>> {
        let names = self.configured_names();
        match &self.initial_parameters.values {
            Some(v) if v.len() == names.len() => Some(
                names
                    .into_iter()
                    .map(|n| params::canonical_name(&n).to_string())
                    .zip(v.iter().copied())
                    .collect(),
            ),
            _ => None,
        }
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
    /// midpoint. Same as `parameter_space().start_values()`.
    pub fn initial_physical(&self) -> Vec<f64> {
        self.parameter_space().start_values()
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
