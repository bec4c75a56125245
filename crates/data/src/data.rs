//! The loaded data set ([`XpcsData`]), where it came from ([`SourceInfo`]), and the
//! operations applied to it before fitting: angle normalisation/filtering and t = 0
//! exclusion.

use std::path::PathBuf;

use homodyne_model::C2View;
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis, s};

use crate::angles::{PhiFilterOptions, normalize_phi, phi_filter_indices, warn_on_large_angles};
use crate::error::{DataError, DataResult};
use crate::frames::FrameWindow;
use crate::layout::Layout;

/// What kind of file the data were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An HDF5 file of the given layout.
    Hdf5(Layout),
    /// An NPZ cache written from an HDF5 file.
    Cache,
    /// An `.npz` given directly as the data file.
    NpzData,
}

/// Provenance of an [`XpcsData`].
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// The configured data file.
    pub data_path: PathBuf,
    /// What was actually read.
    pub kind: SourceKind,
    /// The cache file read or written, if any.
    pub cache_path: Option<PathBuf>,
    /// HDF5 dataset of each selected matrix (empty when read from NPZ).
    pub datasets: Vec<String>,
    /// Frames of the file the matrices cover (0-based, end exclusive), when known.
    pub frames: Option<FrameWindow>,
    /// Frames in the stored matrices, when known.
    pub n_frames_in_file: Option<usize>,
    /// Whether the mandatory 'basic' diagonal correction has been applied.
    pub diagonal_corrected: bool,
    /// Whether `phi_angles_list` holds normalised (−180, 180] angles.
    pub phi_normalized: bool,
    /// Damage found in the HDF5 file outside the matrices that were loaded (truncation,
    /// unreadable matrices of other (q, phi) pairs), one message each; every one was also
    /// logged as a warning. Empty for NPZ input and caches.
    pub damage: Vec<String>,
}

/// The c2 matrices `(n_phi, n_t, n_t)` in their stored precision: float64, or float32
/// for large stacks read from float32 files ([`crate::LoadOptions::float32_min_values`]:
/// half the memory; every reader widens each value exactly and accumulates in f64).
#[derive(Debug, Clone, PartialEq)]
pub enum C2Stack {
    /// float64 values.
    F64(Array3<f64>),
    /// float32 values, as APS correlator files store them.
    F32(Array3<f32>),
}

impl From<Array3<f64>> for C2Stack {
    fn from(a: Array3<f64>) -> Self {
        C2Stack::F64(a)
    }
}

impl From<Array3<f32>> for C2Stack {
    fn from(a: Array3<f32>) -> Self {
        C2Stack::F32(a)
    }
}

/// One angle's matrix in its stored precision.
#[derive(Debug, Clone, Copy)]
pub enum C2Matrix<'a> {
    /// float64 values.
    F64(ArrayView2<'a, f64>),
    /// float32 values.
    F32(ArrayView2<'a, f32>),
}

impl C2Matrix<'_> {
    /// Value `[i, j]` widened to f64.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self {
            C2Matrix::F64(m) => m[[i, j]],
            C2Matrix::F32(m) => f64::from(m[[i, j]]),
        }
    }
    /// `(rows, columns)`.
    pub fn dim(&self) -> (usize, usize) {
        match self {
            C2Matrix::F64(m) => m.dim(),
            C2Matrix::F32(m) => m.dim(),
        }
    }
    /// An f64 copy.
    pub fn to_f64(&self) -> Array2<f64> {
        match self {
            C2Matrix::F64(m) => m.to_owned(),
            C2Matrix::F32(m) => m.mapv(f64::from),
        }
    }
}

