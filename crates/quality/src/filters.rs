//! 2-D smoothing filters applied per c2 matrix by the preprocessing noise-reduction stage:
//! a median filter with a square `size × size` window and a separable Gaussian filter
//! (`sigma`, kernel truncated at `truncate · sigma`). Both use scipy.ndimage's default
//! boundary mode `reflect` (`d c b a | a b c d | d c b a`), so results match
//! `scipy.ndimage.median_filter(m, size)` / `gaussian_filter(m, sigma)` on finite data.
//! Kept apart from the pipeline because they are plain array functions with their own tests.

use ndarray::{Array2, ArrayView2, Axis};

/// Index into `0..n` for a possibly out-of-range `i` under scipy's `reflect` mode
/// (half-sample symmetric, periodic with period `2n`). `n` must be > 0.
pub(crate) fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let p = 2 * n;
    let mut k = i.rem_euclid(p);
    if k >= n {
        k = p - 1 - k;
    }
    k as usize
}

/// Median filter with a `size × size` window (window offsets `-(size/2) ..
/// size - size/2 - 1`, like scipy). The median is the element of rank `len / 2` of the
/// sorted finite window values (scipy's rank for even windows); a window without finite
/// values gives NaN. `size == 0` or `1` returns a copy. Borders use scipy.ndimage's
/// `reflect` mode (`d c b a | a b c d | d c b a`), so on finite data the result equals
/// `scipy.ndimage.median_filter(m, size)`.
pub fn median_filter(m: ArrayView2<f64>, size: usize) -> Array2<f64> {
    let (r, c) = m.dim();
    if size <= 1 || r == 0 || c == 0 {
        return m.to_owned();
    }
    let lo = (size / 2) as isize;
    let hi = (size - size / 2) as isize; // exclusive
    let mut out = Array2::<f64>::zeros((r, c));
    let mut buf: Vec<f64> = Vec::with_capacity(size * size);
    for i in 0..r {
        for j in 0..c {
            buf.clear();
            for di in -lo..hi {
                let ii = reflect(i as isize + di, r);
                let row = m.row(ii);
                for dj in -lo..hi {
                    let v = row[reflect(j as isize + dj, c)];
                    if v.is_finite() {
                        buf.push(v);
                    }
                }
            }
            out[[i, j]] = if buf.is_empty() {
                f64::NAN
            } else {
                let k = buf.len() / 2;
                *buf.select_nth_unstable_by(k, f64::total_cmp).1
            };
        }
    }
    out
}

/// Normalised 1-D Gaussian kernel of radius `round(truncate · sigma)` (scipy's
/// `int(truncate * sigma + 0.5)`).
pub(crate) fn gaussian_kernel(sigma: f64, truncate: f64) -> Vec<f64> {
    let radius = (truncate * sigma + 0.5).floor().max(0.0) as usize;
    let s2 = 2.0 * sigma * sigma;
    let mut w: Vec<f64> = (0..=2 * radius)
        .map(|k| {
            let x = k as f64 - radius as f64;
            (-x * x / s2).exp()
        })
        .collect();
    let sum: f64 = w.iter().sum();
    for v in &mut w {
        *v /= sum;
    }
    w
}

/// Separable Gaussian filter (axis 0 then axis 1). `sigma <= 0` or non-finite returns a
/// copy. Non-finite values propagate to the cells whose kernel covers them (as scipy).
/// The kernel is truncated at `truncate · sigma` and borders use scipy.ndimage's `reflect`
/// mode, so on finite data the result equals `scipy.ndimage.gaussian_filter(m, sigma,
/// truncate=truncate)`.
pub fn gaussian_filter(m: ArrayView2<f64>, sigma: f64, truncate: f64) -> Array2<f64> {
    let (r, c) = m.dim();
    if !sigma.is_finite() || sigma <= 0.0 || r == 0 || c == 0 {
        return m.to_owned();
    }
    let truncate = if truncate.is_finite() && truncate > 0.0 {
        truncate
    } else {
        4.0
    };
    let w = gaussian_kernel(sigma, truncate);
    let radius = (w.len() / 2) as isize;
    let pass = |src: ArrayView2<f64>, axis: Axis| -> Array2<f64> {
        let mut out = Array2::<f64>::zeros(src.dim());
        let n = src.len_of(axis);
        for (lane_in, mut lane_out) in src.lanes(axis).into_iter().zip(out.lanes_mut(axis)) {
            for k in 0..n {
                let mut acc = 0.0;
                for (t, wt) in w.iter().enumerate() {
                    acc += wt * lane_in[reflect(k as isize + t as isize - radius, n)];
                }
                lane_out[k] = acc;
            }
        }
        out
    };
    let tmp = pass(m, Axis(0));
    pass(tmp.view(), Axis(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn reflect_matches_scipy() {
        let idx: Vec<usize> = (-4..8).map(|i| reflect(i, 4)).collect();
        assert_eq!(idx, vec![3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
        assert_eq!(reflect(-1, 1), 0);
        assert_eq!(reflect(5, 1), 0);
    }

    #[test]
    fn median_removes_spike_and_keeps_constant() {
        let mut m = Array2::from_elem((7, 7), 1.0);
        m[[3, 3]] = 100.0;
        let f = median_filter(m.view(), 3);
        assert!(f.iter().all(|&v| v == 1.0));
        // scipy.ndimage.median_filter([[1,2,3],[4,5,6],[7,8,9]], size=3)
        let m = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]];
        let f = median_filter(m.view(), 3);
        assert_eq!(f, array![[2.0, 3.0, 3.0], [4.0, 5.0, 6.0], [7.0, 7.0, 8.0]]);
    }

    #[test]
    fn gaussian_preserves_constant_and_mass() {
        let m = Array2::from_elem((5, 6), 2.5);
        let f = gaussian_filter(m.view(), 1.3, 4.0);
        assert!(f.iter().all(|&v| (v - 2.5).abs() < 1e-12));
        let w = gaussian_kernel(1.0, 4.0);
        assert_eq!(w.len(), 9);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        // Impulse in the middle of a big grid: output sums to 1 and is symmetric.
        let mut m = Array2::<f64>::zeros((21, 21));
        m[[10, 10]] = 1.0;
        let f = gaussian_filter(m.view(), 1.0, 4.0);
        assert!((f.sum() - 1.0).abs() < 1e-12);
        assert!((f[[9, 10]] - f[[11, 10]]).abs() < 1e-15);
        assert!((f[[10, 9]] - f[[9, 10]]).abs() < 1e-15);
        // scipy.ndimage.gaussian_filter1d(delta, 1.0) peak = 0.3989...·(normalised)
        assert!((f[[10, 10]] - w[4] * w[4]).abs() < 1e-15);
    }
}
