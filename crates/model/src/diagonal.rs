//! Diagonal correction of two-time correlation matrices.
//!
//! The diagonal of a measured c2 matrix holds the (t, t) self-correlation, which is
//! dominated by shot noise and does not follow the model. The reference replaces it by a
//! value estimated from the neighbouring off-diagonals. `basic` is what the data pipeline
//! always applies after loading; `statistical` and `interpolation` are the
//! reference's alternative estimators, offered by the optional preprocessing pipeline.
//! Off-diagonal entries are never touched.

use ndarray::{ArrayViewMut2, ArrayViewMut3, Axis};

use crate::par::{Par, run_tiles};

/// Robust location estimator used by [`DiagonalMethod::Statistical`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimator {
    /// Median.
    Median,
    /// Arithmetic mean.
    Mean,
    /// Mean after dropping `fraction` of the values at each end (reference: 0.2).
    TrimmedMean {
        /// Fraction dropped at each end.
        fraction: f64,
    },
}

/// How the diagonal is re-estimated.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum DiagonalMethod {
    /// Mean of the two adjacent symmetrised side-band values (edges: one neighbour).
    #[default]
    Basic,
    /// Location estimate of the off-diagonal neighbours `C[i, i±k]`, `C[i±k, i]` for
    /// `k = 1..=max(1, window / 2)` (reference default: window 3, median).
    Statistical {
        /// Window width (half of it on each side, at least 1).
        window: usize,
        /// Location estimator.
        estimator: Estimator,
    },
    /// Mean of `C[i-1, i]` and `C[i+1, i]`; edges use `C[0, 1]` and `C[N-2, N-1]`.
    Interpolation,
}

/// Replace the diagonal of one square matrix in place. Matrices smaller than 2x2 are
/// left unchanged. Panics only if `matrix` is not square (a programming error: loaders
/// validate shapes before calling).
pub fn correct(mut matrix: ArrayViewMut2<f64>, method: &DiagonalMethod) {
    let n = matrix.nrows();
    assert_eq!(
        n,
        matrix.ncols(),
        "diagonal correction needs a square matrix"
    );
    if n < 2 {
        return;
    }
    let diag: Vec<f64> = match method {
        DiagonalMethod::Basic => {
            let side: Vec<f64> = (0..n - 1)
                .map(|i| 0.5 * (matrix[[i, i + 1]] + matrix[[i + 1, i]]))
                .collect();
            (0..n)
                .map(|i| {
                    if i == 0 {
                        side[0]
                    } else if i == n - 1 {
                        side[n - 2]
                    } else {
                        0.5 * (side[i - 1] + side[i])
                    }
                })
                .collect()
        }
        DiagonalMethod::Interpolation => (0..n)
            .map(|i| {
                if i == 0 {
                    matrix[[0, 1]]
                } else if i == n - 1 {
                    matrix[[n - 2, n - 1]]
                } else {
                    0.5 * (matrix[[i - 1, i]] + matrix[[i + 1, i]])
                }
            })
            .collect(),
        DiagonalMethod::Statistical { window, estimator } => {
            let half = (window / 2).max(1);
            let mut values = Vec::with_capacity(4 * half);
            (0..n)
                .map(|i| {
                    values.clear();
                    for k in 1..=half {
                        if i + k < n {
                            values.push(matrix[[i, i + k]]);
                            values.push(matrix[[i + k, i]]);
                        }
                        if i >= k {
                            values.push(matrix[[i, i - k]]);
                            values.push(matrix[[i - k, i]]);
                        }
                    }
                    locate(&mut values, *estimator)
                })
                .collect()
        }
    };
    for (i, d) in diag.into_iter().enumerate() {
        matrix[[i, i]] = d;
    }
}

/// The pipeline's mandatory correction: [`DiagonalMethod::Basic`] on one matrix.
pub fn correct_basic(matrix: ArrayViewMut2<f64>) {
    correct(matrix, &DiagonalMethod::Basic);
}

/// Correct every matrix of a (n_phi, n, n) stack, angles in parallel on the current
/// rayon pool ([`correct_batch_par`] with [`Par::rayon`]`(0)`).
pub fn correct_batch(stack: ArrayViewMut3<f64>, method: &DiagonalMethod) {
    correct_batch_par(stack, method, Par::rayon(0));
}

