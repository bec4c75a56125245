//! Scattering-angle handling: normalisation of phi to (−180, 180] and the CLI
//! `phi_filtering.target_ranges` selection (inclusive ranges, wrapped when min > max,
//! OR across ranges, order preserved). Ranges that keep no angle are an error listing the
//! angles, unless `fallback_to_all` (the reference templates' `fallback_to_all_angles:
//! true`) asks for every angle, which is then said in a warning naming ranges and angles.

use serde::{Deserialize, Serialize};

use crate::error::{fmt_list, fmt_sig};

/// Normalise an angle in degrees to (−180, 180]: `φ mod 360`, minus 360 when above 180
/// (so −180 → 180, 210 → −150, 360 → 0), with Python's modulo semantics.
pub(crate) fn normalize_phi(phi: f64) -> f64 {
    let mut r = phi.rem_euclid(360.0);
    if r > 180.0 {
        r -= 360.0;
    }
    // Turn −0.0 into 0.0.
    r + 0.0
}

/// One `phi_filtering.target_ranges` entry, in degrees (inclusive at both ends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhiRange {
    /// Lower bound (degrees); normalised to (−180, 180] before comparing.
    pub min_angle: f64,
    /// Upper bound (degrees); normalised to (−180, 180] before comparing. A normalised
    /// upper bound below the lower one makes the range wrap through ±180.
    pub max_angle: f64,
}

impl Default for PhiRange {
    fn default() -> Self {
        Self {
            min_angle: -180.0,
            max_angle: 180.0,
        }
    }
}

impl PhiRange {
    /// Whether the (already normalised) angle lies in this range. Bounds are normalised the
    /// same way; `min > max` after normalisation means the range wraps through ±180.
    /// A range spanning a full turn or more matches every angle (the reference would
    /// normalise [−180, 180] to [180, 180]; we keep the evident meaning).
    pub fn contains(&self, phi_normalized: f64) -> bool {
        if self.max_angle - self.min_angle >= 360.0 {
            return true;
        }
        let lo = normalize_phi(self.min_angle);
        let hi = normalize_phi(self.max_angle);
        if lo <= hi {
            lo <= phi_normalized && phi_normalized <= hi
        } else {
            phi_normalized >= lo || phi_normalized <= hi
        }
    }
}

/// The CLI `phi_filtering` options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhiFilterOptions {
    /// Whether filtering is applied at all (off: every angle is kept).
    pub enabled: bool,
    /// Ranges an angle must fall in (any of them) to be kept; empty keeps every angle.
    pub target_ranges: Vec<PhiRange>,
    /// When the ranges keep no angle: keep every angle with a warning naming the ranges
    /// and the angles (true; `phi_filtering.fallback_to_all_angles`, which the
    /// reference's templates set), or fail with [`crate::DataError::NoAngleInRanges`]
    /// (false, the default).
    #[serde(default)]
    pub fallback_to_all: bool,
}

