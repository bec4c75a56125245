//! The error type of every plotting function, and the image-size limits its
//! [`PlotError::InvalidSize`] variant names.
//!
//! A leaf module: the drawing modules depend on it, it depends on none of them.

use std::path::PathBuf;

/// Smallest accepted image side, in pixels.
pub const MIN_SIDE: u32 = 64;
/// Largest accepted image side, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// Errors of the plotting functions.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A matrix (or stack of matrices) has no cells.
    #[error("matrix `{name}` is empty ({rows}x{cols})")]
    EmptyMatrix {
        /// Which input.
        name: String,
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
    },
    /// Array lengths do not fit together.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// Other invalid input (non-finite time axis, path without file name, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Requested image size outside [`MIN_SIDE`]..=[`MAX_SIDE`].
    #[error("invalid image size {width}x{height} (each side must be {min}..={max} pixels)", min = MIN_SIDE, max = MAX_SIDE)]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The output (or its temporary file) could not be created, written or renamed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// plotters failed while drawing (e.g. image too small for the layout).
    #[error("drawing {} failed: {message}", path.display())]
    Draw {
        /// Destination file.
        path: PathBuf,
        /// plotters' message.
        message: String,
    },
    /// The embedded font could not be parsed (should never happen).
    #[error("embedded font could not be loaded")]
    Font,
}
