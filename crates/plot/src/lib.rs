//! PNG plots for homodyne-rs: c2 heatmaps with colour bars, the experimental / fitted /
//! residual comparison, and diagonal profiles.
//!
//! Rendering uses `plotters`' bitmap backend with an embedded DejaVu Sans font
//! (registered through `ab_glyph`; no system font libraries). Matrices are
//! block-averaged onto the output pixel grid, so 1000×1000 inputs render quickly and
//! 2×2 inputs are upsampled. Cells without a finite value are drawn grey
//! ([`NAN_COLOR`]). Every file is written atomically (temporary file in the same
//! folder, then rename). Nothing here panics on bad input; errors are [`PlotError`].

mod colormap;
mod font;
mod heatmap;
mod output;
mod profile;
mod raster;
mod ticks;

pub use colormap::{Colormap, NAN_COLOR};
pub use heatmap::{
    FitComparisonInfo, FitComparisonOptions, HeatmapInfo, HeatmapOptions, fit_comparison_file_name,
    fit_comparison_heatmaps, heatmap,
};
pub use output::{MAX_SIDE, MIN_SIDE};
pub use profile::{DiagonalProfileOptions, diagonal_profile, series_color};
pub use raster::{ColorLimits, percentile, resolve_limits};

use std::path::PathBuf;

/// A pixel rectangle `[x0, x1) × [y0, y1)` in image coordinates (origin top-left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    /// Left edge (inclusive).
    pub x0: i32,
    /// Top edge (inclusive).
    pub y0: i32,
    /// Right edge (exclusive).
    pub x1: i32,
    /// Bottom edge (exclusive).
    pub y1: i32,
}

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