impl PhiFilterOptions {
    /// The ranges as text for messages: `[-10, 10], [170, -170]`.
    pub fn ranges_text(&self) -> String {
        self.target_ranges
            .iter()
            .map(|r| format!("[{}, {}]", fmt_sig(r.min_angle), fmt_sig(r.max_angle)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Angles the reference checks coverage of, to warn about unusual range sets.
const REFERENCE_ANGLES: [f64; 9] = [0.0, 30.0, 45.0, 60.0, 90.0, 120.0, 135.0, 150.0, 180.0];

/// Indices of the (normalised) angles kept by `options`, in their original order.
/// Disabled filtering or no ranges keep every angle. No match gives `None` unless
/// `fallback_to_all` (then every angle, with a warning naming the ranges and angles).
pub(crate) fn phi_filter_indices(
    phi_normalized: &[f64],
    options: &PhiFilterOptions,
) -> Option<Vec<usize>> {
    let all: Vec<usize> = (0..phi_normalized.len()).collect();
    if !options.enabled || options.target_ranges.is_empty() {
        return Some(all);
    }
    if !REFERENCE_ANGLES
        .iter()
        .any(|&a| options.target_ranges.iter().any(|r| r.contains(a)))
    {
        tracing::warn!("phi_filtering.target_ranges cover none of the usual angles 0..180");
    }
    let kept: Vec<usize> = phi_normalized
        .iter()
        .enumerate()
        .filter(|(_, phi)| options.target_ranges.iter().any(|r| r.contains(**phi)))
        .map(|(i, _)| i)
        .collect();
    if kept.is_empty() {
        if !options.fallback_to_all || phi_normalized.is_empty() {
            return None;
        }
        tracing::warn!(
            "phi_filtering.target_ranges {} select none of the {} angles ({} degrees): \
             fitting all of them (phi_filtering.fallback_to_all_angles: true)",
            options.ranges_text(),
            phi_normalized.len(),
            fmt_list(phi_normalized)
        );
        return Some(all);
    }
    Some(kept)
}

/// Warn about angles whose magnitude exceeds a full turn (probably not degrees).
pub(crate) fn warn_on_large_angles(phi: &[f64]) {
    if let Some(big) = phi.iter().find(|p| p.abs() > 360.0) {
        tracing::warn!(phi = big, "phi angle beyond ±360 degrees; check the units");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_follows_python_modulo() {
        let cases = [
            (210.0, -150.0),
            (-210.0, 150.0),
            (360.0, 0.0),
            (180.0, 180.0),
            (-180.0, 180.0),
            (-360.0, 0.0),
            (0.0, 0.0),
            (-90.0, -90.0),
            (540.0, 180.0),
        ];
        for (input, want) in cases {
            let got = normalize_phi(input);
            assert_eq!(got, want, "{input}");
            assert!(got.is_sign_positive() || got < 0.0);
        }
    }

    fn opts(ranges: &[(f64, f64)]) -> PhiFilterOptions {
        PhiFilterOptions {
            enabled: true,
            target_ranges: ranges
                .iter()
                .map(|&(min_angle, max_angle)| PhiRange {
                    min_angle,
                    max_angle,
                })
                .collect(),
            fallback_to_all: false,
        }
    }

    #[test]
    fn ranges_inclusive_or_and_wrapped() {
        let phi = [0.0, 10.0, 90.0, 175.0, -175.0, -10.0, 170.0];
        assert_eq!(
            phi_filter_indices(&phi, &opts(&[(170.0, -170.0)])),
            Some(vec![3, 4, 6])
        );
        assert_eq!(
            phi_filter_indices(&phi, &opts(&[(-10.0, 10.0), (85.0, 95.0)])),
            Some(vec![0, 1, 2, 5])
        );
        // Overlapping ranges do not duplicate.
        assert_eq!(
            phi_filter_indices(&phi, &opts(&[(-10.0, 10.0), (0.0, 10.0)])),
            Some(vec![0, 1, 5])
        );
        // No match: nothing, or everything when falling back; disabled keeps everything.
        assert_eq!(phi_filter_indices(&phi, &opts(&[(40.0, 50.0)])), None);
        let mut fallback = opts(&[(40.0, 50.0)]);
        fallback.fallback_to_all = true;
        assert_eq!(phi_filter_indices(&phi, &fallback).unwrap().len(), 7);
        let mut disabled = opts(&[(40.0, 50.0)]);
        disabled.enabled = false;
        assert_eq!(phi_filter_indices(&phi, &disabled).unwrap().len(), 7);
        assert_eq!(
            phi_filter_indices(&phi, &opts(&[(-180.0, 180.0)]))
                .unwrap()
                .len(),
            7
        );
        assert_eq!(
            opts(&[(-10.0, 10.0), (170.0, -170.5)]).ranges_text(),
            "[-10, 10], [170, -170.5]"
        );
        // Range bounds are normalised too: [190, 200] is [-170, -160].
        assert_eq!(
            phi_filter_indices(&[-165.0, 10.0], &opts(&[(190.0, 200.0)])),
            Some(vec![0])
        );
    }
}
