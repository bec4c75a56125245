//! The loaded data set ([`XpcsData`]), where it came from ([`SourceInfo`]), and the
//! operations applied to it before fitting: angle normalisation/filtering and t = 0
//! exclusion.

use std::path::PathBuf;

use ndarray::{Array1, Array3, Axis, s};

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

/// Two-time correlation data, one matrix per selected (q, phi) pair, all f64.
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
    /// `(n_phi, n_t, n_t)` correlation matrices.
    pub c2_exp: Array3<f64>,
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
            c2_exp: self.c2_exp.select(Axis(0), indices),
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
    let mut out = data.clone();
    out.t1 = data.t1.slice(s![1..]).to_owned();
    out.t2 = data.t2.slice(s![1..]).to_owned();
    out.c2_exp = data.c2_exp.slice(s![.., 1.., 1..]).to_owned();
    if let Some(w) = out.source.frames.as_mut() {
        w.start += 1;
    }
    out
}