impl C2Stack {
    /// A borrowed view for the fit, noise and quantile estimates.
    pub fn view(&self) -> C2View<'_> {
        match self {
            C2Stack::F64(a) => C2View::F64(a.view()),
            C2Stack::F32(a) => C2View::F32(a.view()),
        }
    }
    /// The shape `[n_phi, n_t, n_t]`.
    pub fn shape(&self) -> &[usize] {
        match self {
            C2Stack::F64(a) => a.shape(),
            C2Stack::F32(a) => a.shape(),
        }
    }
    /// `(n_phi, n_t, n_t)`.
    pub fn dim(&self) -> (usize, usize, usize) {
        match self {
            C2Stack::F64(a) => a.dim(),
            C2Stack::F32(a) => a.dim(),
        }
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }
    /// Whether the stack holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Length along `axis`.
    pub fn len_of(&self, axis: Axis) -> usize {
        self.shape()[axis.index()]
    }
    /// Whether the values are held as float32.
    pub fn is_f32(&self) -> bool {
        matches!(self, C2Stack::F32(_))
    }
    /// `"float64"` or `"float32"`.
    pub fn precision(&self) -> &'static str {
        match self {
            C2Stack::F64(_) => "float64",
            C2Stack::F32(_) => "float32",
        }
    }
    /// Bytes the values occupy.
    pub fn bytes(&self) -> usize {
        self.len() * if self.is_f32() { 4 } else { 8 }
    }
    /// Value `[a, i, j]` widened to f64.
    pub fn get(&self, idx: [usize; 3]) -> f64 {
        match self {
            C2Stack::F64(a) => a[idx],
            C2Stack::F32(a) => f64::from(a[idx]),
        }
    }
    /// The float64 array, when the values are held as float64.
    pub fn as_f64(&self) -> Option<&Array3<f64>> {
        match self {
            C2Stack::F64(a) => Some(a),
            C2Stack::F32(_) => None,
        }
    }
    /// An f64 copy of every value (a full-size allocation: for small data and tests).
    pub fn to_f64(&self) -> Array3<f64> {
        match self {
            C2Stack::F64(a) => a.clone(),
            C2Stack::F32(a) => a.mapv(f64::from),
        }
    }
    /// The values as float64, widening float32 storage in place of the stack (for
    /// steps that rewrite values in f64: preprocessing).
    pub fn make_f64(&mut self) -> &mut Array3<f64> {
        if let C2Stack::F32(a) = self {
            *self = C2Stack::F64(a.mapv(f64::from));
        }
        match self {
            C2Stack::F64(a) => a,
            C2Stack::F32(_) => unreachable!("widened above"),
        }
    }
    /// Angle `a`'s matrix.
    pub fn angle(&self, a: usize) -> C2Matrix<'_> {
        match self {
            C2Stack::F64(s) => C2Matrix::F64(s.index_axis(Axis(0), a)),
            C2Stack::F32(s) => C2Matrix::F32(s.index_axis(Axis(0), a)),
        }
    }
    /// Every value widened to f64, in row-major order.
    pub fn iter_f64(&self) -> Box<dyn Iterator<Item = f64> + '_> {
        match self {
            C2Stack::F64(a) => Box::new(a.iter().copied()),
            C2Stack::F32(a) => Box::new(a.iter().map(|&v| f64::from(v))),
        }
    }
    /// The angles at `indices` (in that order).
    pub fn select(&self, indices: &[usize]) -> C2Stack {
        match self {
            C2Stack::F64(a) => C2Stack::F64(a.select(Axis(0), indices)),
            C2Stack::F32(a) => C2Stack::F32(a.select(Axis(0), indices)),
        }
    }
    /// `c2[:, 1:, 1:]` (a copy).
    fn without_first_frame(&self) -> C2Stack {
        match self {
            C2Stack::F64(a) => C2Stack::F64(a.slice(s![.., 1.., 1..]).to_owned()),
            C2Stack::F32(a) => C2Stack::F32(a.slice(s![.., 1.., 1..]).to_owned()),
        }
    }
}

