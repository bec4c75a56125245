//! homodyne configuration: typed YAML/JSON configuration with the reference's
//! semantics (spec 06_config.md, 02_parameters.md §2.1-2.5).
//!
//! Pipeline ([`load`]): text → location-aware [`node::Node`] tree (serde-saphyr with
//! `Spanned` values for YAML, serde_json for JSON) → [`normalize`] (aliases, legacy
//! shapes) → typed [`Config`] through a path-tracking deserializer ([`de`]) that
//! collects type errors and unknown keys instead of stopping → semantic checks
//! ([`validate`]). Every problem goes into a [`ValidationReport`] with key path, file
//! and line.
//!
//! ```no_run
//! let loaded = homodyne_config::load_file("homodyne_config.yaml")?;
//! let cfg = &loaded.config;
//! println!("{} dt={} q={}", cfg.mode(), cfg.dt(), cfg.wavevector_q());
//! let space = cfg.parameter_space(); // bounds, priors, start values, fixed flags
//! let d0 = space.get("D0").unwrap(); // bounds of D0
//! let start = space.start_values(); // bound midpoints when `values: null`
//! # Ok::<(), homodyne_config::ConfigError>(())
//! ```

#[macro_use]
mod sections;

pub mod choices;
mod config;
mod de;
pub mod issues;
pub mod load;
pub mod node;
pub mod normalize;
pub mod params;
pub mod resolve;
pub mod templates;
pub mod validate;
pub mod write;

pub use choices::{check_choice, choice_keys};
pub use config::{Config, resolve_path};
pub use homodyne_model::scaling::PerAngleMode;
pub use issues::{ConfigError, Issue, Severity, ValidationReport};
pub use load::{Format, Loaded, load_file, load_str, validate_file, validate_str};
pub use resolve::{
    Bound, InitialValues, ParameterBounds, ParameterSpace, ParameterSpec, Prior, PriorKind,
};
pub use sections::*;
pub use templates::{TemplateFilter, TemplateValues, render, template};
pub use write::write_atomic;
