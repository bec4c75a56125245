//! Errors of the data crate: one named variant per way an input can be bad, each carrying
//! the file path and, where it applies, the dataset or key concerned.

use std::path::PathBuf;

/// Everything that can go wrong while loading, filtering or caching XPCS data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The data file does not exist.
    #[error("data file not found: {path}")]
    FileNotFound {
        /// The file concerned.
        path: PathBuf,
    },

    /// The file exists but could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The file is not an HDF5 file (bad signature).
    #[error("{path} is not an HDF5 file: {reason}")]
    NotHdf5 {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The HDF5 file is readable but matches neither the APS-U nor the APS-old layout.
    #[error(
        "unsupported HDF5 layout in {path}: expected APS-U (xpcs/qmap/dynamic_v_list_dim0 + \
         xpcs/twotime/correlation_map) or APS-old (xpcs/dqlist + xpcs/dphilist + exchange/C2T_all)"
    )]
    UnknownLayout {
        /// The file concerned.
        path: PathBuf,
    },

    /// A dataset or group the layout requires is absent.
    #[error("{path}: missing dataset '{dataset}'")]
    MissingDataset {
        /// The file concerned.
        path: PathBuf,
        /// The dataset or group concerned.
        dataset: String,
    },

    /// The HDF5 reader failed on a dataset (corrupt, truncated or unsupported encoding).
    #[error("{path}: cannot read '{dataset}': {reason}")]
    Hdf5Read {
        /// The file concerned.
        path: PathBuf,
        /// The dataset or group concerned.
        dataset: String,
        /// What is wrong.
        reason: String,
    },

    /// A dataset has a datatype the loader cannot use.
    #[error("{path}: dataset '{dataset}' has unsupported type {dtype}")]
    UnsupportedDtype {
        /// The file concerned.
        path: PathBuf,
        /// The dataset or group concerned.
        dataset: String,
        /// The datatype found.
        dtype: String,
    },

    /// A correlation matrix is not a 2-D square array, or matrices disagree in size.
    #[error("{path}: '{dataset}' has shape {shape:?}, expected a square 2-D matrix{detail}")]
    BadMatrixShape {
        /// The file concerned.
        path: PathBuf,
        /// The dataset or group concerned.
        dataset: String,
        /// The shape found.
        shape: Vec<usize>,
        /// Extra context (empty, or what the shape had to match).
        detail: String,
    },

    /// A label array (q, phi, bins) has an unusable shape or content.
    #[error("{path}: '{dataset}' is invalid: {reason}")]
    BadLabels {
        /// The file concerned.
        path: PathBuf,
        /// The dataset or group concerned.
        dataset: String,
        /// What is wrong.
        reason: String,
    },

    /// The file lists processed bins but holds no correlation matrix for any of them.
    #[error("{path}: '{group}' holds no correlation matrices for the {n_bins} listed bins")]
    NoCorrelationMatrices {
        /// The file concerned.
        path: PathBuf,
        /// The group expected to hold the matrices.
        group: String,
        /// Number of bins the file lists.
        n_bins: usize,
    },

    /// The selection would need more memory than the loader allows.
    #[error("{path}: {what} needs {bytes} bytes, above the {limit}-byte limit")]
    TooLarge {
        /// The file concerned.
        path: PathBuf,
        /// What was to be allocated.
        what: String,
        /// Bytes it would take.
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },

    /// NaN or infinite values in a selected correlation matrix.
    #[error(
        "{path}: '{dataset}' contains {count} non-finite (NaN/Inf) values in the selected frames"
    )]
    NonFinite {
        /// The file concerned.
        path: PathBuf,
        /// The dataset or group concerned.
        dataset: String,
        /// Number of non-finite values.
        count: usize,
    },

    /// The requested frame window is empty after clamping.
    #[error(
        "{path}: frames start_frame={start_frame} end_frame={end_frame} select nothing out of \
         {n_frames} frames (1-based, inclusive)"
    )]
    FramesOutOfRange {
        /// The file concerned.
        path: PathBuf,
        /// Configured first frame (1-based).
        start_frame: i64,
        /// Configured last frame (1-based, −1 = last).
        end_frame: i64,
        /// Frames in the stored matrices.
        n_frames: usize,
    },

    /// No (q, phi) pair survives q selection and filtering.
    #[error("{path}: empty selection: {reason}")]
    EmptySelection {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// An option value is unusable (e.g. dt <= 0).
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option name.
        option: String,
        /// What is wrong.
        reason: String,
    },

    /// A cache or data `.npz` file is unreadable, truncated or inconsistent.
    #[error("{path}: unreadable NPZ ({entry}): {reason}")]
    BadNpz {
        /// The file concerned.
        path: PathBuf,
        /// The NPZ entry concerned.
        entry: String,
        /// What is wrong.
        reason: String,
    },

    /// An NPZ entry holds Python objects (pickles); these are never loaded.
    #[error(
        "{path}: entry '{entry}' has object dtype (pickled Python objects are refused; delete and regenerate the file)"
    )]
    NpzObjectArray {
        /// The file concerned.
        path: PathBuf,
        /// The NPZ entry concerned.
        entry: String,
    },

    /// A required array is absent from an NPZ file.
    #[error("{path}: NPZ has no array '{entry}'")]
    NpzMissingArray {
        /// The file concerned.
        path: PathBuf,
        /// The NPZ entry concerned.
        entry: String,
    },

    /// The cache file name template is unusable or renders outside the cache folder.
    #[error("cache file name template '{template}' is invalid: {reason}")]
    BadCacheTemplate {
        /// The template as configured.
        template: String,
        /// What is wrong.
        reason: String,
    },

    /// Writing the cache file failed.
    #[error("cannot write cache {path}: {reason}")]
    CacheWrite {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias of this crate.
pub type DataResult<T> = Result<T, DataError>;
