//! Numerical helpers for the heatmaps: percentile colour limits over the finite values
//! of a matrix, and block-averaging of a matrix onto the output pixel grid (so a
//! 1000×1000 matrix costs one pass over its cells, and a 2×2 matrix is upsampled by
//! nearest neighbour).

use ndarray::ArrayView2;

/// How the colour range of a heatmap is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColorLimits {
    /// Fixed limits `[min, max]` (both finite, `min <= max`).
    Fixed {
        /// Lower limit.
        min: f64,
        /// Upper limit.
        max: f64,
    },
    /// Percentiles (0–100, numpy "linear" interpolation) of the finite values.
    Percentile {
        /// Lower percentile (0–100).
        low: f64,
        /// Upper percentile (0–100).
        high: f64,
    },
}

impl Default for ColorLimits {
    /// The 1st–99th percentile, as in `plotting.color_scale.percentile_min/max`.
    fn default() -> Self {
        ColorLimits::Percentile {
            low: 1.0,
            high: 99.0,
        }
    }
}

/// The `p`-th percentile (0–100, linear interpolation between order statistics as in
/// numpy's default) of the finite values of `data`; `None` when there are none.
pub fn percentile<'a, I>(data: I, p: f64) -> Option<f64>
where
    I: IntoIterator<Item = &'a f64>,
{
    let mut v: Vec<f64> = data
        .into_iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    percentile_of_vec(&mut v, p)
}

/// Percentile of the (finite) values in `v`; reorders `v`.
pub(crate) fn percentile_of_vec(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() || !p.is_finite() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = p / 100.0 * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let frac = rank - lo as f64;
    let (_, &mut a, right) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let b = if hi == lo || frac == 0.0 {
        a
    } else {
        // The next order statistic is the minimum of the right part.
        right.iter().copied().fold(f64::INFINITY, f64::min)
    };
    Some(a + (b - a) * frac)
}

/// Resolves colour limits for `data`; the result always satisfies `min < max`.
/// Returns `(0, 1)` when percentiles are requested and no value is finite.
pub(crate) fn resolve_limits(data: ArrayView2<f64>, limits: ColorLimits) -> (f64, f64) {
    let (lo, hi) = match limits {
        ColorLimits::Fixed { min, max } => (min, max),
        ColorLimits::Percentile { low, high } => {
            let mut v: Vec<f64> = data.iter().copied().filter(|x| x.is_finite()).collect();
            let (low, high) = if low <= high {
                (low, high)
            } else {
                (high, low)
            };
            match (
                percentile_of_vec(&mut v, low),
                percentile_of_vec(&mut v, high),
            ) {
                (Some(a), Some(b)) => (a, b),
                _ => (0.0, 1.0),
            }
        }
    };
    widen(lo, hi)
}

/// Symmetric limits `[-q, q]` for residual maps, `q` = the `high` percentile of the
/// absolute finite values (or of `max(|min|,|max|)` for fixed limits).
pub(crate) fn symmetric_limits(data: ArrayView2<f64>, limits: ColorLimits) -> (f64, f64) {
    let q = match limits {
        ColorLimits::Fixed { min, max } => min.abs().max(max.abs()),
        ColorLimits::Percentile { low, high } => {
            let mut v: Vec<f64> = data
                .iter()
                .filter(|x| x.is_finite())
                .map(|x| x.abs())
                .collect();
            percentile_of_vec(&mut v, high.max(low)).unwrap_or(1.0)
        }
    };
    let q = if q.is_finite() && q > 0.0 { q } else { 1.0 };
    (-q, q)
}

/// Makes sure `lo < hi` with both finite (degenerate ranges are widened around their
/// centre).
pub(crate) fn widen(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo.min(hi), lo.max(hi)),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => (0.0, 1.0),
    };
    if hi > lo {
        let span = hi - lo;
        // Guard against spans that vanish relative to the magnitudes.
        if span > 1e-12 * lo.abs().max(hi.abs()) {
            return (lo, hi);
        }
    }
    let c = 0.5 * (lo + hi);
    let d = (c.abs() * 1e-3).max(1e-12);
    (c - d, c + d)
}

