//! Theory surfaces beside the data: what `fitted_data.npz` and the fit figures show.
//! The theory is computed angle by angle when asked for (the model crate), so that no
//! `(n_phi, n_t, n_t)` theory array is ever held: at 25 x 2000 x 2000 each would take
//! 800 MB. This type carries the fitted values and the post-hoc per-angle scaling
//! derived from the data.

use homodyne_model::{C2View, Experiment, g2_grid};
use ndarray::{Array2, Axis};

use crate::error::{OutputError, OutputResult};

/// Theory on the loaded grid (t from 0), one matrix per angle on request.
#[derive(Debug, Clone)]
pub struct Surfaces {
    /// The loaded grid (t from 0) and its angles.
    experiment: Experiment,
    /// Fitted physical parameters.
    physical: Vec<f64>,
    /// The solver's per-angle contrast.
    pub contrast: Vec<f64>,
    /// The solver's per-angle offset.
    pub offset: Vec<f64>,
    /// Post-hoc least-squares `(a_i, b_i)` of `c2_exp ~ a raw + b` per angle (diagonal
    /// included), the reference's `c2_theoretical_scaled`.
    pub lstsq: Vec<(f64, f64)>,
}

impl Surfaces {
    /// Surfaces of `physical` with the solver's `contrast` / `offset` on `experiment`'s
    /// grid; the post-hoc scaling is fitted to `c2_exp` here, angle by angle.
    pub fn new(
        experiment: &Experiment,
        physical: &[f64],
        contrast: &[f64],
        offset: &[f64],
        c2_exp: C2View<'_>,
    ) -> OutputResult<Self> {
        let (n_phi, n_t) = (experiment.n_phi(), experiment.n_t());
        if c2_exp.shape() != [n_phi, n_t, n_t] || contrast.len() != n_phi || offset.len() != n_phi {
            return Err(OutputError::Inconsistent(format!(
                "theory ({n_phi}, {n_t}, {n_t}) with {} / {} scaling values and data {:?} \
                 differ in shape",
                contrast.len(),
                offset.len(),
                c2_exp.shape()
            )));
        }
        let mut surfaces = Surfaces {
            experiment: experiment.clone(),
            physical: physical.to_vec(),
            contrast: contrast.to_vec(),
            offset: offset.to_vec(),
            lstsq: Vec::with_capacity(n_phi),
        };
        for a in 0..n_phi {
            let raw = surfaces.raw(a)?;
            let fit = match c2_exp {
                C2View::F64(c) => line_fit(
                    raw.iter().copied(),
                    c.index_axis(Axis(0), a).iter().copied(),
                ),
                C2View::F32(c) => line_fit(
                    raw.iter().copied(),
                    c.index_axis(Axis(0), a).iter().map(|&v| f64::from(v)),
                ),
            };
            surfaces.lstsq.push(fit);
        }
        Ok(surfaces)
    }

    /// Number of angles.
    pub fn n_phi(&self) -> usize {
        self.experiment.n_phi()
    }

    /// `offset + contrast g1^2` of angle `a` (the model on a one-angle grid: the same
    /// values as the full grid's).
    fn theory(&self, a: usize, contrast: f64, offset: f64) -> OutputResult<Array2<f64>> {
        let one = Experiment::new(
            self.experiment.geometry.clone(),
            self.experiment.t.clone(),
            vec![self.experiment.phi_deg[a]],
        )
        .map_err(|e| OutputError::Inconsistent(e.to_string()))?;
        let grid = g2_grid(&one, &self.physical, &[contrast], &[offset])
            .map_err(|e| OutputError::Inconsistent(e.to_string()))?;
        Ok(grid.index_axis_move(Axis(0), 0))
    }

    /// `1 + g1^2` of angle `a` (contrast = offset = 1).
    pub fn raw(&self, a: usize) -> OutputResult<Array2<f64>> {
        self.theory(a, 1.0, 1.0)
    }

    /// `offset_a + contrast_a g1^2` with the solver's values.
    pub fn solver(&self, a: usize) -> OutputResult<Array2<f64>> {
        self.theory(a, self.contrast[a], self.offset[a])
    }

    /// `a_i raw + b_i` with the post-hoc least-squares scaling of angle `a`.
    pub fn scaled(&self, a: usize) -> OutputResult<Array2<f64>> {
        let (s, b) = self.lstsq[a];
        let mut m = self.raw(a)?;
        m.mapv_inplace(|r| s * r + b);
        Ok(m)
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
    use homodyne_model::Geometry;

    #[test]
    fn line_fit_recovers_a_line_and_falls_back_when_flat() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let (a, b) = line_fit(x.iter().copied(), x.iter().map(|v| 0.5 * v + 2.0));
        assert!((a - 0.5).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
        let (a, b) = line_fit([1.0; 4].into_iter(), [3.0; 4].into_iter());
        assert_eq!((a, b), (1.0, 2.0));
    }

    #[test]
    fn one_angle_theory_equals_the_full_grid() {
        let exp = Experiment::new(
            Geometry {
                wavevector_q: 0.0054,
                stator_rotor_gap: 2e6,
                dt: 0.1,
            },
            Experiment::uniform_times(30, 0.1),
            vec![-20.0, 10.0, 75.0],
        )
        .unwrap();
        let p = [1.0e4, -0.5, 10.0, 2e-3, -0.2, -1e-4, 5.0];
        let (c, o) = ([0.2, 0.25, 0.3], [1.0, 1.01, 0.99]);
        let full = g2_grid(&exp, &p, &c, &o).unwrap();
        let data = g2_grid(&exp, &p, &[1.0; 3], &[1.0; 3]).unwrap();
        let s = Surfaces::new(&exp, &p, &c, &o, C2View::F64(data.view())).unwrap();
        for a in 0..3 {
            assert_eq!(s.solver(a).unwrap(), full.index_axis(Axis(0), a));
            let (k, b) = s.lstsq[a];
            assert!((k - 1.0).abs() < 1e-9 && b.abs() < 1e-9);
        }
    }
}
