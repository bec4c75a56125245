//! The overall 0–100 quality score of a validated stage.
//!
//! Weighted mean of: finite fraction·100 (weight 0.25), correlation validity (0.20),
//! signal-to-noise score capped at 100 (0.20), symmetry score (0.15), time consistency
//! 100 or 50 (0.10) and non-negative fraction·100 (0.10); minus 10 per error and 5 per
//! warning; plus 0.1 · repair success rate; clamped to [0, 100] (0 if not finite).
//! Deliberate deviation from the Python reference: its score also mixes in a q-range
//! validity that its loader never sets, which is left out here. Kept in its own module
//! because the formula is the one number every user sees and must be easy to audit.

use crate::metrics::QualityMetrics;
use crate::qc_outcome::{Severity, ValidationIssue};

/// The overall 0–100 score of a validated stage (rule in the module documentation).
pub(crate) fn score(m: &QualityMetrics, issues: &[ValidationIssue]) -> f64 {
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
