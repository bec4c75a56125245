//! Remaining top-level sections: `metadata`, `performance`, `logging`, `plotting`,
//! `output`, `validation`, `noise_estimation`, `v2_features`.

use super::auto::AutoOr;
use std::collections::BTreeMap;

section! {
    /// `metadata` (only `config_version` is checked).
    pub struct Metadata {
        /// Version the file was written for; major.minor ≠ 2.23 warns.
        pub config_version: Option<String> = None,
        /// Free text.
        pub description: Option<String> = None,
        /// Informational.
        pub analysis_mode: Option<String> = None,
        /// Informational.
        pub parameter_count: Option<i64> = None,
        /// Informational.
        pub physics_model: Option<String> = None,
        /// Informational.
        pub shear_model: Option<String> = None,
        /// Informational.
        pub integration_method: Option<String> = None,
        /// Informational.
        pub diagonal_correction: Option<String> = None,
        /// Informational.
        pub nlsq_cmc_physics_match: Option<bool> = None,
        /// Informational.
        pub template_type: Option<String> = None,
        /// Informational.
        pub complexity: Option<String> = None,
        /// Filled by generators.
        pub generated_at: Option<String> = None,
        /// Filled by generators.
        pub generated_by: Option<String> = None,
    }
}

section! {
    /// `performance`.
    pub struct Performance {
        /// NLSQ strategy override: standard | large | chunked | streaming.
        pub strategy_override: Option<String> = None,
        /// Memory limit in GB (`null` = automatic).
        pub memory_limit_gb: Option<f64> = None,
        /// Progress display.
        pub enable_progress: bool = true,
        /// `memory_optimization.*`.
        pub memory_optimization: MemoryOptimization = MemoryOptimization::default(),
        /// `computation.*`.
        pub computation: Computation = Computation::default(),
    }
}

section! {
    /// `performance.memory_optimization`.
    pub struct MemoryOptimization {
        /// On/off.
        pub enabled: bool = true,
        /// Maximum memory in GB.
        pub max_memory_usage_gb: f64 = 6.0,
        /// Chunk size.
        pub chunk_size: u64 = 8000,
        /// Caching.
        pub enable_caching: bool = true,
        /// Cache strategy.
        pub cache_strategy: String = "adaptive".into(),
    }
}

section! {
    /// `performance.computation`.
    pub struct Computation {
        /// JIT (no meaning here; kept for compatibility).
        pub enable_jit: bool = true,
        /// "auto" or a thread count.
        pub cpu_threads: AutoOr<u64> = AutoOr::Auto,
        /// Vectorisation level.
        pub vectorization_level: String = "high".into(),
    }
}

section! {
    /// `logging`.
    pub struct Logging {
        /// Logging on/off.
        pub enabled: bool = true,
        /// Root level.
        pub level: String = "INFO".into(),
        /// `console.*`.
        pub console: ConsoleLogging = ConsoleLogging::default(),
        /// `file.*`.
        pub file: FileLogging = FileLogging::default(),
        /// Per-module levels.
        pub modules: BTreeMap<String, String> = BTreeMap::new(),
    }
}

section! {
    /// `logging.console`.
    pub struct ConsoleLogging {
        /// On/off.
        pub enabled: bool = true,
        /// Level.
        pub level: String = "INFO".into(),
        /// Format.
        pub format: String = "detailed".into(),
        /// Colours.
        pub colors: bool = true,
        /// Progress display.
        pub show_progress: bool = true,
    }
}

section! {
    /// `logging.file`.
    pub struct FileLogging {
        /// On/off.
        pub enabled: bool = false,
        /// Level.
        pub level: String = "DEBUG".into(),
        /// Folder.
        pub path: String = "./logs/".into(),
        /// File name.
        pub filename: String = "homodyne_analysis.log".into(),
        /// Rotation size in MB.
        pub max_size_mb: u64 = 10,
        /// Rotated files kept.
        pub backup_count: u64 = 5,
    }
}

