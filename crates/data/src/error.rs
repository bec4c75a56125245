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

    /// No q ring of the file lies within the tolerance of the requested wavevector.
    #[error(
        "{path}: no q ring within {} % of the requested wavevector_q = {} 1/A (nearest ring {} \
         1/A is {} % away); q rings in the file: {} (set analyzer_parameters.scattering.wavevector_q \
         to one of them, or widen q_tolerance_fraction)",
        fmt_sig(100.0 * tolerance_fraction), fmt_sig(*requested), fmt_sig(*nearest),
        fmt_sig(100.0 * (nearest - requested).abs() / requested.abs()), fmt_list(rings)
    )]
    QNotInFile {
        /// The file concerned.
        path: PathBuf,
        /// The configured `wavevector_q` (Å⁻¹).
        requested: f64,
        /// The allowed relative distance (`q_tolerance_fraction`).
        tolerance_fraction: f64,
        /// The closest q in the file (Å⁻¹).
        nearest: f64,
        /// Every distinct q of the file, ascending (Å⁻¹).
        rings: Vec<f64>,
    },

    /// `phi_filtering.target_ranges` keep none of the loaded angles (and falling back to
    /// all angles is not enabled).
    #[error(
        "{path}: phi_filtering.target_ranges {ranges} select none of the {} angles at q = {} \
         1/A: {} degrees (fix the ranges, disable phi_filtering, or set \
         phi_filtering.fallback_to_all_angles: true to fit every angle)",
        angles.len(), fmt_sig(*q), fmt_list(angles)
    )]
    NoAngleInRanges {
        /// The file concerned.
        path: PathBuf,
        /// The configured ranges, as text (`[-10, 10], [170, -170]`).
        ranges: String,
        /// The angles loaded (degrees, normalised to (−180, 180]).
        angles: Vec<f64>,
        /// The q of the loaded ring (Å⁻¹).
        q: f64,
    },

    /// Correlation matrices that cannot be fitted: all zero, constant, mostly non-finite
    /// or far outside the plausible range of c2 (one entry per such angle).
    #[error(
        "{path}: c2 unusable for fitting at {} of {n_angles} angles: {} (exclude such angles \
         with phi_filtering, or check how the file was produced)",
        problems.len(), problems.join("; ")
    )]
    ImplausibleData {
        /// The file concerned.
        path: PathBuf,
        /// Number of angles checked.
        n_angles: usize,
        /// One message per refused angle: its phi, where its matrix came from and why.
        problems: Vec<String>,
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

/// `x` with at most 6 significant digits, trailing zeros dropped (`0.0054`, `0.00562621`,
/// `120`, `1.5e-7`).
pub(crate) fn fmt_sig(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-5..=9).contains(&magnitude) {
        let s = format!("{x:.5e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let decimals = (5 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A list of numbers for a message: comma-separated [`fmt_sig`] values, the first 60 of
/// a longer list followed by how many more there are.
pub(crate) fn fmt_list(values: &[f64]) -> String {
    const SHOWN: usize = 60;
    let mut s: Vec<String> = values.iter().take(SHOWN).map(|&v| fmt_sig(v)).collect();
    if values.len() > SHOWN {
        s.push(format!("... ({} more)", values.len() - SHOWN));
    }
    if s.is_empty() {
        "(none)".into()
    } else {
        s.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_messages() {
        assert_eq!(fmt_sig(0.0054), "0.0054");
        assert_eq!(fmt_sig(0.005626209918409586), "0.00562621");
        assert_eq!(fmt_sig(120.0), "120");
        assert_eq!(fmt_sig(-170.0), "-170");
        assert_eq!(fmt_sig(12.5), "12.5");
        assert_eq!(fmt_sig(0.5), "0.5");
        assert_eq!(fmt_sig(1.5e-7), "1.5e-7");
        assert_eq!(fmt_sig(f64::NAN), "NaN");
        assert_eq!(fmt_list(&[0.0054, 0.008]), "0.0054, 0.008");
        assert_eq!(fmt_list(&[]), "(none)");
    }
}
