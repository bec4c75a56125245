//! The progressive data quality controller: validates a c2 stack at up to four pipeline
//! stages (raw, filtered, preprocessed, final), combining the metrics, the rules, the
//! optional auto-repair and the score into one [`QualityControlResult`] per stage, and keeps
//! the history from which a [`DataQualityReport`] is built. This module only orchestrates;
//! what is checked, repaired and scored lives in `qc_rules`, `qc_repair` and `qc_score`.

use crate::metrics::{QualityMetrics, compute_metrics};
use crate::qc_config::{QualityControlConfig, RepairStrategy};
use crate::qc_outcome::{QualityControlResult, QualityStage, QualityStatus, Severity};
use crate::qc_repair::repair;
use crate::qc_rules::{issues_for, recommendations};
use crate::qc_score::score;
use crate::report::DataQualityReport;
use ndarray::{ArrayView1, ArrayView3, ArrayViewMut3};
use std::time::Instant;

/// The quality controller; keeps the history of stage results.
///
/// Off by default ([`QualityControlConfig::enabled`] is false). Repairs of NaN, ±Inf,
/// negative values and scaling are never silent: each is returned as a [`RepairRecord`]
/// (kind, method, number of values per angle) in the stage result and logged with
/// `tracing::warn!`.
///
/// [`RepairRecord`]: crate::RepairRecord
#[derive(Clone, Debug, Default)]
pub struct QualityController {
    config: QualityControlConfig,
    history: Vec<QualityControlResult>,
}

impl QualityController {
    /// Creates a controller.
    pub fn new(config: QualityControlConfig) -> Self {
        Self {
            config,
            history: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &QualityControlConfig {
        &self.config
    }

    /// Results recorded so far (when `reporting.save_quality_history`).
    pub fn history(&self) -> &[QualityControlResult] {
        &self.history
    }

    /// Report over the recorded history.
    pub fn report(&self) -> DataQualityReport {
        DataQualityReport::from_results(&self.history, &self.config)
    }

    fn stage_enabled(&self, stage: QualityStage) -> bool {
        let c = &self.config;
        c.enabled
            && match stage {
                QualityStage::RawData => c.enable_raw_validation,
                QualityStage::FilteredData => c.enable_filtering_validation,
                QualityStage::PreprocessedData => c.enable_preprocessing_validation,
                QualityStage::FinalData => c.enable_final_validation,
            }
    }

    /// Validates `c2` (`(n_phi, n, n)`) at `stage`, repairing it in place when the
    /// strategy allows and issues were found. `previous` (the result of the previous
    /// stage) enables the retention and fidelity checks.
    ///
    /// When quality control or this stage is disabled, returns a minimal passing result
    /// (`validated: false`, score 100) without looking at the data. Otherwise computes the
    /// metrics, raises issues, repairs (measuring again afterwards) and scores the stage as
    /// described in the crate documentation (section *Score*). The result is appended to
    /// the history when `reporting.save_quality_history` is set.
    pub fn validate_stage(
        &mut self,
        stage: QualityStage,
        mut c2: ArrayViewMut3<f64>,
        t: ArrayView1<f64>,
        phi: ArrayView1<f64>,
        previous: Option<&QualityControlResult>,
    ) -> QualityControlResult {
        let start = Instant::now();
        let shape = c2.shape().to_vec();
        if !self.stage_enabled(stage) {
            let metrics = QualityMetrics {
                overall_score: 100.0,
                ..Default::default()
            };
            return QualityControlResult {
                stage,
                validated: false,
                passed: true,
                status: QualityStatus::Excellent,
                metrics,
                issues: Vec::new(),
                resolved_issues: Vec::new(),
                repairs: Vec::new(),
                repairs_applied: Vec::new(),
                recommendations: Vec::new(),
                processing_time_s: start.elapsed().as_secs_f64(),
                data_shape_before: shape,
                data_shape_after: None,
                data_modified: false,
            };
        }
        let mut metrics = self.metrics_for(c2.view(), t, phi, previous);
        let mut issues = issues_for(&self.config, stage, &metrics, previous);
        let detected = issues
            .iter()
            .filter(|i| i.severity != Severity::Info)
            .count();
        let mut repairs = Vec::new();
        let mut resolved = Vec::new();
        if self.config.auto_repair != RepairStrategy::Disabled && !issues.is_empty() {
            repairs = repair(&self.config, c2.view_mut());
            if !repairs.is_empty() {
                metrics = self.metrics_for(c2.view(), t, phi, previous);
                let after = issues_for(&self.config, stage, &metrics, previous);
                resolved = issues
                    .iter()
                    .filter(|i| !after.iter().any(|a| a.message == i.message))
                    .cloned()
                    .collect();
                issues = after;
            }
        }
        metrics.issues_detected = detected;
        metrics.issues_repaired = repairs.len();
        metrics.repair_success_rate = if detected > 0 {
            (100.0 * repairs.len() as f64 / detected as f64).min(100.0)
        } else {
            0.0
        };
        metrics.overall_score = score(&metrics, &issues);
        let status = self.config.status_for(metrics.overall_score);
        let passed = metrics.overall_score >= self.config.pass_threshold;
        let recommendations = recommendations(&self.config, stage, &metrics, &repairs);
        let modified = !repairs.is_empty();
        let result = QualityControlResult {
            stage,
            validated: true,
            passed,
            status,
            metrics,
            issues,
            resolved_issues: resolved,
            repairs_applied: repairs.iter().map(|r| r.description.clone()).collect(),
            repairs,
            recommendations,
            processing_time_s: start.elapsed().as_secs_f64(),
            data_shape_before: shape.clone(),
            data_shape_after: modified.then_some(shape),
            data_modified: modified,
        };
        tracing::info!(
            "quality control {}: score {:.1} ({:?}), {} issues, {} repairs",
            stage.as_str(),
            result.metrics.overall_score,
            result.status,
            result.issues.len(),
            result.repairs.len()
        );
        if self.config.reporting.save_quality_history {
            self.history.push(result.clone());
        }
        result
    }

    fn metrics_for(
        &self,
        c2: ArrayView3<f64>,
        t: ArrayView1<f64>,
        phi: ArrayView1<f64>,
        previous: Option<&QualityControlResult>,
    ) -> QualityMetrics {
        let mut m = compute_metrics(c2, t, phi);
        if let Some(p) = previous.filter(|p| p.validated) {
            let before = p.data_shape_before.first().copied().unwrap_or(0);
            if before > 0 {
                m.filtering_efficiency = Some(100.0 * m.angle_count as f64 / before as f64);
            }
            m.transformation_fidelity =
                Some((m.finite_fraction / p.metrics.finite_fraction.max(0.1)).min(1.0));
        }
        m
    }
}
