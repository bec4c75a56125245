//! Errors of the data crate: one named variant per way an input can be bad, each carrying
//! the file path and, where it applies, the dataset or key concerned.

use std::path::PathBuf;

/// Everything that can go wrong while loading, filtering or caching XPCS data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The data file does not exist.
    #[error("data file not found: {path}")]
    FileNotFound { path: PathBuf },

    /// The file exists but could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file is not an HDF5 file (bad signature).
    #[error("{path} is not an HDF5 file: {reason}")]
    NotHdf5 { path: PathBuf, reason: String },

    /// The HDF5 file is readable but matches neither the APS-U nor the APS-old layout.
    #[error(
        "unsupported HDF5 layout in {path}: expected APS-U (xpcs/qmap/dynamic_v_list_dim0 + \
         xpcs/twotime/correlation_map) or APS-old (xpcs/dqlist + xpcs/dphilist + exchange/C2T_all)"
    )]
    UnknownLayout { path: PathBuf },

    /// A dataset or group the layout requires is absent.
    #[error("{path}: missing dataset '{dataset}'")]
    MissingDataset { path: PathBuf, dataset: String },

    /// The HDF5 reader failed on a dataset (corrupt, truncated or unsupported encoding).
    #[error("{path}: cannot read '{dataset}': {reason}")]
    Hdf5Read {
        path: PathBuf,
        dataset: String,
        reason: String,
    },

    /// A dataset has a datatype the loader cannot use.
    #[error("{path}: dataset '{dataset}' has unsupported type {dtype}")]
    UnsupportedDtype {
        path: PathBuf,
        dataset: String,
        dtype: String,
    },

    /// A correlation matrix is not a 2-D square array, or matrices disagree in size.
    #[error("{path}: '{dataset}' has shape {shape:?}, expected a square 2-D matrix{detail}")]
    BadMatrixShape {
        path: PathBuf,
        dataset: String,
        shape: Vec<usize>,
        detail: String,
    },

    /// A label array (q, phi, bins) has an unusable shape or content.
    #[error("{path}: '{dataset}' is invalid: {reason}")]
    BadLabels {
        path: PathBuf,
        dataset: String,
        reason: String,
    },

    /// The file lists processed bins but holds no correlation matrix for any of them.
    #[error("{path}: '{group}' holds no correlation matrices for the {n_bins} listed bins")]
    NoCorrelationMatrices {
        path: PathBuf,
        group: String,
        n_bins: usize,
    },

    /// The selection would need more memory than the loader allows.
    #[error("{path}: {what} needs {bytes} bytes, above the {limit}-byte limit")]
    TooLarge {
        path: PathBuf,
        what: String,
        bytes: u64,
        limit: u64,
    },

    /// NaN or infinite values in a selected correlation matrix.
    #[error(
        "{path}: '{dataset}' contains {count} non-finite (NaN/Inf) values in the selected frames"
    )]
    NonFinite {
        path: PathBuf,
        dataset: String,
        count: usize,
    },

    /// The requested frame window is empty after clamping.
    #[error(
        "{path}: frames start_frame={start_frame} end_frame={end_frame} select nothing out of \
         {n_frames} frames (1-based, inclusive)"
    )]
    FramesOutOfRange {
        path: PathBuf,
        start_frame: i64,
        end_frame: i64,
        n_frames: usize,
    },

    /// No (q, phi) pair survives q selection and filtering.
    #[error("{path}: empty selection: {reason}")]
    EmptySelection { path: PathBuf, reason: String },

    /// An option value is unusable (e.g. dt <= 0).
    #[error("invalid option {option}: {reason}")]
    InvalidOption { option: String, reason: String },

    /// A cache or data `.npz` file is unreadable, truncated or inconsistent.
    #[error("{path}: unreadable NPZ ({entry}): {reason}")]
    BadNpz {
        path: PathBuf,
        entry: String,
        reason: String,
    },

    /// An NPZ entry holds Python objects (pickles); these are never loaded.
    #[error(
        "{path}: entry '{entry}' has object dtype (pickled Python objects are refused; delete and regenerate the file)"
    )]
    NpzObjectArray { path: PathBuf, entry: String },

    /// A required array is absent from an NPZ file.
    #[error("{path}: NPZ has no array '{entry}'")]
    NpzMissingArray { path: PathBuf, entry: String },

    /// The cache file name template is unusable or renders outside the cache folder.
    #[error("cache file name template '{template}' is invalid: {reason}")]
    BadCacheTemplate { template: String, reason: String },

    /// Writing the cache file failed.
    #[error("cannot write cache {path}: {reason}")]
    CacheWrite { path: PathBuf, reason: String },
}

/// Result alias of this crate.
pub type DataResult<T> = Result<T, DataError>;
