//! Progressive data quality controller (reference `data/quality_controller.py`, seed
//! 003 §6): validates a c2 stack at four stages (raw, filtered, preprocessed, final),
//! raises issues, computes a 0–100 score and recommendations, and optionally repairs
//! NaN / Inf / negative / scaling problems in place. Every repair is reported as a
//! [`RepairRecord`] (what, how, how many values, per angle) and logged with
//! `tracing::warn!`; repairs are never silent.
//!
//! Off by default. [`QualityControlConfig`] mirrors the reference YAML section:
//!
//! ```yaml
//! quality_control:
//!   enabled: false
//!   validation_level: standard      # none|basic|standard|comprehensive
//!   auto_repair: conservative       # disabled|conservative|aggressive
//!   pass_threshold: 50.0
//!   warn_threshold: 70.0
//!   excellent_threshold: 85.0
//!   enable_raw_validation: true
//!   enable_filtering_validation: true
//!   enable_preprocessing_validation: true
//!   enable_final_validation: true
//!   repair_nan_values: true
//!   nan_repair_method: median       # median|interpolate|zero   (Rust addition)
//!   repair_infinite_values: true
//!   repair_negative_correlations: false   # only with auto_repair: aggressive
//!   negative_floor: 1.0e-6                # (Rust addition) value for repaired negatives
//!   repair_scaling_issues: true
//!   repair_format_inconsistencies: true   # accepted, no effect
//!   cache_validation_results: true       # accepted, no effect
//!   incremental_validation: true         # accepted, no effect
//!   parallel_validation: false           # accepted, no effect
//!   reporting: {generate_reports: true, export_detailed_reports: false,
//!               save_quality_history: true}
//! ```
//!
//! Score (documented deviation: the reference mixes in a q-range validity that the
//! loader never sets): weighted mean of finite fraction·100 (0.25), correlation validity
//! (0.20), signal-to-noise score (0.20), symmetry score (0.15), time consistency
//! 100/50 (0.10) and non-negative fraction·100 (0.10); minus 10 per error and 5 per
//! warning; plus 0.1 · repair success rate; clamped to [0, 100]. `passed` is
//! `score >= pass_threshold`; status excellent / good / acceptable / poor at
//! 85 / 70 / 50.

use crate::metrics::{QualityMetrics, compute_metrics};
use crate::report::DataQualityReport;
use ndarray::{Array2, ArrayView1, ArrayViewMut3, Axis};
use serde::{Deserialize, Serialize};
use std::time::Instant;

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

/// The `quality_control` section (see the module documentation for the YAML keys).
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