/// Two-time correlation data, one matrix per selected (q, phi) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct XpcsData {
    /// q of each selected pair (Å⁻¹); usually one repeated value.
    pub wavevector_q_list: Array1<f64>,
    /// phi of each selected pair (degrees).
    pub phi_angles_list: Array1<f64>,
    /// Time axis of the first index, `[0, dt, …, (n−1)dt]`.
    pub t1: Array1<f64>,
    /// Time axis of the second index (equal to `t1`).
    pub t2: Array1<f64>,
    /// `(n_phi, n_t, n_t)` correlation matrices (float64, or float32 for large stacks of
    /// float32 files).
    pub c2_exp: C2Stack,
    /// Frame time (s).
    pub dt: f64,
    /// Where the data came from and what has been applied to them.
    pub source: SourceInfo,
}

impl XpcsData {
    /// Number of selected (q, phi) pairs.
    pub fn n_angles(&self) -> usize {
        self.c2_exp.len_of(Axis(0))
    }

    /// Number of time points.
    pub fn n_times(&self) -> usize {
        self.t1.len()
    }

    /// The q used downstream (`wavevector_q_list[0]`).
    pub fn q(&self) -> f64 {
        self.wavevector_q_list.first().copied().unwrap_or(f64::NAN)
    }

    /// A copy holding only the angles at `indices` (in that order).
    pub fn select_angles(&self, indices: &[usize]) -> XpcsData {
        let mut source = self.source.clone();
        if !source.datasets.is_empty() {
            source.datasets = indices
                .iter()
                .map(|&i| source.datasets[i].clone())
                .collect();
        }
        XpcsData {
            wavevector_q_list: self.wavevector_q_list.select(Axis(0), indices),
            phi_angles_list: self.phi_angles_list.select(Axis(0), indices),
            t1: self.t1.clone(),
            t2: self.t2.clone(),
            c2_exp: self.c2_exp.select(indices),
            dt: self.dt,
            source,
        }
    }
}

/// Normalise every angle to (−180, 180] (always) and keep those in
/// `phi_filtering.target_ranges` (when enabled), preserving order. Ranges keeping no
/// angle are [`DataError::NoAngleInRanges`] unless the options fall back to all angles.
pub(crate) fn apply_phi_filtering(
    data: XpcsData,
    options: &PhiFilterOptions,
) -> DataResult<XpcsData> {
    warn_on_large_angles(data.phi_angles_list.as_slice().unwrap_or(&[]));
    let mut data = data;
    data.phi_angles_list.mapv_inplace(normalize_phi);
    data.source.phi_normalized = true;
    let phi = data.phi_angles_list.to_vec();
    let Some(keep) = phi_filter_indices(&phi, options) else {
        return Err(DataError::NoAngleInRanges {
            path: data.source.data_path.clone(),
            ranges: options.ranges_text(),
            angles: phi,
            q: data.q(),
        });
    };
    if keep.len() == phi.len() {
        return Ok(data);
    }
    tracing::info!(
        kept = keep.len(),
        total = phi.len(),
        "phi_filtering applied"
    );
    Ok(data.select_angles(&keep))
}

/// Drop the t = 0 row/column before fitting: `t[1:]`, `c2[:, 1:, 1:]`. Data with fewer
/// than two time points are returned unchanged.
pub fn exclude_t0(data: &XpcsData) -> XpcsData {
    if data.t1.len() < 2 || data.t2.len() < 2 || data.c2_exp.len_of(Axis(1)) < 2 {
        return data.clone();
    }
    // Field by field: the full c2 stack is copied once (sliced), never cloned first.
    let mut source = data.source.clone();
    if let Some(w) = source.frames.as_mut() {
        w.start += 1;
    }
    XpcsData {
        wavevector_q_list: data.wavevector_q_list.clone(),
        phi_angles_list: data.phi_angles_list.clone(),
        t1: data.t1.slice(s![1..]).to_owned(),
        t2: data.t2.slice(s![1..]).to_owned(),
        c2_exp: data.c2_exp.without_first_frame(),
        dt: data.dt,
        source,
    }
}
