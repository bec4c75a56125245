//! Reading stored two-time half matrices and rebuilding full symmetric f64 matrices:
//! `C = H + Hᵀ` with the diagonal halved (so it equals the stored diagonal), restricted to
//! the frame window, computed in the stored precision and widened to f64 (as the reference
//! does). Works tile by tile so that both triangles are written cache-friendly.

use std::ops::Add;

use hdf5_reader::{Dataset, Datatype};

use crate::data::C2Stack;
use crate::error::{DataError, DataResult};
use crate::frames::FrameWindow;
use crate::hdf5_io::H5Source;

/// A stored matrix as read from disk, in its own precision (row-major, `n × n`).
pub(crate) enum StoredMatrix {
    /// float32 storage.
    F32(Vec<f32>),
    /// float64 storage.
    F64(Vec<f64>),
}

/// What reconstruction noticed about one matrix.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ReconstructionStats {
    /// Number of non-finite values in the reconstructed window.
    pub(crate) non_finite: usize,
    /// Whether the stored lower triangle held non-zero values (a full, not half, matrix).
    pub(crate) lower_triangle_nonzero: bool,
}

/// Largest f64 stack of selected matrices the loader allocates (64 GiB): a corrupt or
/// hostile shape is an error, not an out-of-memory abort.
pub(crate) const MAX_STACK_BYTES: u64 = 64 << 30;

/// Side of the square tiles used while mirroring.
const TILE: usize = 64;

/// Check that `dataset` is a square 2-D matrix and return its size.
pub(crate) fn square_size(src: &H5Source, name: &str, ds: &Dataset) -> DataResult<usize> {
    let shape: Vec<usize> = ds.shape().iter().map(|&d| d as usize).collect();
    if shape.len() != 2 || shape[0] != shape[1] || shape[0] == 0 {
        return Err(DataError::BadMatrixShape {
            path: src.path.clone(),
            dataset: name.to_string(),
            shape,
            detail: String::new(),
        });
    }
    Ok(shape[0])
}

/// Read one stored matrix (float32 or float64, any filter the reader knows plus LZF).
pub(crate) fn read_stored(src: &H5Source, name: &str, ds: &Dataset) -> DataResult<StoredMatrix> {
    match ds.dtype() {
        Datatype::FloatingPoint { size: 4, .. } => {
            let a = ds
                .read_array::<f32>()
                .map_err(|e| src.read_error(name, e))?;
            Ok(StoredMatrix::F32(into_vec(a)))
        }
        Datatype::FloatingPoint { size: 8, .. } => {
            let a = ds
                .read_array::<f64>()
                .map_err(|e| src.read_error(name, e))?;
            Ok(StoredMatrix::F64(into_vec(a)))
        }
        other => Err(DataError::UnsupportedDtype {
            path: src.path.clone(),
            dataset: name.to_string(),
            dtype: format!("{other:?} (c2 must be float32 or float64)"),
        }),
    }
}

fn into_vec<T: Clone>(a: ndarray::ArrayD<T>) -> Vec<T> {
    if a.is_standard_layout() {
        let len = a.len();
        let (v, offset) = a.into_raw_vec_and_offset();
        if offset.unwrap_or(0) == 0 && v.len() == len {
            return v;
        }
        // Not reached for arrays the reader builds; fall back to a plain copy.
        let start = offset.unwrap_or(0);
        return v[start..start + len].to_vec();
    }
    a.iter().cloned().collect()
}

/// Rebuild the window `w` of a stored `n × n` half matrix into `out` (`w.len()²`, row-major).
pub(crate) fn reconstruct_into(
    stored: &StoredMatrix,
    n: usize,
    w: FrameWindow,
    out: &mut [f64],
) -> ReconstructionStats {
    match stored {
        StoredMatrix::F32(h) => reconstruct_typed(h, n, w, out),
        StoredMatrix::F64(h) => reconstruct_typed(h, n, w, out),
    }
}

/// Generic reconstruction in the stored type `T`, converted to the output type `O` on
/// write (f32 -> f32 kept, anything -> f64 widened).
pub(crate) fn reconstruct_typed<T, O>(
    h: &[T],
    n: usize,
    w: FrameWindow,
    out: &mut [O],
) -> ReconstructionStats
where
    T: Copy + Add<Output = T> + Default + PartialEq,
    O: Copy + From<T> + Into<f64>,
{
    let m = w.len();
    debug_assert_eq!(h.len(), n * n);
    debug_assert_eq!(out.len(), m * m);
    let s = w.start;
    let zero = T::default();
    let mut stats = ReconstructionStats::default();
    for ib in (0..m).step_by(TILE) {
        let i_end = (ib + TILE).min(m);
        for jb in (ib..m).step_by(TILE) {
            let j_end = (jb + TILE).min(m);
            for i in ib..i_end {
                let row = (s + i) * n + s;
                for j in jb.max(i)..j_end {
                    let upper = h[row + j];
                    let value: O = if i == j {
                        O::from(upper)
                    } else {
                        let lower = h[(s + j) * n + s + i];
                        if lower != zero {
                            stats.lower_triangle_nonzero = true;
                        }
                        O::from(upper + lower)
                    };
                    if !Into::<f64>::into(value).is_finite() {
                        stats.non_finite += if i == j { 1 } else { 2 };
                    }
                    out[i * m + j] = value;
                    out[j * m + i] = value;
                }
            }
        }
    }
    stats
}