/// The quality controller; keeps the history of stage results.
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
        let mut issues = self.issues_for(stage, &metrics, previous);
        let detected = issues
            .iter()
            .filter(|i| i.severity != Severity::Info)
            .count();
        let mut repairs = Vec::new();
        let mut resolved = Vec::new();
        if self.config.auto_repair != RepairStrategy::Disabled && !issues.is_empty() {
            repairs = self.repair(c2.view_mut());
            if !repairs.is_empty() {
                metrics = self.metrics_for(c2.view(), t, phi, previous);
                let after = self.issues_for(stage, &metrics, previous);
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
        let recommendations = self.recommendations(stage, &metrics, &repairs);
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
        c2: ndarray::ArrayView3<f64>,
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

    fn issues_for(
        &self,
        stage: QualityStage,
        m: &QualityMetrics,
        previous: Option<&QualityControlResult>,
    ) -> Vec<ValidationIssue> {
        let mut out = Vec::new();
        let mut push = |severity, category: &str, message: String, recommendation: &str| {
            out.push(ValidationIssue {
                severity,
                category: category.into(),
                message,
                recommendation: recommendation.into(),
            })
        };
        let [n_phi, n1, n2] = m.shape;
        // Integrity: every stage, every level.
        if n_phi * n1 * n2 == 0 {
            push(
                Severity::Error,
                "format",
                format!("c2 is empty: shape ({n_phi}, {n1}, {n2})"),
                "Check data loading and filtering",
            );
            return out;
        }
        if n1 != n2 {
            push(
                Severity::Error,
                "format",
                format!("correlation matrices are not square: {n1}x{n2}"),
                "Check correlation matrix reconstruction",
            );
        }
        if m.finite_fraction < 1.0 {
            let pct = (1.0 - m.finite_fraction) * 100.0;
            let sev = if m.finite_fraction >= 0.95 {
                Severity::Info
            } else if m.finite_fraction > 0.8 {
                Severity::Warning
            } else {
                Severity::Error
            };
            push(
                sev,
                "data_quality",
                format!(
                    "Non-finite values in c2: {pct:.2}% ({} NaN, {} Inf)",
                    m.nan_count, m.inf_count
                ),
                "Check data preprocessing and source quality",
            );
        }
        if m.negative_count > 0 {
            push(
                Severity::Warning,
                "physics",
                format!(
                    "Negative correlation values: {} ({:.2}%)",
                    m.negative_count,
                    m.negative_fraction * 100.0
                ),
                "c2 should be positive; check background subtraction and normalisation",
            );
        }
        let level = self.config.validation_level;
        if matches!(level, ValidationLevel::None | ValidationLevel::Basic) {
            return out;
        }
        let all = level == ValidationLevel::Comprehensive;
        let filtered = all || matches!(stage, QualityStage::FilteredData | QualityStage::FinalData);
        let preprocessed = all
            || matches!(
                stage,
                QualityStage::PreprocessedData | QualityStage::FinalData
            );
        let fin = all || stage == QualityStage::FinalData;

        if filtered {
            if let Some(eff) = m.filtering_efficiency
                && previous.is_some()
            {
                if eff < 10.0 {
                    push(
                        Severity::Warning,
                        "coverage",
                        format!("Filtering removed {:.1}% of the angles", 100.0 - eff),
                        "Check filtering criteria - may be too restrictive",
                    );
                } else if eff > 95.0 && stage == QualityStage::FilteredData {
                    push(
                        Severity::Info,
                        "coverage",
                        format!("Filtering retained {eff:.1}% of the angles"),
                        "Filtering may not be necessary with current settings",
                    );
                }
            }
            if let Some(mean) = m.mean
                && !(0.1..=5.0).contains(&mean)
            {
                push(
                    Severity::Warning,
                    "data_quality",
                    format!("Unusual correlation values: mean={mean:.3}"),
                    "Check data normalization and calibration",
                );
            }
            if !m.time_consistency {
                push(
                    Severity::Warning,
                    "consistency",
                    format!(
                        "time/angle arrays inconsistent with c2 of shape ({n_phi}, {n1}, {n2})"
                    ),
                    "Check time array generation and angle filtering",
                );
            }
        }
        if preprocessed {
            if stage == QualityStage::PreprocessedData && !m.preprocessing_success {
                push(
                    Severity::Error,
                    "preprocessing",
                    "Preprocessing introduced artifacts (non-finite values or values outside [-10, 100])".into(),
                    "Review preprocessing settings and validate input data",
                );
            }
            if let Some(f) = m.transformation_fidelity
                && f < 0.8
            {
                push(
                    Severity::Warning,
                    "preprocessing",
                    format!("Preprocessing fidelity low: {f:.2}"),
                    "Check preprocessing parameters for excessive modification",
                );
            }
            if m.symmetry_error.is_some() && m.symmetry_score < 80.0 {
                push(
                    Severity::Warning,
                    "data_quality",
                    format!("Poor matrix symmetry: {:.1}%", m.symmetry_score),
                    "Check correlation matrix reconstruction",
                );
            }
        }
        if fin {
            if let Some(r) = m.diagonal_ratio
                && !(0.5..=1.5).contains(&r)
            {
                push(
                    Severity::Info,
                    "physics",
                    format!("Diagonal / first off-diagonal ratio is {r:.3}"),
                    "Apply diagonal correction before fitting",
                );
            }
            match m.contrast_estimate {
                Some(c) if c <= 0.0 => push(
                    Severity::Warning,
                    "physics",
                    format!("No positive contrast: lag-1 c2 minus long-lag baseline = {c:.4}"),
                    "Check that the data decorrelate over the measured time range",
                ),
                _ => {}
            }
            if let Some(d) = m.baseline_drift
                && m.contrast_estimate.is_some_and(|c| c > 0.0)
                && d > 0.25
            {
                push(
                    Severity::Warning,
                    "physics",
                    format!(
                        "c2 has not reached a baseline at long lags (drift {:.0}% of the contrast)",
                        d * 100.0
                    ),
                    "Longer acquisition or a longer frame range may be needed",
                );
            }
        }
        out
    }

    fn recommendations(
        &self,
        stage: QualityStage,
        m: &QualityMetrics,
        repairs: &[RepairRecord],
    ) -> Vec<String> {
        let c = &self.config;
        let mut r = Vec::new();
        if m.overall_score < c.pass_threshold {
            r.push(
                "Data quality below acceptable threshold - review preprocessing settings".into(),
            );
        }
        if m.finite_fraction < 0.95 {
            r.push("Consider additional data cleaning to remove non-finite values".into());
        }
        if m.correlation_validity < 70.0 {
            r.push("Check correlation calculation and normalization procedures".into());
        }
        if m.signal_to_noise < 30.0 {
            r.push("Consider noise reduction preprocessing or longer acquisition times".into());
        }
        if m.symmetry_error.is_some() && m.symmetry_score < 80.0 {
            r.push("Review correlation matrix reconstruction method".into());
        }
        if let Some(e) = m.filtering_efficiency
            && e < 50.0
        {
            r.push("Filtering may be too restrictive - review criteria".into());
        }
        for rep in repairs {
            r.push(format!(
                "Auto-repair changed {} values ({:?}, {}) - review source data",
                rep.count, rep.kind, rep.method
            ));
        }
        if stage == QualityStage::FinalData {
            r.push(
                match c.status_for(m.overall_score) {
                    QualityStatus::Excellent => "Excellent data quality - ready for analysis",
                    QualityStatus::Good => "Good data quality - proceed with analysis",
                    QualityStatus::Acceptable => {
                        "Acceptable data quality - consider additional preprocessing"
                    }
                    QualityStatus::Poor => "Poor data quality - analysis results may be unreliable",
                }
                .into(),
            );
        }
        r
    }

    /// Applies the configured repairs in place; returns what was done.
    fn repair(&self, mut c2: ArrayViewMut3<f64>) -> Vec<RepairRecord> {
        let c = &self.config;
        let mut out = Vec::new();
        let n_phi = c2.len_of(Axis(0));
        if c.repair_infinite_values {
            let mut per = vec![0usize; n_phi];
            for (k, mut m) in c2.axis_iter_mut(Axis(0)).enumerate() {
                let lo = m
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(f64::INFINITY, f64::min);
                let hi = m
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(f64::NEG_INFINITY, f64::max);
                if !lo.is_finite() {
                    continue; // no finite value to cap to
                }
                for v in m.iter_mut() {
                    if *v == f64::INFINITY {
                        *v = hi;
                        per[k] += 1;
                    } else if *v == f64::NEG_INFINITY {
                        *v = lo;
                        per[k] += 1;
                    }
                }
            }
            push_record(
                &mut out,
                RepairKind::Infinite,
                "cap_to_finite_extremes",
                per,
                "infinite values capped to the finite max/min of their matrix",
            );
        }
        if c.repair_nan_values {
            let mut per = vec![0usize; n_phi];
            for (k, mut m) in c2.axis_iter_mut(Axis(0)).enumerate() {
                per[k] = repair_nan(&mut m, c.nan_repair_method);
            }
            let (name, how) = match c.nan_repair_method {
                NanRepairMethod::Median => {
                    ("median", "median of the finite values of their matrix")
                }
                NanRepairMethod::Interpolate => (
                    "interpolate",
                    "mean of finite neighbours (matrix median where none)",
                ),
                NanRepairMethod::Zero => ("zero", "zero"),
            };
            push_record(
                &mut out,
                RepairKind::Nan,
                name,
                per,
                &format!("NaN values replaced by the {how}"),
            );
        }
        if c.repair_negative_correlations && c.auto_repair == RepairStrategy::Aggressive {
            let floor = c.negative_floor;
            let mut per = vec![0usize; n_phi];
            for (k, mut m) in c2.axis_iter_mut(Axis(0)).enumerate() {
                for v in m.iter_mut() {
                    if *v < 0.0 {
                        *v = floor;
                        per[k] += 1;
                    }
                }
            }
            push_record(
                &mut out,
                RepairKind::Negative,
                "floor",
                per,
                &format!("negative correlation values set to {floor:e}"),
            );
        }
        if c.repair_scaling_issues {
            let (mut s, mut n) = (0.0, 0usize);
            for v in c2.iter().filter(|v| v.is_finite()) {
                s += v;
                n += 1;
            }
            let mean = if n > 0 { s / n as f64 } else { f64::NAN };
            let action = if mean > 100.0 {
                Some((0.01, "divide_by_100", "rescaled by 1/100 (mean > 100)"))
            } else if mean > 10.0 {
                Some((0.1, "divide_by_10", "rescaled by 1/10 (mean > 10)"))
            } else if mean > 0.0 && mean < 0.01 {
                Some((10.0, "multiply_by_10", "rescaled by 10 (0 < mean < 0.01)"))
            } else {
                None
            };
            if let Some((f, name, how)) = action {
                let per: Vec<usize> = c2
                    .axis_iter_mut(Axis(0))
                    .map(|mut m| {
                        let mut k = 0;
                        for v in m.iter_mut().filter(|v| v.is_finite()) {
                            *v *= f;
                            k += 1;
                        }
                        k
                    })
                    .collect();
                push_record(
                    &mut out,
                    RepairKind::Scaling,
                    name,
                    per,
                    &format!("c2 {how}"),
                );
            }
        }
        out
    }
}

fn push_record(
    out: &mut Vec<RepairRecord>,
    kind: RepairKind,
    method: &str,
    per_angle: Vec<usize>,
    what: &str,
) {
    let count: usize = per_angle.iter().sum();
    if count == 0 {
        return;
    }
    let description = format!("Repaired {count} values in c2: {what}");
    tracing::warn!("quality control auto-repair: {description}");
    out.push(RepairRecord {
        kind,
        method: method.into(),
        count,
        per_angle,
        description,
    });
}

/// Fills the NaN cells of one matrix; returns how many were filled.
fn repair_nan(m: &mut ndarray::ArrayViewMut2<f64>, method: NanRepairMethod) -> usize {
    let nan_count = m.iter().filter(|v| v.is_nan()).count();
    if nan_count == 0 {
        return 0;
    }
    let mut finite: Vec<f64> = m.iter().copied().filter(|v| v.is_finite()).collect();
    let med = if finite.is_empty() {
        None
    } else {
        Some(crate::preprocessing::percentile(&mut finite, 50.0))
    };
    match method {
        NanRepairMethod::Zero => {
            m.mapv_inplace(|v| if v.is_nan() { 0.0 } else { v });
            nan_count
        }
        NanRepairMethod::Median => match med {
            Some(x) => {
                m.mapv_inplace(|v| if v.is_nan() { x } else { v });
                nan_count
            }
            None => 0,
        },
        NanRepairMethod::Interpolate => {
            let Some(x) = med else { return 0 };
            let src: Array2<f64> = m.to_owned();
            let (r, c) = src.dim();
            for ((i, j), v) in m.indexed_iter_mut() {
                if !v.is_nan() {
                    continue;
                }
                let (mut s, mut n) = (0.0, 0usize);
                for di in -1isize..=1 {
                    for dj in -1isize..=1 {
                        let (ii, jj) = (i as isize + di, j as isize + dj);
                        if (di, dj) == (0, 0)
                            || ii < 0
                            || jj < 0
                            || ii >= r as isize
                            || jj >= c as isize
                        {
                            continue;
                        }
                        let w = src[[ii as usize, jj as usize]];
                        if w.is_finite() {
                            s += w;
                            n += 1;
                        }
                    }
                }
                *v = if n > 0 { s / n as f64 } else { x };
            }
            nan_count
        }
    }
}

/// The overall 0–100 score (see the module documentation).
fn score(m: &QualityMetrics, issues: &[ValidationIssue]) -> f64 {
    let comps = [
        (m.finite_fraction * 100.0, 0.25),
        (m.correlation_validity, 0.20),
        (m.signal_to_noise.min(100.0), 0.20),
        (m.symmetry_score, 0.15),
        (if m.time_consistency { 100.0 } else { 50.0 }, 0.10),
        ((1.0 - m.negative_fraction) * 100.0, 0.10),
    ];
    let base: f64 =
        comps.iter().map(|(s, w)| s * w).sum::<f64>() / comps.iter().map(|(_, w)| w).sum::<f64>();
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count() as f64;
    let warnings = issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .count() as f64;
    let bonus = if m.repair_success_rate > 0.0 {
        0.1 * m.repair_success_rate
    } else {
        0.0
    };
    let s = base - 10.0 * errors - 5.0 * warnings + bonus;
    if s.is_finite() {
        s.clamp(0.0, 100.0)
    } else {
        0.0
    }
}
