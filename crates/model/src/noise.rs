//! What the data say about their own noise: whether the two triangles of a c2 matrix
//! are one measurement ([`is_symmetric`]), and the noise level of each angle
//! ([`estimate_sigma`]).
//!
//! Both read c2 alone (no model, no fit), are deterministic, and cost O(n_phi n_t^2).

use ndarray::{ArrayView2, ArrayView3, Axis};

use crate::data::C2Value;
use crate::par::{Par, run_tiles};

/// Consistency factor of the median absolute deviation for Gaussian data:
/// `sigma = MAD_TO_SIGMA * median(|x - median(x)|)`.
pub const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// Clipping limit of the second step, in units of the MAD scale.
const CLIP: f64 = 3.5;
/// Variance of a unit Gaussian truncated to [-CLIP, CLIP].
const TRUNCATED_VARIANCE: f64 = 0.993_888_377_652_523_5;

/// Fewest second differences an angle needs for an estimate (else its sigma is NaN).
pub const MIN_DIFFERENCES: usize = 16;

/// Smallest sigma reported, relative to the angle's mean |c2|: about the resolution of
/// the float32 values APS files store. Noise-free data (a simulation) would otherwise
/// give sigma = 0, which weighs nothing.
pub const SIGMA_FLOOR_RELATIVE: f64 = 1e-7;

/// True when every angle's matrix equals its transpose: `c2[a, i, j] == c2[a, j, i]`
/// exactly for every `i != j` (two NaNs count as equal; a NaN facing a number does not).
///
/// APS correlator files store half matrices and the loader rebuilds
/// `c2 = half + half^T`, so their two triangles are one measurement, not two: the
/// fit must then count each unordered pair (i < j) once. Data with independent noise in
/// every element (simulations, some NPZ inputs) are not symmetric and keep both.
/// Compared block by block (cache friendly), stopping at the first difference.
pub fn is_symmetric<T: C2Value>(c2: ArrayView3<'_, T>) -> bool {
    let (n_phi, n, m) = c2.dim();
    if n != m {
        return false;
    }
    (0..n_phi).all(|a| matrix_is_symmetric(c2.index_axis(Axis(0), a)))
}

fn matrix_is_symmetric<T: C2Value>(m: ArrayView2<'_, T>) -> bool {
    const B: usize = 32;
    let n = m.nrows();
    let same = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
    for bi in (0..n).step_by(B) {
        for bj in (bi..n).step_by(B) {
            for i in bi..(bi + B).min(n) {
                for j in bj.max(i + 1)..(bj + B).min(n) {
                    if !same(m[[i, j]].into(), m[[j, i]].into()) {
                        return false;
                    }
                }
            }
        }
    }
    true
}

impl crate::data::C2View<'_> {
    /// [`is_symmetric`] on the stored values.
    pub fn is_symmetric(&self) -> bool {
        match self {
            crate::data::C2View::F64(v) => is_symmetric(*v),
            crate::data::C2View::F32(v) => is_symmetric(*v),
        }
    }

    /// [`estimate_sigma`] on the stored values.
    pub fn estimate_sigma(&self, par: Par) -> Vec<f64> {
        match self {
            crate::data::C2View::F64(v) => estimate_sigma(*v, par),
            crate::data::C2View::F32(v) => estimate_sigma(*v, par),
        }
    }
}

/// Noise level sigma of each angle, measured from the data alone.
///
/// **Estimator.** For each angle, the second differences along the diagonal direction
/// of the upper triangle, at lags of three frames or more,
///
/// ```text
/// d = c2[i-1, j-1] - 2 c2[i, j] + c2[i+1, j+1]      for j - i >= 3
/// ```
///
/// The three points have the same lag `j - i`, so a stationary model (c2 a function of
/// the lag) contributes exactly nothing and an ageing one very little; and they share no
/// frame, so noise common to all elements of a row or column of the matrix (every
/// `c2[i, .]` is normalised by frame i's intensity) enters `d` in full instead of
/// cancelling as it would along a row. For independent noise of standard deviation sigma
/// per element, `var(d) = (1 + 4 + 1) sigma^2 = 6 sigma^2`. Two steps:
///
/// ```text
/// s0    = 1.4826 * median(|d - median(d)|)                    (MAD, robust start)
/// sigma = sqrt( mean over |d - median(d)| <= 3.5 s0 of (d - mean)^2 / k ) / sqrt(6)
/// ```
///
/// with `k = 0.99389` the variance of a unit Gaussian truncated at +-3.5 (so sigma is
/// consistent for Gaussian noise). The MAD alone rejects outliers but is inefficient
/// (37 %); the clipped variance keeps that robustness to large model contributions and
/// is nearly efficient: on 60 frames the estimate scatters by 2.3 % (MAD: 3.3 %).
///
/// Differences with a non-finite point are skipped; an angle with fewer than
/// [`MIN_DIFFERENCES`] differences gets NaN; an estimate below [`SIGMA_FLOOR_RELATIVE`]
/// times the angle's mean |c2| (upper triangle) is raised to it. Deterministic: medians
/// are exact order statistics and sums run in a fixed order (no thread-order dependence);
/// angles run in parallel with `par`.
///
/// Accuracy: for Gaussian noise the estimate is unbiased to well below 1 % once the decay
/// occupies a small part of the grid, with a relative standard error of about
/// `1 / sqrt(n_differences)` per angle (about n_t^2 / 2 differences; tested within 5 % on
/// 3 x 60 frames). Noise correlated over several neighbouring frames (c2 computed from
/// slowly decorrelating speckle frames) is still partly underestimated, and a smooth
/// model misfit does not inflate the estimate, which is what makes the reduced chi^2
/// computed with it a test of the model.
pub fn estimate_sigma<T: C2Value>(c2: ArrayView3<'_, T>, par: Par) -> Vec<f64> {
    let n_phi = c2.len_of(Axis(0));
    run_tiles(
        par,
        (0..n_phi).collect(),
        || (Vec::new(), Vec::new()),
        |scratch, _, a| angle_sigma(c2.index_axis(Axis(0), a), scratch),
    )
}

