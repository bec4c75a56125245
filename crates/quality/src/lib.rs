//! Optional data preprocessing and quality control for XPCS two-time correlation stacks
//! `c2[phi, t1, t2]`, between loading and fitting. Both are off by default; the loader
//! runs them when the configuration sets `preprocessing.enabled` /
//! `quality_control.enabled`. They port the Python package's `data/preprocessing.py` and
//! `data/quality_controller.py`, reading the same YAML sections (see
//! [`PreprocessingConfig`] and [`QualityControlConfig`] for the keys) and writing
//! equivalent JSON.
//!
//! * [`PreprocessingPipeline`]: diagonal correction (via `homodyne_model::diagonal`),
//!   normalisation, median/Gaussian noise reduction, float64 standardisation and output
//!   validation, with a JSON-serialisable [`PreprocessingProvenance`] recording every
//!   transformation.
//! * [`QualityController`]: metrics ([`QualityMetrics`]), issues, a 0–100 score (pass 50 /
//!   warn 70 / excellent 85) and recommendations at four stages ([`QualityStage`]), plus
//!   auto-repair of NaN/Inf/negative/scaling problems that is always reported
//!   ([`RepairRecord`]) and logged, never silent. [`DataQualityReport`] aggregates the
//!   stages into JSON.
//!
//! # Score
//!
//! Each validated stage scores the weighted mean of: finite fraction·100 (weight 0.25),
//! correlation validity (0.20), signal-to-noise capped at 100 (0.20), symmetry score
//! (0.15), time consistency 100 or 50 (0.10) and non-negative fraction·100 (0.10); minus
//! 10 per error and 5 per warning ([`Severity`]); plus 0.1 · repair success rate; clamped
//! to [0, 100]. A stage passes at `score >= pass_threshold`; its [`QualityStatus`] is
//! excellent / good / acceptable / poor at the excellent / warn / pass thresholds. Unlike
//! the Python reference, no q-range validity (which its loader never sets) enters the
//! score.
//!
//! Arrays in, arrays out: the only file I/O is writing/reading the JSON reports
//! ([`write_json_atomic`], [`read_json`]). Nothing here panics on bad input.

#![deny(missing_docs)]

// Module dependencies (each arrow is "imports from"; there are no cycles):
// controller -> qc_rules, qc_repair, qc_score, report, metrics, qc_config, qc_outcome
// report -> qc_config, qc_outcome, json_io, error
// qc_rules -> qc_config, qc_outcome, metrics;  qc_repair -> qc_config, qc_outcome, stats
// qc_score -> qc_outcome, metrics;  qc_config -> qc_outcome;  qc_outcome -> metrics
// preprocessing -> filters, json_io, stats, error;  json_io -> error
mod controller;
mod error;
mod filters;
mod json_io;
mod metrics;
mod preprocessing;
mod qc_config;
mod qc_outcome;
mod qc_repair;
mod qc_rules;
mod qc_score;
mod report;
mod stats;

pub use controller::QualityController;
pub use error::QualityError;
pub use filters::{gaussian_filter, median_filter};
pub use json_io::{read_json, write_json_atomic};
pub use metrics::{QualityMetrics, compute_metrics};
pub use preprocessing::{
    DiagonalCorrectionMethod, DiagonalEstimator, DiagonalStageConfig, NoiseReductionMethod,
    NoiseStageConfig, NormalizationMethod, NormalizeStageConfig, PreprocessingConfig,
    PreprocessingPipeline, PreprocessingProvenance, PreprocessingResult, PreprocessingStage,
    PreprocessingStages, SwitchStageConfig, TransformationRecord,
};
pub use qc_config::{
    NanRepairMethod, QualityControlConfig, RepairStrategy, ReportingConfig, ValidationLevel,
};
pub use qc_outcome::{
    QualityControlResult, QualityStage, QualityStatus, RepairKind, RepairRecord, Severity,
    ValidationIssue,
};
pub use report::{
    Bottleneck, DataQualityReport, OverallSummary, QualityEvolution, ReportMetadata, Thresholds,
};
