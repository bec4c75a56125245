//! The aggregated, exportable [`DataQualityReport`] (metadata, overall summary, per-stage
//! results, quality evolution, final recommendations) built from the quality controller's
//! stage results. It depends only on the settings and result types, not on the controller,
//! so the controller can build reports without an import cycle.

use crate::error::QualityError;
use crate::json_io::{read_json, unix_time, write_json_atomic};
use crate::qc_config::QualityControlConfig;
use crate::qc_outcome::{QualityControlResult, QualityStatus};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Score thresholds used for the report.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Pass threshold (default 50).
    pub pass: f64,
    /// Warn threshold (default 70).
    pub warn: f64,
    /// Excellent threshold (default 85).
    pub excellent: f64,
}

/// Report metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportMetadata {
    /// Seconds since the Unix epoch.
    pub report_timestamp: f64,
    /// Report format version ("1.0.0").
    pub report_version: String,
    /// Validation level name.
    pub validation_level: String,
    /// Auto-repair strategy name.
    pub auto_repair: String,
    /// Thresholds.
    pub thresholds: Thresholds,
}

/// Summary over all stages (status from the last stage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverallSummary {
    /// Status of the last stage; `None` without results.
    pub status: Option<QualityStatus>,
    /// Score of the last stage (0 without results).
    pub overall_score: f64,
    /// Number of stages.
    pub total_stages_processed: usize,
    /// Issues over all stages.
    pub total_issues_found: usize,
    /// Repair actions over all stages.
    pub total_repairs_applied: usize,
    /// Values changed by repairs over all stages.
    pub total_values_repaired: usize,
    /// Mean processing time per stage, seconds.
    pub average_processing_time_s: f64,
    /// Whether any stage modified the data.
    pub data_modified: bool,
    /// Whether every stage passed.
    pub all_stages_passed: bool,
}

/// A stage scoring below the pass threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// Stage name.
    pub stage: String,
    /// Its score.
    pub score: f64,
    /// Categories of its first three issues.
    pub main_issues: Vec<String>,
}

/// How the score evolved through the stages (needs >= 2 stages).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityEvolution {
    /// (stage, score) in order.
    pub score_progression: Vec<(String, f64)>,
    /// "improving", "declining" or "stable" (last vs first).
    pub quality_trend: String,
    /// max − min score.
    pub max_improvement: f64,
    /// last − first score.
    pub final_vs_initial: f64,
    /// Stages below the pass threshold.
    pub bottlenecks: Vec<Bottleneck>,
}

/// The exportable quality report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataQualityReport {
    /// Metadata.
    pub metadata: ReportMetadata,
    /// Overall summary.
    pub overall_summary: OverallSummary,
    /// Full per-stage results, in order.
    pub stage_results: Vec<QualityControlResult>,
    /// Evolution (None with fewer than two stages).
    pub quality_evolution: Option<QualityEvolution>,
    /// Final recommendations.
    pub recommendations: Vec<String>,
}

impl DataQualityReport {
    /// Builds the report from stage results (in pipeline order).
    pub fn from_results(results: &[QualityControlResult], config: &QualityControlConfig) -> Self {
        let th = Thresholds {
            pass: config.pass_threshold,
            warn: config.warn_threshold,
            excellent: config.excellent_threshold,
        };
        let last = results.last();
        let n = results.len();
        let overall_summary = OverallSummary {
            status: last.map(|r| r.status),
            overall_score: last.map_or(0.0, |r| r.metrics.overall_score),
            total_stages_processed: n,
            total_issues_found: results.iter().map(|r| r.issues.len()).sum(),
            total_repairs_applied: results.iter().map(|r| r.repairs.len()).sum(),
            total_values_repaired: results
                .iter()
                .flat_map(|r| r.repairs.iter().map(|x| x.count))
                .sum(),
            average_processing_time_s: if n > 0 {
                results.iter().map(|r| r.processing_time_s).sum::<f64>() / n as f64
            } else {
                0.0
            },
            data_modified: results.iter().any(|r| r.data_modified),
            all_stages_passed: results.iter().all(|r| r.passed),
        };
        let bottlenecks: Vec<Bottleneck> = results
            .iter()
            .filter(|r| r.metrics.overall_score < th.pass)
            .map(|r| Bottleneck {
                stage: r.stage.as_str().to_string(),
                score: r.metrics.overall_score,
                main_issues: r
                    .issues
                    .iter()
                    .take(3)
                    .map(|i| i.category.clone())
                    .collect(),
            })
            .collect();
        let quality_evolution = (n >= 2).then(|| {
            let scores: Vec<f64> = results.iter().map(|r| r.metrics.overall_score).collect();
            let (first, lastv) = (scores[0], scores[n - 1]);
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
            QualityEvolution {
                score_progression: results
                    .iter()
                    .map(|r| (r.stage.as_str().to_string(), r.metrics.overall_score))
                    .collect(),
                quality_trend: if lastv > first {
                    "improving"
                } else if lastv < first {
                    "declining"
                } else {
                    "stable"
                }
                .into(),
                max_improvement: max - min,
                final_vs_initial: lastv - first,
                bottlenecks: bottlenecks.clone(),
            }
        });
        let mut recommendations = Vec::new();
        match last {
            None => recommendations.push("No quality control results available".to_string()),
            Some(r) => recommendations.push(
                match r.status {
                    QualityStatus::Excellent => {
                        "Excellent data quality achieved - ready for analysis"
                    }
                    QualityStatus::Good => "Good data quality - proceed with confidence",
                    QualityStatus::Acceptable => {
                        "Acceptable data quality - monitor results carefully"
                    }
                    QualityStatus::Poor => {
                        "Poor data quality - consider reprocessing or different parameters"
                    }
                }
                .to_string(),
            ),
        }
        if overall_summary.total_repairs_applied > 0 {
            recommendations.push(format!(
                "{} automatic repairs changed {} values - review source data quality",
                overall_summary.total_repairs_applied, overall_summary.total_values_repaired
            ));
        }
        if !bottlenecks.is_empty() {
            let names: Vec<&str> = bottlenecks.iter().map(|b| b.stage.as_str()).collect();
            recommendations.push(format!("Quality issues in stages: {}", names.join(", ")));
        }
        Self {
            metadata: ReportMetadata {
                report_timestamp: unix_time(),
                report_version: "1.0.0".into(),
                validation_level: config.validation_level.as_str().into(),
                auto_repair: config.auto_repair.as_str().into(),
                thresholds: th,
            },
            overall_summary,
            stage_results: results.to_vec(),
            quality_evolution,
            recommendations,
        }
    }

    /// Writes the report as pretty JSON (atomically).
    pub fn save(&self, path: &Path) -> Result<(), QualityError> {
        write_json_atomic(path, self)
    }

    /// Reads a report written by [`Self::save`].
    pub fn load(path: &Path) -> Result<Self, QualityError> {
        read_json(path)
    }
}