/// Index bounds `[lo, hi)` of the source cells that output pixel `k` of `pixels` covers.
fn block_bounds(n: usize, pixels: usize) -> Vec<(usize, usize)> {
    (0..pixels)
        .map(|k| {
            let lo = (k * n / pixels).min(n - 1);
            let hi = ((k + 1) * n / pixels).clamp(lo + 1, n);
            (lo, hi)
        })
        .collect()
}

/// Block-averages `m` onto a `width × height` pixel grid, row-major from the top row.
/// The first matrix index runs along x (left → right), the second along y (bottom →
/// top). Non-finite cells are ignored; a pixel whose block has no finite cell is NaN.
/// `m` must be non-empty and `width, height >= 1`.
pub(crate) fn downsample(m: ArrayView2<f64>, width: usize, height: usize) -> Vec<f64> {
    let (nx, ny) = m.dim();
    let mut out = vec![f64::NAN; width * height];
    if nx == 0 || ny == 0 || width == 0 || height == 0 {
        return out;
    }
    let xb = block_bounds(nx, width);
    let yb = block_bounds(ny, height);
    for (px, &(ilo, ihi)) in xb.iter().enumerate() {
        for (py_from_bottom, &(jlo, jhi)) in yb.iter().enumerate() {
            let mut sum = 0.0;
            let mut count = 0usize;
            for i in ilo..ihi {
                let row = m.row(i);
                for j in jlo..jhi {
                    let v = row[j];
                    if v.is_finite() {
                        sum += v;
                        count += 1;
                    }
                }
            }
            if count > 0 {
                let py = height - 1 - py_from_bottom;
                out[py * width + px] = sum / count as f64;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn percentile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0, f64::NAN, f64::INFINITY];
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(4.0));
        assert!((percentile(&v, 50.0).unwrap() - 2.5).abs() < 1e-12);
        assert!((percentile(&v, 10.0).unwrap() - 1.3).abs() < 1e-12);
        assert_eq!(percentile(&[f64::NAN], 50.0), None);
    }

    #[test]
    fn limits_are_never_degenerate() {
        let m = array![[1.0, 1.0], [1.0, 1.0]];
        let (a, b) = resolve_limits(m.view(), ColorLimits::default());
        assert!(a < b && a < 1.0 && b > 1.0);
        let m = array![[f64::NAN]];
        assert_eq!(resolve_limits(m.view(), ColorLimits::default()), (0.0, 1.0));
        let (a, b) = resolve_limits(m.view(), ColorLimits::Fixed { min: 2.0, max: 1.0 });
        assert_eq!((a, b), (1.0, 2.0));
        let (a, b) = symmetric_limits(array![[-3.0, 1.0]].view(), ColorLimits::default());
        assert!(a < 0.0 && (a + b).abs() < 1e-15);
    }

    #[test]
    fn downsample_block_average_and_upsample() {
        // 4x4 -> 2x2: each pixel averages a 2x2 block.
        let m = ndarray::Array2::from_shape_fn((4, 4), |(i, j)| (i * 4 + j) as f64);
        let d = downsample(m.view(), 2, 2);
        // top-left pixel = low x, high y: i in 0..2, j in 2..4
        assert_eq!(d[0], (2.0 + 3.0 + 6.0 + 7.0) / 4.0);
        // bottom-left = i 0..2, j 0..2
        assert_eq!(d[2], (0.0 + 1.0 + 4.0 + 5.0) / 4.0);
        // 2x2 -> 4x4 nearest
        let m = array![[0.0, 1.0], [2.0, f64::NAN]];
        let d = downsample(m.view(), 4, 4);
        assert_eq!(d[3 * 4], 0.0); // bottom-left
        assert_eq!(d[0], 1.0); // top-left: i=0, j=1
        assert!(d[3].is_nan()); // top-right: i=1, j=1
        assert_eq!(d[3 * 4 + 3], 2.0); // bottom-right: i=1, j=0
    }
}
