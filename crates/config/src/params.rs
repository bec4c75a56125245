//! Parameter names and their aliases, as the configuration files may spell them.
//!
//! A leaf of the crate (it imports nothing from the other modules): the sections, the
//! normalisation, the validation and the parameter table all use it. Bounds, priors and
//! start values live in the model crate's parameter table, built by
//! [`crate::Config::parameter_space`].

use homodyne_model::params as model;

/// Physical parameter names of the laminar-flow model, in canonical order (the static
/// model uses the first three).
pub(crate) const LAMINAR_PARAMS: [&str; 7] = model::PHYSICAL_NAMES;

/// Per-angle scaling parameter names.
pub(crate) const SCALING_PARAMS: [&str; 2] = ["contrast", "offset"];

/// Canonical name for `name` (aliases `gamma_dot_0`, `gamma_dot_offset`, `phi_0` mapped,
/// other names unchanged).
pub(crate) use model::canonical_name;

/// True for a known parameter name (physical or scaling, canonical or per-angle
/// `contrast_i`/`offset_i`).
pub(crate) fn is_known_name(name: &str) -> bool {
    let n = canonical_name(name);
    LAMINAR_PARAMS.contains(&n) || SCALING_PARAMS.contains(&n) || per_angle_index(n).is_some()
}

/// `contrast_3` → `Some(("contrast", 3))`.
fn per_angle_index(name: &str) -> Option<(&'static str, usize)> {
    for base in SCALING_PARAMS {
        if let Some(rest) = name.strip_prefix(base).and_then(|r| r.strip_prefix('_'))
            && let Ok(i) = rest.parse()
        {
            return Some((base, i));
        }
    }
    None
}
