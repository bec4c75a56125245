//! Validation rules of the quality controller: which issues a stage raises from its
//! metrics (integrity checks at every level, then coverage, preprocessing and physics
//! checks depending on the stage and the validation level), and the recommendations that
//! follow. Kept apart so the rule set can be read and changed in one place, separate from
//! the repair and scoring code.

use crate::metrics::QualityMetrics;
use crate::qc_config::{QualityControlConfig, ValidationLevel};
use crate::qc_outcome::{
    QualityControlResult, QualityStage, QualityStatus, RepairRecord, Severity, ValidationIssue,
};

/// Issues raised at `stage` from the metrics `m`. Integrity issues (empty or non-square
/// matrices, non-finite and negative values) are raised at every level; `standard` adds the
/// checks of the stage (all of them at the final stage), `comprehensive` the checks of
/// every stage. `previous` enables the retention check.
pub(crate) fn issues_for(
    config: &QualityControlConfig,
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
    let level = config.validation_level;
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
                format!("time/angle arrays inconsistent with c2 of shape ({n_phi}, {n1}, {n2})"),
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

/// Recommendations for a validated stage: one line per low metric, one per repair
/// applied, and (final stage only) a verdict for the score band.
pub(crate) fn recommendations(
    config: &QualityControlConfig,
    stage: QualityStage,
    m: &QualityMetrics,
    repairs: &[RepairRecord],
) -> Vec<String> {
    let c = config;
    let mut r = Vec::new();
    if m.overall_score < c.pass_threshold {
        r.push("Data quality below acceptable threshold - review preprocessing settings".into());
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
