//! What validating one stage produces: the stage and status enums, issues, repair
//! records and the per-stage [`QualityControlResult`]. These plain data types are shared by
//! the controller, its rule, repair and scoring helpers and the report, so they live in a
//! module that depends on none of those.

use crate::metrics::QualityMetrics;
use serde::{Deserialize, Serialize};

/// Pipeline stage being validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityStage {
    /// Right after loading: shape, NaN/Inf, value range.
    RawData,
    /// After angle filtering: coverage, retention, consistency.
    FilteredData,
    /// After preprocessing: artefacts, fidelity, symmetry.
    PreprocessedData,
    /// Analysis-ready data: comprehensive assessment.
    FinalData,
}

impl QualityStage {
    /// Name as in the reference report (`raw_data`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RawData => "raw_data",
            Self::FilteredData => "filtered_data",
            Self::PreprocessedData => "preprocessed_data",
            Self::FinalData => "final_data",
        }
    }
}

/// Score band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityStatus {
    /// `>= excellent_threshold`.
    Excellent,
    /// `>= warn_threshold`.
    Good,
    /// `>= pass_threshold`.
    Acceptable,
    /// Below the pass threshold.
    Poor,
}

/// Issue severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// −10 score points.
    Error,
    /// −5 score points.
    Warning,
    /// No penalty.
    Info,
}

/// A detected problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationIssue {
    /// Severity.
    pub severity: Severity,
    /// Category (`format`, `data_quality`, `consistency`, `coverage`, `preprocessing`,
    /// `physics`).
    pub category: String,
    /// What was found.
    pub message: String,
    /// What to do about it.
    pub recommendation: String,
}

/// Kind of repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// NaN values replaced.
    Nan,
    /// ±Inf values capped.
    Infinite,
    /// Negative values raised to the floor.
    Negative,
    /// Whole stack rescaled.
    Scaling,
}

/// One repair action applied to the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepairRecord {
    /// Kind.
    pub kind: RepairKind,
    /// Method (e.g. `median`, `cap_to_finite_extremes`, `divide_by_100`).
    pub method: String,
    /// Number of values changed.
    pub count: usize,
    /// Values changed per angle.
    pub per_angle: Vec<usize>,
    /// Human-readable description.
    pub description: String,
}

/// Result of validating one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityControlResult {
    /// Stage.
    pub stage: QualityStage,
    /// False when quality control (or this stage) is disabled: minimal result.
    pub validated: bool,
    /// `overall_score >= pass_threshold`.
    pub passed: bool,
    /// Score band.
    pub status: QualityStatus,
    /// Metrics (after repair, if any).
    pub metrics: QualityMetrics,
    /// Issues remaining (after repair, if any).
    pub issues: Vec<ValidationIssue>,
    /// Issues found before repair that the repair removed.
    pub resolved_issues: Vec<ValidationIssue>,
    /// Repairs applied, with counts.
    pub repairs: Vec<RepairRecord>,
    /// One-line descriptions of the repairs (reference `repairs_applied`).
    pub repairs_applied: Vec<String>,
    /// Recommendations.
    pub recommendations: Vec<String>,
    /// Seconds spent.
    pub processing_time_s: f64,
    /// c2 shape before.
    pub data_shape_before: Vec<usize>,
    /// c2 shape after a repair (repairs never change it).
    pub data_shape_after: Option<Vec<usize>>,
    /// Whether the data were modified.
    pub data_modified: bool,
}
