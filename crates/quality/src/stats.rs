//! Order statistics shared by the preprocessing pipeline (robust normalisation) and the
//! quality controller's NaN repair, so that neither has to import the other.

/// numpy-style linear-interpolation percentile of a non-empty slice (reorders it).
pub(crate) fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let rank = p.clamp(0.0, 100.0) / 100.0 * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
}
