//! Small dense symmetric linear algebra on row-major `P x P` matrices (P <= ~100):
//! eigen-decomposition via faer, pseudo-inverse, condition numbers.

use faer::{Mat, Side};

use crate::error::NlsqError;

/// Eigen-decomposition of a symmetric row-major matrix: eigenvalues in ascending order
/// and eigenvectors (eigenvector `e` in column `e`, row-major `n x n`).
pub fn symmetric_eigen(a: &[f64], n: usize) -> Result<(Vec<f64>, Vec<f64>), NlsqError> {
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(NlsqError::Linalg("matrix has non-finite entries".into()));
    }
    // Symmetrise (accumulation order can leave 1-ulp asymmetries).
    let m = Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (a[i * n + j] + a[j * n + i]));
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| NlsqError::Linalg(format!("eigen-decomposition failed: {e:?}")))?;
    let s = evd.S().column_vector();
    let u = evd.U();
    let values = (0..n).map(|i| s[i]).collect();
    let mut vectors = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            vectors[i * n + j] = u[(i, j)];
        }
    }
    Ok((values, vectors))
}

/// Moore-Penrose pseudo-inverse of a symmetric positive semi-definite matrix; eigenvalues
/// below `rcond * largest` are treated as zero. Returns the inverse and the number of
/// eigenvalues dropped.
pub fn pinv_symmetric(a: &[f64], n: usize, rcond: f64) -> Result<(Vec<f64>, usize), NlsqError> {
    let (values, vectors) = symmetric_eigen(a, n)?;
    let largest = values.iter().cloned().fold(0.0, f64::max);
    let cutoff = rcond * largest;
    let mut out = vec![0.0; n * n];
    let mut dropped = 0;
    for (e, &lambda) in values.iter().enumerate() {
        if lambda <= cutoff || lambda <= 0.0 {
            dropped += 1;
            continue;
        }
        for i in 0..n {
            let vi = vectors[i * n + e] / lambda;
            if vi == 0.0 {
                continue;
            }
            for j in 0..n {
                out[i * n + j] += vi * vectors[j * n + e];
            }
        }
    }
    Ok((out, dropped))
}

/// Condition number `lambda_max / lambda_min` of a symmetric PSD matrix (infinite when
/// singular).
pub fn condition_number(a: &[f64], n: usize) -> Result<f64, NlsqError> {
    let (values, _) = symmetric_eigen(a, n)?;
    let hi = values.iter().cloned().fold(0.0, f64::max);
    let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
    Ok(if lo > 0.0 { hi / lo } else { f64::INFINITY })
}

/// `D A D` with `D = diag(1/sqrt(diag A))` (zero diagonal entries left unscaled): the
/// scale-free (correlation-like) form of a normal matrix.
pub fn unit_diagonal(a: &[f64], n: usize) -> Vec<f64> {
    let d: Vec<f64> = (0..n)
        .map(|i| {
            let v = a[i * n + i];
            if v > 0.0 { 1.0 / v.sqrt() } else { 1.0 }
        })
        .collect();
    let mut out = a.to_vec();
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] *= d[i] * d[j];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_and_pinv() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0];
        let (w, v) = symmetric_eigen(&a, 3).unwrap();
        assert!(w[0] <= w[1] && w[1] <= w[2]);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|e| v[i * 3 + e] * w[e] * v[j * 3 + e]).sum();
                assert!((r - a[i * 3 + j]).abs() < 1e-12);
            }
        }
        let (inv, dropped) = pinv_symmetric(&a, 3, 1e-15).unwrap();
        assert_eq!(dropped, 0);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((r - f64::from(i == j)).abs() < 1e-12);
            }
        }
        // Singular: pinv drops one direction.
        let s = [1.0, 1.0, 1.0, 1.0];
        let (inv, dropped) = pinv_symmetric(&s, 2, 1e-12).unwrap();
        assert_eq!(dropped, 1);
        assert!((inv[0] - 0.25).abs() < 1e-12);
        assert!(condition_number(&s, 2).unwrap() > 1e12);
    }
}
