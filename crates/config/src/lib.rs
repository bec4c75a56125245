//! homodyne configuration: typed YAML/JSON configuration files with the meaning the
//! original Python program (homodyne 2.23, "the reference" in these docs) gives them:
//! the same keys, defaults, aliases and legacy layouts, so an existing configuration file
//! runs unchanged.
//!
//! Pipeline ([`load_file`]): text → location-aware [`Node`] tree (YAML through
//! serde-saphyr, which records the line of every value; JSON through serde_json) →
//! normalisation (aliases and legacy shapes rewritten to the canonical layout, each change
//! noted) → typed [`Config`] through a path-tracking deserializer that collects type
//! errors and unknown keys instead of stopping at the first → semantic checks (ranges,
//! choices, consistency). Every problem goes into a [`ValidationReport`] with key path,
//! file and line, so one run of the validator lists all of them.
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
//!
//! # Public API
//!
//! All modules are private; everything callers may use is re-exported here:
//!
//! * Loading and checking: [`load_file`], [`load_str`] (→ [`Loaded`]: the [`Config`],
//!   its [`ValidationReport`] and the normalised source tree), [`validate_file`],
//!   [`validate_str`] (every problem, never failing), the input [`Format`], and the
//!   report types [`Issue`], [`Severity`], [`ConfigError`].
//! * The source tree: [`Node`] ([`NodeKind`], [`Entry`]), for keys the typed sections do
//!   not interpret (read by their own crates) and for key lines.
//! * The typed configuration: [`Config`] and one struct per section, from
//!   [`AnalyzerParameters`] to [`V2Features`]; [`AutoOr`] for `"auto"`-or-value settings;
//!   [`resolve_path`] for paths relative to the configuration file. The analysis mode
//!   is the model crate's [`AnalysisMode`]; it accepts `static`, `static_isotropic`,
//!   `static_anisotropic`, `isotropic`, `anisotropic` (static) and `laminar_flow`,
//!   `laminar-flow`, `laminar flow`, `laminarflow`, `laminar`, `flow` (laminar flow),
//!   case-insensitively.
//! * The parameter table: [`Config::parameter_space`] returns the model's
//!   [`ParameterSpace`] ([`ParameterSpec`], [`Bound`], [`Prior`], [`PriorKind`];
//!   [`ParameterBounds`] is the same table); [`InitialValues`] is its CMC view.
//! * Choice keys: [`choice_keys`] lists every key that takes one of a fixed set of names,
//!   [`check_choice`] parses a value with the key's owning enum ([`Method`],
//!   [`CombineCriteria`], [`PerAngleMode`], [`CmcPerAngleMode`], [`ShardingStrategy`],
//!   [`CmcBackendName`], [`CmcBackendString`], [`CombinationMethod`], [`ChainMethod`]).
//! * Templates: [`template`] and [`render`] ([`TemplateFilter`], [`TemplateValues`])
//!   write the commented configuration templates; [`write_atomic`] writes a file so
//!   that readers never see half of it.

#![deny(missing_docs)]

#[macro_use]
mod sections;

mod choices;
mod config;
mod de;
mod issues;
mod load;
mod node;
mod normalize;
mod params;
mod resolve;
mod templates;
mod validate;
mod write;

pub use choices::{
    ChainMethod, CmcBackendName, CmcBackendString, CmcPerAngleMode, CombinationMethod,
    CombineCriteria, Method, ShardingStrategy, check_choice, choice_keys,
};
pub use config::{Config, resolve_path};
pub use homodyne_model::params::{AnalysisMode, ParameterSpace, ParameterSpec, Prior, PriorKind};
pub use homodyne_model::scaling::PerAngleMode;
pub use issues::{ConfigError, Issue, Severity, ValidationReport};
pub use load::{Format, Loaded, load_file, load_str, validate_file, validate_str};
pub use node::{Entry, Node, NodeKind};
pub use resolve::{Bound, InitialValues, ParameterBounds};
pub use sections::analyzer::{
    AnalysisSettings, AnalyzerParameters, Geometry, ModelDescription, Scattering,
};
pub use sections::auto::AutoOr;
pub use sections::cmc::{
    BackendConfig, CmcBackend, CmcConfig, CmcValidation, Combination, McmcConfig,
    McmcInitialValues, PerShardMcmc, PercentileFallback, Reparameterization, Sharding,
};
pub use sections::data::{
    AngleRange, DataFiltering, DiagonalStage, ExperimentalData, FrameFiltering, MinMax, NoiseStage,
    NormalizeStage, PhiFiltering, PhiQualityControl, Preprocessing, PreprocessingStages,
    QualityControl, QualityFiltering, QualityReporting, SwitchStage,
};
pub use sections::misc::{
    ColorScale, Computation, ConsoleLogging, Datashader, FileLogging, Logging, MemoryOptimization,
    Metadata, NoiseEstimation, OutputSettings, Performance, Plotting, V2Features,
    ValidationSettings,
};
pub use sections::nlsq::{
    AntiDegeneracy, Cmaes, GradientMonitoring, Hierarchical, HybridStreaming, MultiStart,
    NlsqConfig, NlsqDiagnostics, NlsqProgress, NlsqSigma, QualityValidation, Regularization,
    ShearWeighting,
};
pub use sections::optimization::{
    LsqConfig, OptimizationConfig, Recovery, Sequential, Stratification, StreamingConfig,
};
pub use sections::parameters::{
    BoundSpec, FixedParameters, InitialParameters, ParameterSpaceConfig, PerAngleScaling, PriorSpec,
};
pub use templates::{TemplateFilter, TemplateValues, render, template};
pub use write::write_atomic;
