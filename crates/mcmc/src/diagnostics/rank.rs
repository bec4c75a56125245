//! Rank normalisation (arviz-stats `_z_scale`, `_backtransform_ranks`).

use ndarray::{Array2, ArrayView2};

use super::normal::inv_normal_cdf;

/// 1-based ranks of `values`, ties sharing their average rank (scipy `rankdata`
/// `method="average"`). Values must be non-NaN.
pub(crate) fn average_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Blom (1958) back-transformation with c = 3/8, pooled over all entries, then Phi^-1.
pub(crate) fn z_scale(ary: ArrayView2<f64>) -> Array2<f64> {
    let flat: Vec<f64> = ary.iter().copied().collect();
    let ranks = average_ranks(&flat);
    let c = 3.0 / 8.0;
    let size = flat.len() as f64;
    let z: Vec<f64> = ranks
        .iter()
        .map(|&r| inv_normal_cdf((r - c) / (size - 2.0 * c + 1.0)))
        .collect();
    Array2::from_shape_vec(ary.raw_dim(), z).expect("same element count")
}

#[cfg(test)]
mod tests {
    use super::average_ranks;

    #[test]
    fn ties_get_average_rank() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]),
            vec![4.0, 1.0, 4.0, 2.0, 4.0]
        );
        assert_eq!(average_ranks(&[0.5, -0.5]), vec![2.0, 1.0]);
    }
}