section! {
    /// `plotting`.
    pub struct Plotting {
        /// Save plots.
        pub save_plots: bool = true,
        /// Show plots (no effect here).
        pub show_plots: bool = false,
        /// Image format.
        pub format: String = "png".into(),
        /// Resolution.
        pub dpi: u32 = 300,
        /// Style.
        pub style: String = "publication".into(),
        /// Preview mode.
        pub preview_mode: bool = false,
        /// "solver" → plot the solver surface; else post-hoc least-squares surface.
        pub fit_surface: String = "solver".into(),
        /// `color_scale.*`.
        pub color_scale: ColorScale = ColorScale::default(),
        /// `datashader.*`.
        pub datashader: Datashader = Datashader::default(),
        /// matplotlib settings (passed through).
        pub matplotlib: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
        /// Plot toggle.
        pub correlation_function: bool = true,
        /// Plot toggle.
        pub fit_quality: bool = true,
        /// Plot toggle.
        pub parameter_distributions: bool = true,
        /// Plot toggle.
        pub residual_analysis: bool = true,
        /// Plot toggle.
        pub angle_coverage: bool = true,
        /// Plot toggle.
        pub angle_correlation: bool = true,
    }
}

section! {
    /// `plotting.color_scale`.
    pub struct ColorScale {
        /// legacy | percentile | fixed.
        pub mode: String = "legacy".into(),
        /// Pin the legacy range.
        pub pin_legacy_range: bool = true,
        /// Lower percentile.
        pub percentile_min: f64 = 1.0,
        /// Upper percentile.
        pub percentile_max: f64 = 99.0,
        /// Fixed lower limit.
        pub fixed_min: f64 = 1.0,
        /// Fixed upper limit.
        pub fixed_max: f64 = 1.5,
    }
}

section! {
    /// `plotting.datashader`.
    pub struct Datashader {
        /// Canvas width.
        pub canvas_width: u32 = 1200,
        /// Canvas height.
        pub canvas_height: u32 = 1200,
    }
}

section! {
    /// `output` (documentation only in the reference; the CLI's `--output-dir` wins).
    pub struct OutputSettings {
        /// Output folder.
        pub directory: String = "./results".into(),
        /// Base folder.
        pub base_directory: String = "./homodyne_results/".into(),
        /// Formats: a `{hdf5: true, ...}` mapping or a list (built-in default `[yaml, npz]`).
        pub formats: Option<serde_json::Value> = None,
        /// Sub-folders.
        pub create_subdirs: bool = true,
        /// Timestamped folders.
        pub timestamp_dirs: bool = false,
        /// Compress HDF5.
        pub compress_hdf5: bool = true,
        /// Compression level.
        pub compression_level: u32 = 6,
        /// Built-in default config key.
        pub include_diagnostics: Option<bool> = None,
        /// What `nlsq/fitted_data.npz` holds: `float64` (the reference's twelve arrays),
        /// `float32` (per-point arrays as float32: half the size) or `compact` (float32,
        /// per-point arrays `c2_exp` and `c2_solver_scaled` only).
        pub fitted_data: String = "float64".into(),
    }
}

section! {
    /// `validation` (documentation only).
    pub struct ValidationSettings {
        /// Strict mode.
        pub strict_mode: bool = false,
        /// Check files exist.
        pub check_file_existence: bool = true,
        /// Check parameter ranges.
        pub validate_parameter_ranges: bool = true,
        /// Check mode compatibility.
        pub check_mode_compatibility: bool = true,
        /// Angle checks.
        pub angle_validation: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
    }
}

section! {
    /// `noise_estimation` (documentation only).
    pub struct NoiseEstimation {
        /// On/off.
        pub enabled: bool = false,
        /// Noise model.
        pub model: String = "per_angle".into(),
        /// Adam settings.
        pub adam_config: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
        /// Posterior samples.
        pub posterior_samples: u64 = 1200,
        /// Checks.
        pub validation: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
        /// Per-angle settings.
        pub per_angle: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
    }
}

section! {
    /// `v2_features` (undocumented loader switches).
    pub struct V2Features {
        /// Output array format.
        pub output_format: String = "auto".into(),
        /// Validation level.
        pub validation_level: String = "basic".into(),
        /// Performance optimisation.
        pub performance_optimization: bool = true,
        /// Physics validation.
        pub physics_validation: bool = false,
        /// Cache strategy; "none" disables the NPZ cache.
        pub cache_strategy: String = "intelligent".into(),
    }
}
