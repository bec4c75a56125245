//! Sample quantiles as numpy's default `method="linear"` (Hyndman & Fan type 7).

/// Quantile `p` of already sorted finite values, with numpy's virtual index and `_lerp`
/// (which interpolates from the upper neighbour when the fraction is >= 0.5), so values
/// agree with `np.quantile` to the last bit in ordinary cases.
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    // numpy `_compute_virtual_index` with alpha = beta = 1.
    let virtual_index = n as f64 * p + (1.0 - p) - 1.0;
    let below = virtual_index.floor().clamp(0.0, (n - 1) as f64);
    let lo = below as usize;
    let hi = (lo + 1).min(n - 1);
    let t = (virtual_index - below).clamp(0.0, 1.0);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Sorted copy of the values (total order; callers reject NaN first).
pub(crate) fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

#[cfg(test)]
mod tests {
    use super::quantile_sorted;

    #[test]
    fn type7_interpolation() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
        assert_eq!(quantile_sorted(&x, 1.0), 4.0);
        assert_eq!(quantile_sorted(&x, 0.5), 2.5);
        // np.quantile([1,2,3,4], 0.05) = 1.15
        assert!((quantile_sorted(&x, 0.05) - 1.15).abs() < 1e-15);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }
}
