//! `initial_parameters` and `parameter_space`: start values, fixed parameters, bounds
//! and priors as written in the file.
//!
//! These are the raw sections. The resolved table (bounds over the built-in defaults,
//! priors, start values with bound midpoints for missing ones, fixed flags) is built
//! from them by [`crate::Config::parameter_space`].

use crate::params::canonical_name;
use std::collections::BTreeMap;

section! {
    /// `initial_parameters.per_angle_scaling`: per-angle contrast/offset start values
    /// (length 1 or n_phi; `null` = estimate from data).
    pub struct PerAngleScaling {
        /// Contrast per angle.
        pub contrast: Option<Vec<f64>> = None,
        /// Offset per angle.
        pub offset: Option<Vec<f64>> = None,
    }
}

/// `initial_parameters.fixed_parameters`: `{name: value}` or a list of names (fixed at
/// their initial value).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FixedParameters {
    /// `{beta: 0.0, ...}`.
    Values(BTreeMap<String, f64>),
    /// `[beta, ...]`.
    Names(Vec<String>),
}

impl FixedParameters {
    /// Canonical names of the fixed parameters.
    pub fn names(&self) -> Vec<String> {
        match self {
            FixedParameters::Values(m) => m.keys().map(|k| canonical_name(k).to_string()).collect(),
            FixedParameters::Names(v) => v.iter().map(|k| canonical_name(k).to_string()).collect(),
        }
    }

    /// Explicit fixed value of `name` (canonical), if given.
    pub fn value(&self, name: &str) -> Option<f64> {
        match self {
            FixedParameters::Values(m) => m
                .iter()
                .find(|(k, _)| canonical_name(k) == name)
                .map(|(_, v)| *v),
            FixedParameters::Names(_) => None,
        }
    }
}

section! {
    /// `initial_parameters`.
    pub struct InitialParameters {
        /// Physical parameter names (aliases are mapped to canonical names on load).
        pub parameter_names: Option<Vec<String>> = None,
        /// Start values in `parameter_names` order; `null` = bound midpoints.
        pub values: Option<Vec<f64>> = None,
        /// Per-angle scaling start values.
        pub per_angle_scaling: PerAngleScaling = PerAngleScaling::default(),
        /// Units (documentation).
        pub units: Option<Vec<String>> = None,
        /// Restrict the free parameters to these (applied by
        /// [`crate::Config::initial_values`], the CMC view; NLSQ fits every free physical
        /// parameter).
        pub active_parameters: Option<Vec<String>> = None,
        /// Parameters held fixed at their start value.
        pub fixed_parameters: Option<FixedParameters> = None,
    }
}

section! {
    /// One `parameter_space.bounds[*]` entry.
    pub struct BoundSpec {
        /// Parameter name (aliases mapped on load).
        pub name: String = String::new(),
        /// Lower bound.
        pub min: Option<f64> = None,
        /// Upper bound.
        pub max: Option<f64> = None,
        /// Prior distribution type (default TruncatedNormal), read by
        /// [`homodyne_model::PriorKind`]'s parser.
        pub r#type: Option<String> = None,
        /// Prior location (default mid-range).
        pub prior_mu: Option<f64> = None,
        /// Prior scale (default range/4).
        pub prior_sigma: Option<f64> = None,
        /// Unit (documentation).
        pub unit: Option<String> = None,
    }
}

section! {
    /// One `parameter_space.priors.<name>` entry (template block; not read by the
    /// reference's CMC, kept for completeness).
    pub struct PriorSpec {
        /// Distribution type.
        pub dist_type: Option<String> = None,
        /// Location.
        pub mu: Option<f64> = None,
        /// Scale.
        pub sigma: Option<f64> = None,
        /// Lower truncation.
        pub min_val: Option<f64> = None,
        /// Upper truncation.
        pub max_val: Option<f64> = None,
    }
}

section! {
    /// `parameter_space` as written. The resolved table is the model's
    /// [`homodyne_model::ParameterSpace`] ([`crate::Config::parameter_space`]).
    pub struct ParameterSpaceConfig {
        /// Model label (`static` / `laminar_flow`), informational.
        pub model: Option<String> = None,
        /// Per-parameter bounds and priors, overriding the built-in defaults.
        pub bounds: Vec<BoundSpec> = Vec::new(),
        /// Template `priors` block (`null` in the master template).
        pub priors: BTreeMap<String, PriorSpec> = BTreeMap::new(),
    }
}