/// Read the matrices `names` (all of the same size), rebuild the frame window chosen by
/// `window_of(n_frames)` in parallel, and stack them as `(names.len(), m, m)` f64.
/// Returns the stack, the window and the stored size.
pub(crate) fn read_window_stack(
    src: &H5Source,
    names: &[String],
    float32_min_values: usize,
    window_of: impl FnOnce(usize) -> DataResult<FrameWindow>,
) -> DataResult<(C2Stack, FrameWindow, usize)> {
    let datasets = names
        .iter()
        .map(|name| src.dataset(name))
        .collect::<DataResult<Vec<_>>>()?;
    let mut n_frames = None;
    for (name, ds) in names.iter().zip(&datasets) {
        let n = square_size(src, name, ds)?;
        match n_frames {
            None => n_frames = Some(n),
            Some(first) if first != n => {
                return Err(DataError::BadMatrixShape {
                    path: src.path.clone(),
                    dataset: name.clone(),
                    shape: vec![n, n],
                    detail: format!(" of the same size as '{}' ({first} x {first})", names[0]),
                });
            }
            _ => {}
        }
    }
    let Some(n) = n_frames else {
        return Err(DataError::EmptySelection {
            path: src.path.clone(),
            reason: "no matrix selected".into(),
        });
    };
    let window = window_of(n)?;
    let m = window.len();
    let values = (names.len() as u64).saturating_mul((m as u64).saturating_mul(m as u64));
    // Large stacks of float32 files stay float32 (half the memory; readers widen each
    // value exactly), everything else is widened to f64 as the reference does.
    let all_f32 = datasets
        .iter()
        .all(|ds| matches!(ds.dtype(), Datatype::FloatingPoint { size: 4, .. }));
    let keep_f32 = all_f32 && values >= float32_min_values as u64;
    let bytes = values.saturating_mul(if keep_f32 { 4 } else { 8 });
    if bytes > MAX_STACK_BYTES {
        return Err(DataError::TooLarge {
            path: src.path.clone(),
            what: format!(
                "{} matrices of {m} x {m} {}",
                names.len(),
                if keep_f32 { "float32" } else { "float64" }
            ),
            bytes,
            limit: MAX_STACK_BYTES,
        });
    }
    if keep_f32 {
        let mut stack = ndarray::Array3::<f32>::zeros((names.len(), m, m));
        fill_stack(
            src,
            names,
            &datasets,
            &mut stack,
            |stored, out| match stored {
                StoredMatrix::F32(h) => reconstruct_typed(h, n, window, out),
                StoredMatrix::F64(_) => unreachable!("every dataset is float32"),
            },
        )?;
        return Ok((C2Stack::F32(stack), window, n));
    }
    let mut stack = ndarray::Array3::<f64>::zeros((names.len(), m, m));
    fill_stack(src, names, &datasets, &mut stack, |stored, out| {
        reconstruct_into(stored, n, window, out)
    })?;
    Ok((C2Stack::F64(stack), window, n))
}

/// Read and rebuild every matrix into its slab of `stack`, matrices in parallel.
fn fill_stack<O: Copy + Send + Sync>(
    src: &H5Source,
    names: &[String],
    datasets: &[Dataset],
    stack: &mut ndarray::Array3<O>,
    rebuild: impl Fn(&StoredMatrix, &mut [O]) -> ReconstructionStats + Sync,
) -> DataResult<()> {
    use rayon::prelude::*;

    stack
        .outer_iter_mut()
        .into_par_iter()
        .zip(names.par_iter().zip(datasets.par_iter()))
        .try_for_each(|(mut slab, (name, ds))| -> DataResult<()> {
            let stored = read_stored(src, name, ds)?;
            let out = slab
                .as_slice_mut()
                .expect("freshly allocated standard-layout stack");
            let stats = rebuild(&stored, out);
            if stats.lower_triangle_nonzero {
                tracing::warn!(
                    file = %src.path.display(),
                    dataset = name.as_str(),
                    "stored matrix has a non-zero lower triangle; C = H + Hᵀ doubles it (as the reference does)"
                );
            }
            if stats.non_finite > 0 {
                return Err(DataError::NonFinite {
                    path: src.path.clone(),
                    dataset: name.clone(),
                    count: stats.non_finite,
                });
            }
            Ok(())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_with_stored_diagonal() {
        // Upper triangle of a 3x3 matrix.
        let h: Vec<f64> = vec![1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 0.0, 0.0, 6.0];
        let mut out = vec![0.0; 9];
        let st = reconstruct_typed(&h, 3, FrameWindow { start: 0, end: 3 }, &mut out);
        assert_eq!(out, vec![1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        assert_eq!(st.non_finite, 0);
        assert!(!st.lower_triangle_nonzero);
        let mut sub = vec![0.0; 4];
        reconstruct_typed(&h, 3, FrameWindow { start: 1, end: 3 }, &mut sub);
        assert_eq!(sub, vec![4.0, 5.0, 5.0, 6.0]);
    }

    #[test]
    fn large_tiled_matches_naive() {
        let n = 150;
        let mut h = vec![0f32; n * n];
        for i in 0..n {
            for j in i..n {
                h[i * n + j] = (i * 1000 + j) as f32;
            }
        }
        let w = FrameWindow { start: 7, end: 140 };
        let m = w.len();
        let mut out = vec![0.0; m * m];
        reconstruct_typed(&h, n, w, &mut out);
        for i in 0..m {
            for j in 0..m {
                let (a, b) = (i.min(j) + 7, i.max(j) + 7);
                assert_eq!(out[i * m + j], h[a * n + b] as f64);
            }
        }
    }
}
