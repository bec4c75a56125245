//! Plausibility of loaded correlation matrices, checked before a fit: a matrix that is all
//! zero, constant, mostly NaN/Inf or far from the values a normalised c2 = g2 takes gives
//! a fit that is meaningless (a constant matrix even fits "perfectly", chi^2 = 0), so it
//! is refused with the angle, the matrix's origin and the reason.

use ndarray::ArrayView2;

use crate::data::{C2Matrix, XpcsData};
use crate::error::{DataError, DataResult, fmt_sig};

/// Range of plausible c2 values: g2 = offset + contrast g1^2 with offset near 1 and
/// contrast in (0, 1] stays within [1, 2]; noise and imperfect normalisation widen it.
pub const PLAUSIBLE_C2: (f64, f64) = (0.5, 3.0);

/// Largest fraction of NaN/Inf values accepted in one matrix.
const MAX_NON_FINITE_FRACTION: f64 = 0.5;

/// Why the matrix `c2` (one angle) cannot be fitted, or `None` when it can. Looks at the
/// off-diagonal elements (the diagonal is replaced by the diagonal correction): more than
/// half non-finite, every value zero, every value equal, or a median outside
/// [`PLAUSIBLE_C2`].
pub fn implausibility<T: homodyne_model::C2Value>(c2: ArrayView2<'_, T>) -> Option<String> {
    let n = c2.nrows();
    let mut finite: Vec<f64> = Vec::with_capacity(c2.len());
    let mut total = 0usize;
    for ((i, j), &v) in c2.indexed_iter() {
        let v: f64 = v.into();
        if i == j && n > 1 {
            continue;
        }
        total += 1;
        if v.is_finite() {
            finite.push(v);
        }
    }
    if total == 0 {
        return Some("the matrix is empty".into());
    }
    let non_finite = total - finite.len();
    if non_finite as f64 > MAX_NON_FINITE_FRACTION * total as f64 {
        return Some(format!(
            "{non_finite} of its {total} off-diagonal values are NaN or infinite"
        ));
    }
    if finite.iter().all(|&v| v == 0.0) {
        return Some("every value is zero (an empty or unprocessed correlation)".into());
    }
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()) {
        return Some(format!(
            "every value equals {} (a constant matrix has no correlation decay to fit)",
            fmt_sig(lo)
        ));
    }
    let mid = finite.len() / 2;
    let (_, &mut median, _) = finite.select_nth_unstable_by(mid, f64::total_cmp);
    let (min_ok, max_ok) = PLAUSIBLE_C2;
    if !(min_ok..=max_ok).contains(&median) {
        return Some(format!(
            "its median value {} lies far outside [{}, {}], where a normalised c2 = g2 lies \
             (values from {} to {}; is the file normalised?)",
            fmt_sig(median),
            fmt_sig(min_ok),
            fmt_sig(max_ok),
            fmt_sig(lo),
            fmt_sig(hi)
        ));
    }
    None
}

/// Refuse data with any matrix that cannot be fitted ([`implausibility`]): one
/// [`DataError::ImplausibleData`] naming the file and, for every such angle, its phi, the
/// dataset (or NPZ index) it came from and the reason.
pub fn check_plausible(data: &XpcsData) -> DataResult<()> {
    use rayon::prelude::*;

    let n_angles = data.n_angles();
    let verdicts: Vec<Option<String>> = (0..n_angles)
        .into_par_iter()
        .map(|k| match data.c2_exp.angle(k) {
            C2Matrix::F64(m) => implausibility(m),
            C2Matrix::F32(m) => implausibility(m),
        })
        .collect();
    let problems: Vec<String> = verdicts
        .into_iter()
        .enumerate()
        .filter_map(|(k, reason)| {
            let reason = reason?;
            let phi = data
                .phi_angles_list
                .get(k)
                .map_or_else(|| "?".into(), |&p| fmt_sig(p));
            let origin = match data.source.datasets.get(k) {
                Some(name) => format!("dataset '{name}'"),
                None => format!("matrix {} of {n_angles}", k + 1),
            };
            Some(format!("phi = {phi} degrees ({origin}): {reason}"))
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(DataError::ImplausibleData {
        path: data.source.data_path.clone(),
        n_angles,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn decaying(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, n), |(i, j)| {
            1.0 + 0.2 * (-(i.abs_diff(j) as f64) / 5.0).exp()
        })
    }

    #[test]
    fn verdicts() {
        assert_eq!(implausibility(decaying(10).view()), None);
        let zeros = Array2::<f64>::zeros((6, 6));
        assert!(
            implausibility(zeros.view())
                .unwrap()
                .contains("every value is zero")
        );
        let constant = Array2::<f64>::from_elem((6, 6), 1.25);
        assert!(
            implausibility(constant.view())
                .unwrap()
                .contains("every value equals 1.25")
        );
        // A constant off-diagonal with a different diagonal is still constant.
        let mut diag = constant.clone();
        diag[[2, 2]] = 7.0;
        assert!(implausibility(diag.view()).unwrap().contains("equals 1.25"));
        let mut nans = decaying(6);
        nans.indexed_iter_mut()
            .filter(|((i, j), _)| i != j && (i + j) % 4 != 0)
            .for_each(|(_, v)| *v = f64::NAN);
        assert!(
            implausibility(nans.view())
                .unwrap()
                .contains("NaN or infinite")
        );
        let counts = decaying(8).mapv(|v| 1000.0 * v);
        let msg = implausibility(counts.view()).unwrap();
        assert!(
            msg.contains("median value 1") && msg.contains("[0.5, 3]"),
            "{msg}"
        );
        // A few NaN among good values are fine.
        let mut some = decaying(8);
        some[[0, 5]] = f64::NAN;
        assert_eq!(implausibility(some.view()), None);
    }
}