/// sigma of one angle (see [`estimate_sigma`]); `scratch` holds the differences and
/// their deviations.
fn angle_sigma<T: C2Value>(m: ArrayView2<'_, T>, scratch: &mut (Vec<f64>, Vec<f64>)) -> f64 {
    let (d, work) = scratch;
    let n = m.nrows().min(m.ncols());
    d.clear();
    let (mut level, mut count) = (0.0, 0usize);
    for i in 0..n {
        let row = m.row(i);
        for j in (i + 1)..n {
            let v: f64 = row[j].into();
            if v.is_finite() {
                level += v.abs();
                count += 1;
            }
        }
        // Along the diagonal direction: (i-1, j-1), (i, j), (i+1, j+1) with lag j - i >= 3.
        if i >= 1 {
            for j in (i + 3)..n.saturating_sub(1) {
                let at = |i: usize, j: usize| -> f64 { m[[i, j]].into() };
                let v = at(i - 1, j - 1) - 2.0 * at(i, j) + at(i + 1, j + 1);
                if v.is_finite() {
                    d.push(v);
                }
            }
        }
    }
    if d.len() < MIN_DIFFERENCES {
        return f64::NAN;
    }
    work.clear();
    work.extend_from_slice(d);
    let center = median(work);
    work.iter_mut().for_each(|v| *v = (*v - center).abs());
    let limit = CLIP * MAD_TO_SIGMA * median(work);
    let kept = || d.iter().copied().filter(|v| (v - center).abs() <= limit);
    let n_kept = kept().count().max(1) as f64;
    let mean = kept().sum::<f64>() / n_kept;
    let variance = kept().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n_kept;
    let sigma = (variance / TRUNCATED_VARIANCE / 6.0).sqrt();
    let floor = SIGMA_FLOOR_RELATIVE * level / count.max(1) as f64;
    sigma.max(floor)
}

/// Exact median (mean of the two middle values for an even count); reorders `v`.
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    let k = n / 2;
    let (_, &mut upper, _) = v.select_nth_unstable_by(k, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        // The lower middle value is the largest of the first k.
        let lower = v[..k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + upper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn median_is_exact() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [5.0]), 5.0);
    }

    #[test]
    fn symmetry_is_exact() {
        let mut c2 = Array3::from_shape_fn((2, 70, 70), |(a, i, j)| {
            (a + i.min(j) * 3 + i.max(j) * 7) as f64
        });
        assert!(is_symmetric(c2.view()));
        c2[[1, 5, 60]] = f64::NAN;
        assert!(!is_symmetric(c2.view()));
        c2[[1, 60, 5]] = f64::NAN;
        assert!(is_symmetric(c2.view()));
        c2[[0, 69, 40]] += 1e-12;
        assert!(!is_symmetric(c2.view()));
        // The diagonal is not compared.
        let mut d = Array3::<f64>::zeros((1, 3, 3));
        d[[0, 1, 1]] = 5.0;
        assert!(is_symmetric(d.view()));
    }

    #[test]
    fn too_few_points_give_nan_and_noise_free_data_the_floor() {
        let c2 = Array3::<f64>::zeros((1, 5, 5));
        assert!(estimate_sigma(c2.view(), Par::Seq)[0].is_nan());
        let flat = Array3::<f64>::from_elem((2, 30, 30), 2.0);
        assert_eq!(estimate_sigma(flat.view(), Par::Seq), vec![2e-7; 2]);
    }
}
