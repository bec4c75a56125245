//! Theory surfaces beside the data: what `fitted_data.npz` and the fit figures show.
//! The facade computes the theory (the model crate); this type only carries it and the
//! post-hoc per-angle scaling derived from the data.

use ndarray::{Array3, ArrayView3};

use crate::error::{OutputError, OutputResult};

/// Theory on the loaded grid (t from 0), one matrix per angle.
#[derive(Debug, Clone)]
pub struct Surfaces {
    /// `1 + g1^2` (contrast = offset = 1).
    pub raw: Array3<f64>,
    /// `offset_i + contrast_i g1^2` with the solver's per-angle values.
    pub solver: Array3<f64>,
    /// Post-hoc least-squares `(a_i, b_i)` of `c2_exp ~ a raw + b` per angle (diagonal
    /// included), the reference's `c2_theoretical_scaled`.
    pub lstsq: Vec<(f64, f64)>,
}

impl Surfaces {
    /// Surfaces from the raw and solver-scaled theory; the post-hoc scaling is fitted
    /// to `c2_exp` here. All three arrays must have the same shape.
    pub fn new(
        raw: Array3<f64>,
        solver: Array3<f64>,
        c2_exp: ArrayView3<f64>,
    ) -> OutputResult<Self> {
        if raw.shape() != solver.shape() || raw.shape() != c2_exp.shape() {
            return Err(OutputError::Inconsistent(format!(
                "theory {:?} / {:?} and data {:?} differ in shape",
                raw.shape(),
                solver.shape(),
                c2_exp.shape()
            )));
        }
        let lstsq = raw
            .outer_iter()
            .zip(c2_exp.outer_iter())
            .map(|(r, c)| line_fit(r.iter().copied(), c.iter().copied()))
            .collect();
        Ok(Surfaces { raw, solver, lstsq })
    }

    /// `a_i raw + b_i` with the post-hoc least-squares scaling of each angle.
    pub fn scaled(&self) -> Array3<f64> {
        let mut out = self.raw.clone();
        for (mut m, &(a, b)) in out.outer_iter_mut().zip(&self.lstsq) {
            m.mapv_inplace(|r| a * r + b);
        }
        out
    }
}

/// Least-squares `(a, b)` of `y ~ a x + b`; `(1, mean(y - x))` when degenerate.
fn line_fit(x: impl Iterator<Item = f64>, y: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in x.zip(y) {
        if x.is_finite() && y.is_finite() {
            n += 1.0;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
    }
    let det = n * sxx - sx * sx;
    if n < 2.0 || det.abs() <= 1e-12 * (n * sxx).abs().max(f64::MIN_POSITIVE) {
        return (1.0, if n > 0.0 { (sy - sx) / n } else { 0.0 });
    }
    let a = (n * sxy - sx * sy) / det;
    (a, (sy - a * sx) / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fit_recovers_a_line_and_falls_back_when_flat() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let (a, b) = line_fit(x.iter().copied(), x.iter().map(|v| 0.5 * v + 2.0));
        assert!((a - 0.5).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
        let (a, b) = line_fit([1.0; 4].into_iter(), [3.0; 4].into_iter());
        assert_eq!((a, b), (1.0, 2.0));
    }
}
