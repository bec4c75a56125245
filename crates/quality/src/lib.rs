//! Optional data preprocessing and quality control for XPCS two-time correlation stacks
//! `c2[phi, t1, t2]` (reference `data/preprocessing.py` and
//! `data/quality_controller.py`, seed 003 §§5–6). Both are off by default; the loader
//! calls them when `preprocessing.enabled` / `quality_control.enabled` are set.
//!
//! * [`PreprocessingPipeline`]: diagonal correction (via `homodyne_model::diagonal`),
//!   normalisation, median/Gaussian noise reduction, float64 standardisation and output
//!   validation, with a JSON-serialisable [`PreprocessingProvenance`].
//! * [`QualityController`]: metrics, issues, a 0–100 score (pass 50 / warn 70 /
//!   excellent 85) and recommendations at four stages, plus auto-repair of
//!   NaN/Inf/negative/scaling problems that is always reported ([`RepairRecord`]) and
//!   logged, never silent. [`DataQualityReport`] aggregates the stages into JSON.
//!
//! Arrays in, arrays out: the only file I/O is writing/reading the JSON reports.
//! Nothing here panics on bad input.

mod controller;
pub mod filters;
mod metrics;
mod preprocessing;
mod report;

pub use controller::{
    NanRepairMethod, QualityControlConfig, QualityControlResult, QualityController, QualityStage,
    QualityStatus, RepairKind, RepairRecord, RepairStrategy, ReportingConfig, Severity,
    ValidationIssue, ValidationLevel,
};
pub use metrics::{QualityMetrics, compute_metrics};
pub use preprocessing::{
    DiagonalCorrectionMethod, DiagonalEstimator, DiagonalStageConfig, NoiseReductionMethod,
    NoiseStageConfig, NormalizationMethod, NormalizeStageConfig, PreprocessingConfig,
    PreprocessingPipeline, PreprocessingProvenance, PreprocessingResult, PreprocessingStage,
    PreprocessingStages, SwitchStageConfig, TransformationRecord,
};
pub use report::{
    Bottleneck, DataQualityReport, OverallSummary, QualityEvolution, ReportMetadata, Thresholds,
    read_json, write_json_atomic,
};

use std::path::PathBuf;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    /// Invalid configuration value.
    #[error("invalid preprocessing/quality configuration: {0}")]
    Config(String),
    /// A preprocessing stage failed and `abort_on_error` is set.
    #[error("preprocessing aborted at stage {stage}: {reason}")]
    Stage {
        /// Stage name.
        stage: String,
        /// Why it failed.
        reason: String,
    },
    /// A report file could not be written or read.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A report could not be (de)serialised.
    #[error("invalid JSON in {}: {source}", path.display())]
    Json {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: serde_json::Error,
    },
}
