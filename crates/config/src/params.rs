//! Parameter names, aliases, default bounds and default priors (spec 02 §2.1-2.3).
//!
//! These are the code tables of the reference (ParameterManager / registry, which all
//! agree at 2.23): they apply whenever a configuration does not override a parameter in
//! `parameter_space.bounds`.

use crate::sections::AnalysisMode;
use homodyne_model::params as model;

/// Physical parameter names of the laminar-flow model, in canonical order (the static
/// model uses the first three).
pub const LAMINAR_PARAMS: [&str; 7] = model::PHYSICAL_NAMES;

/// Per-angle scaling parameter names.
pub const SCALING_PARAMS: [&str; 2] = ["contrast", "offset"];

/// Canonical name for `name` (aliases `gamma_dot_0`, `gamma_dot_offset`, `phi_0` mapped,
/// other names unchanged).
pub use model::canonical_name;

/// Physical parameter names for a mode.
pub fn physical_names(mode: AnalysisMode) -> &'static [&'static str] {
    mode.physical_names()
}

/// True for a known parameter name (physical or scaling, canonical or per-angle
/// `contrast_i`/`offset_i`).
pub fn is_known_name(name: &str) -> bool {
    let n = canonical_name(name);
    LAMINAR_PARAMS.contains(&n) || SCALING_PARAMS.contains(&n) || per_angle_index(n).is_some()
}

/// `contrast_3` → `Some(("contrast", 3))`.
pub fn per_angle_index(name: &str) -> Option<(&'static str, usize)> {
    for base in SCALING_PARAMS {
        if let Some(rest) = name.strip_prefix(base).and_then(|r| r.strip_prefix('_'))
            && let Ok(i) = rest.parse()
        {
            return Some((base, i));
        }
    }
    None
}

/// Default `[min, max]` bounds (02 §2.2, ParameterManager defaults; phi0 in degrees).
/// `None` for an unknown name. Per-angle `contrast_i`/`offset_i` use the scalar bounds.
pub fn default_bounds(name: &str) -> Option<(f64, f64)> {
    let n = canonical_name(name);
    let n = per_angle_index(n).map_or(n, |(b, _)| b);
    model::default_bounds(n).map(|b| (b.min, b.max))
}

/// Unit of a parameter, for display.
pub fn unit(name: &str) -> &'static str {
    match canonical_name(name) {
        "D0" | "D_offset" => "Å²/s",
        "gamma_dot_t0" | "gamma_dot_t_offset" => "s⁻¹",
        "phi0" => "degrees",
        _ => "dimensionless",
    }
}

/// Code-default prior `(mu, sigma)` of `core/fitting.py ParameterSpace` (02 §2.3).
/// Note: a `parameter_space.bounds` entry without `prior_mu`/`prior_sigma` gets the
/// mid-range / range/4 defaults instead (see [`crate::Config::parameter_space`]).
pub fn code_default_prior(name: &str) -> Option<(f64, f64)> {
    Some(match canonical_name(name) {
        "contrast" => (0.5, 0.25),
        "offset" => (1.0, 0.25),
        "D0" => (1000.0, 1000.0),
        "alpha" => (0.5, 0.5),
        "D_offset" => (10.0, 200.0),
        "gamma_dot_t0" => (0.01, 0.1),
        "beta" => (0.0, 0.5),
        "gamma_dot_t_offset" => (0.0, 0.02),
        "phi0" => (0.0, 5.0),
        _ => return None,
    })
}

/// NLSQ fallback initial values when the configuration has no `initial_parameters`
/// (02 §2.4): D0 1e4, alpha −1.5, D_offset 0, gamma_dot_t0 1e-3, others 0.
pub fn nlsq_fallback_initial(name: &str) -> Option<f64> {
    Some(match canonical_name(name) {
        "D0" => 1.0e4,
        "alpha" => -1.5,
        "D_offset" => 0.0,
        "gamma_dot_t0" => 1.0e-3,
        "beta" | "gamma_dot_t_offset" | "phi0" => 0.0,
        _ => return None,
    })
}