/// [`correct_batch`] with parallelism `par` (each matrix is corrected on its own, so the
/// result does not depend on `par`).
pub fn correct_batch_par(mut stack: ArrayViewMut3<f64>, method: &DiagonalMethod, par: Par) {
    run_tiles(
        par,
        stack.axis_iter_mut(Axis(0)).collect(),
        || (),
        |_, _, m| correct(m, method),
    );
}

/// [`correct_batch`] with the `basic` method.
pub fn correct_basic_batch(stack: ArrayViewMut3<f64>) {
    correct_batch(stack, &DiagonalMethod::Basic);
}

fn locate(values: &mut [f64], estimator: Estimator) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    match estimator {
        Estimator::Mean => values.iter().sum::<f64>() / n as f64,
        Estimator::Median => {
            values.sort_by(f64::total_cmp);
            if n % 2 == 1 {
                values[n / 2]
            } else {
                0.5 * (values[n / 2 - 1] + values[n / 2])
            }
        }
        Estimator::TrimmedMean { fraction } => {
            values.sort_by(f64::total_cmp);
            // scipy.stats.trim_mean: cut int(fraction * n) values from each end.
            let cut = ((fraction.clamp(0.0, 0.5)) * n as f64) as usize;
            let kept = &values[cut..n - cut.min(n / 2)];
            if kept.is_empty() {
                return 0.5 * (values[(n - 1) / 2] + values[n / 2]);
            }
            kept.iter().sum::<f64>() / kept.len() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array3};

    fn banded() -> Array2<f64> {
        // Off-diagonals 10, 11, 12 on the first side band.
        let mut m = Array2::<f64>::zeros((4, 4));
        for i in 0..3 {
            m[[i, i + 1]] = 10.0 + i as f64;
            m[[i + 1, i]] = 10.0 + i as f64;
        }
        m
    }

    #[test]
    fn basic_matches_reference_example() {
        let mut m = banded();
        let before = m.clone();
        correct_basic(m.view_mut());
        let d: Vec<f64> = m.diag().to_vec();
        assert_eq!(d, vec![10.0, 10.5, 11.5, 12.0]);
        for i in 0..4 {
            for j in 0..4 {
                if i != j {
                    assert_eq!(m[[i, j]].to_bits(), before[[i, j]].to_bits());
                }
            }
        }
    }

    #[test]
    fn identity_gets_zero_diagonal_and_uniform_stays() {
        let mut m = Array2::<f64>::eye(5);
        correct_basic(m.view_mut());
        assert!(m.diag().iter().all(|&v| v == 0.0));
        let mut u = Array2::from_elem((3, 3), 2.5);
        correct(u.view_mut(), &DiagonalMethod::Interpolation);
        assert!(u.diag().iter().all(|&v| v == 2.5));
    }

    #[test]
    fn small_matrices() {
        let mut one = Array2::from_elem((1, 1), 7.0);
        correct_basic(one.view_mut());
        assert_eq!(one[[0, 0]], 7.0);
        let mut two = Array2::from_shape_vec((2, 2), vec![9.0, 1.0, 3.0, 9.0]).unwrap();
        correct_basic(two.view_mut());
        assert_eq!(two.diag().to_vec(), vec![2.0, 2.0]);
    }

    #[test]
    fn statistical_median_ignores_outlier() {
        let mut m = Array2::from_elem((5, 5), 1.0);
        m[[2, 3]] = 100.0;
        correct(
            m.view_mut(),
            &DiagonalMethod::Statistical {
                window: 3,
                estimator: Estimator::Median,
            },
        );
        assert_eq!(m[[2, 2]], 1.0);
        let mut m2 = Array2::from_elem((5, 5), 1.0);
        m2[[2, 3]] = 101.0;
        correct(
            m2.view_mut(),
            &DiagonalMethod::Statistical {
                window: 3,
                estimator: Estimator::Mean,
            },
        );
        assert_eq!(m2[[2, 2]], 26.0);
    }

    #[test]
    fn interpolation_edges() {
        let mut m = banded();
        correct(m.view_mut(), &DiagonalMethod::Interpolation);
        assert_eq!(m.diag().to_vec(), vec![10.0, 10.5, 11.5, 12.0]);
    }

    #[test]
    fn batch_equals_single() {
        let mut stack = Array3::from_shape_fn((3, 6, 6), |(a, i, j)| {
            (a as f64 + 1.0) * ((i * 7 + j * 3) % 5) as f64
        });
        let mut single = stack.clone();
        correct_basic_batch(stack.view_mut());
        for a in 0..3 {
            correct_basic(single.index_axis_mut(Axis(0), a));
        }
        assert_eq!(stack, single);
    }
}
