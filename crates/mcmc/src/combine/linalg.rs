//! Cholesky factorisation (faer, sequential so results never depend on the thread count)
//! and the few triangular solves the combination needs, on small dense P x P matrices.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{LltError, cholesky_in_place, cholesky_in_place_scratch};
use faer::{Mat, Par};
use ndarray::Array2;

/// Lower-triangular factor `L` of a symmetric positive-definite matrix, `A = L L^T`.
pub(crate) struct Cholesky {
    l: Array2<f64>,
}

impl Cholesky {
    /// Factor the symmetric part of `a`; `Err(pivot)` if not positive definite.
    pub(crate) fn new(a: &Array2<f64>) -> Result<Self, usize> {
        let n = a.nrows();
        if a.iter().any(|v| !v.is_finite()) {
            return Err(0);
        }
        let mut m = Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (a[[i, j]] + a[[j, i]]));
        let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(
            n,
            Par::Seq,
            Default::default(),
        ));
        let stack = MemStack::new(&mut mem);
        cholesky_in_place(
            m.as_mut(),
            Default::default(),
            Par::Seq,
            stack,
            Default::default(),
        )
        .map_err(|e| match e {
            LltError::NonPositivePivot { index } => index,
        })?;
        let l = Array2::from_shape_fn((n, n), |(i, j)| if j <= i { m[(i, j)] } else { 0.0 });
        Ok(Self { l })
    }

    /// The factor `L`.
    pub(crate) fn factor(&self) -> &Array2<f64> {
        &self.l
    }

    /// `y` with `L y = b` (so `|y|^2 = b^T A^-1 b`).
    pub(crate) fn forward(&self, b: &[f64]) -> Vec<f64> {
        let n = b.len();
        let mut y = vec![0.0; n];
        for i in 0..n {
            let mut s = b[i];
            for (k, yk) in y.iter().enumerate().take(i) {
                s -= self.l[[i, k]] * yk;
            }
            y[i] = s / self.l[[i, i]];
        }
        y
    }

    /// `x` with `L^T x = y`.
    fn backward(&self, y: &[f64]) -> Vec<f64> {
        let n = y.len();
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let mut s = y[i];
            for (k, xk) in x.iter().enumerate().skip(i + 1) {
                s -= self.l[[k, i]] * xk;
            }
            x[i] = s / self.l[[i, i]];
        }
        x
    }

    /// `A^-1`, symmetrised.
    pub(crate) fn inverse(&self) -> Array2<f64> {
        let n = self.l.nrows();
        let mut inv = Array2::zeros((n, n));
        for j in 0..n {
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            let col = self.backward(&self.forward(&e));
            for i in 0..n {
                inv[[i, j]] = col[i];
            }
        }
        let t = inv.t().to_owned();
        (inv + t) * 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::Cholesky;
    use ndarray::array;

    #[test]
    fn inverse_and_failure() {
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let inv = Cholesky::new(&a).unwrap().inverse();
        let id = a.dot(&inv);
        for i in 0..2 {
            for j in 0..2 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((id[[i, j]] - want).abs() < 1e-14);
            }
        }
        assert!(Cholesky::new(&array![[1.0, 2.0], [2.0, 1.0]]).is_err());
    }
}
