//! Settings of the quality controller: the `quality_control` configuration section, its
//! enums, and the mapping from a score to a [`QualityStatus`] band. Separate from the
//! controller so that the report, which records the thresholds and the strategy, can use
//! the settings without depending on the controller.

use crate::qc_outcome::QualityStatus;
use serde::{Deserialize, Serialize};

/// Validation intensity (not a score).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationLevel {
    /// Same as `basic`.
    None,
    /// Integrity checks only.
    Basic,
    /// Stage-specific checks (default).
    #[default]
    Standard,
    /// All checks at every stage.
    Comprehensive,
}

impl ValidationLevel {
    /// YAML name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Basic => "basic",
            Self::Standard => "standard",
            Self::Comprehensive => "comprehensive",
        }
    }
}

/// Auto-repair strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairStrategy {
    /// Never modify data.
    Disabled,
    /// NaN, Inf and scaling repairs (default).
    #[default]
    Conservative,
    /// Also negative-value repair (if `repair_negative_correlations`).
    Aggressive,
}

impl RepairStrategy {
    /// YAML name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Conservative => "conservative",
            Self::Aggressive => "aggressive",
        }
    }
}

/// How NaN cells are filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NanRepairMethod {
    /// Median of the finite values of the same matrix (reference behaviour).
    #[default]
    Median,
    /// Mean of the finite 8-neighbours; the matrix median where there are none.
    Interpolate,
    /// Zero fill.
    Zero,
}

/// `quality_control.reporting`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportingConfig {
    /// For the caller: build a report (default true).
    pub generate_reports: bool,
    /// For the caller: write the report JSON (default false).
    pub export_detailed_reports: bool,
    /// Keep the stage results in the controller's history (default true).
    pub save_quality_history: bool,
}

impl Default for ReportingConfig {
    fn default() -> Self {
        Self {
            generate_reports: true,
            export_detailed_reports: false,
            save_quality_history: true,
        }
    }
}

/// The `quality_control` configuration section; deserialises directly from the YAML the
/// Python package writes (missing keys take their defaults):
///
/// ```yaml
/// quality_control:
///   enabled: false
///   validation_level: standard      # none|basic|standard|comprehensive
///   auto_repair: conservative       # disabled|conservative|aggressive
///   pass_threshold: 50.0
///   warn_threshold: 70.0
///   excellent_threshold: 85.0
///   enable_raw_validation: true
///   enable_filtering_validation: true
///   enable_preprocessing_validation: true
///   enable_final_validation: true
///   repair_nan_values: true
///   nan_repair_method: median       # median|interpolate|zero   (Rust addition)
///   repair_infinite_values: true
///   repair_negative_correlations: false   # only with auto_repair: aggressive
///   negative_floor: 1.0e-6                # (Rust addition) value for repaired negatives
///   repair_scaling_issues: true
///   repair_format_inconsistencies: true   # accepted, no effect
///   cache_validation_results: true       # accepted, no effect
///   incremental_validation: true         # accepted, no effect
///   parallel_validation: false           # accepted, no effect
///   reporting: {generate_reports: true, export_detailed_reports: false,
///               save_quality_history: true}
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityControlConfig {
    /// Master switch (default false): when off every stage returns a minimal passing
    /// result and never touches the data.
    pub enabled: bool,
    /// Validation intensity.
    pub validation_level: ValidationLevel,
    /// Repair strategy.
    pub auto_repair: RepairStrategy,
    /// Pass threshold (50).
    pub pass_threshold: f64,
    /// Warn threshold (70): below it the status is "acceptable".
    pub warn_threshold: f64,
    /// Excellent threshold (85).
    pub excellent_threshold: f64,
    /// Validate the raw stage.
    pub enable_raw_validation: bool,
    /// Validate the filtered stage.
    pub enable_filtering_validation: bool,
    /// Validate the preprocessed stage.
    pub enable_preprocessing_validation: bool,
    /// Validate the final stage.
    pub enable_final_validation: bool,
    /// Repair NaN values.
    pub repair_nan_values: bool,
    /// How NaN values are filled.
    pub nan_repair_method: NanRepairMethod,
    /// Cap ±Inf at the finite max/min of the matrix.
    pub repair_infinite_values: bool,
    /// Replace negative values by `negative_floor` (aggressive strategy only).
    pub repair_negative_correlations: bool,
    /// Replacement for negative values (1e-6).
    pub negative_floor: f64,
    /// Rescale by 1/100, 1/10 or 10 when the mean is > 100, > 10 or in (0, 0.01).
    pub repair_scaling_issues: bool,
    /// Accepted, no effect.
    pub repair_format_inconsistencies: bool,
    /// Accepted, no effect.
    pub cache_validation_results: bool,
    /// Accepted, no effect.
    pub incremental_validation: bool,
    /// Accepted, no effect.
    pub parallel_validation: bool,
    /// Reporting switches.
    pub reporting: ReportingConfig,
}

impl Default for QualityControlConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            validation_level: ValidationLevel::Standard,
            auto_repair: RepairStrategy::Conservative,
            pass_threshold: 50.0,
            warn_threshold: 70.0,
            excellent_threshold: 85.0,
            enable_raw_validation: true,
            enable_filtering_validation: true,
            enable_preprocessing_validation: true,
            enable_final_validation: true,
            repair_nan_values: true,
            nan_repair_method: NanRepairMethod::Median,
            repair_infinite_values: true,
            repair_negative_correlations: false,
            negative_floor: 1e-6,
            repair_scaling_issues: true,
            repair_format_inconsistencies: true,
            cache_validation_results: true,
            incremental_validation: true,
            parallel_validation: false,
            reporting: ReportingConfig::default(),
        }
    }
}

impl QualityControlConfig {
    /// Status for a score under these thresholds.
    pub fn status_for(&self, score: f64) -> QualityStatus {
        if score >= self.excellent_threshold {
            QualityStatus::Excellent
        } else if score >= self.warn_threshold {
            QualityStatus::Good
        } else if score >= self.pass_threshold {
            QualityStatus::Acceptable
        } else {
            QualityStatus::Poor
        }
    }
}
