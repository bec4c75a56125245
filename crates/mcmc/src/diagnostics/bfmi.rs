//! Energy Bayesian fraction of missing information (Betancourt 2016), as ArviZ `bfmi`.

use ndarray::ArrayView2;

/// E-BFMI per chain from the Hamiltonian `energy` sample stat shaped (chain, draw):
/// `mean(diff(E)^2) / var(E)` (ddof = 0). Values below ~0.3 flag poor exploration of the
/// energy distribution. `NaN` for a chain with fewer than 2 draws, a non-finite energy or
/// constant energy.
pub fn ebfmi(energy: ArrayView2<f64>) -> Vec<f64> {
    energy
        .rows()
        .into_iter()
        .map(|row| {
            let n = row.len();
            if n < 2 || row.iter().any(|v| !v.is_finite()) {
                return f64::NAN;
            }
            let diffs = row
                .iter()
                .zip(row.iter().skip(1))
                .map(|(a, b)| (b - a) * (b - a))
                .sum::<f64>()
                / (n - 1) as f64;
            let mean = row.sum() / n as f64;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            if var > 0.0 { diffs / var } else { f64::NAN }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ebfmi;
    use ndarray::array;

    #[test]
    fn matches_hand_computation() {
        // diff^2 mean = (1 + 4 + 1)/3 = 2; var of [0,1,3,2] = 1.25 => 1.6
        let e = array![[0.0, 1.0, 3.0, 2.0], [1.0, 1.0, 1.0, 1.0]];
        let b = ebfmi(e.view());
        assert!((b[0] - 1.6).abs() < 1e-15);
        assert!(b[1].is_nan());
    }
}
