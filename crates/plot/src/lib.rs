//! PNG plots for homodyne-rs: c2 heatmaps with colour bars, the experimental / fitted /
//! residual comparison, and diagonal profiles.
//!
//! Rendering uses `plotters`' bitmap backend with an embedded DejaVu Sans font
//! (registered through `ab_glyph`; no system font libraries). Matrices are
//! block-averaged onto the output pixel grid, so 1000×1000 inputs render quickly and
//! 2×2 inputs are upsampled. Cells without a finite value are drawn grey
//! ([`NAN_COLOR`]). Every file is written atomically (temporary file in the same
//! folder, then rename). Nothing here panics on bad input; errors are [`PlotError`].
//!
//! # Public API
//!
//! All modules are private; everything callers may use is re-exported here:
//!
//! * Heatmaps: [`heatmap`] draws one c2(t1, t2) map with its colour bar
//!   ([`HeatmapOptions`] in, [`HeatmapInfo`] with [`PixelRect`]s out);
//!   [`fit_comparison_heatmaps`] draws the experimental / fitted / residual panels
//!   ([`FitComparisonOptions`] in, [`FitComparisonInfo`] out) under the file name
//!   [`fit_comparison_file_name`] gives for an angle.
//! * Profiles: [`diagonal_profile`] plots c2(t, t) per angle ([`DiagonalProfileOptions`]);
//!   [`series_color`] is the colour of its `k`-th curve.
//! * Colours: [`Colormap`], [`NAN_COLOR`], and [`ColorLimits`] (fixed or percentile
//!   limits), with [`percentile`] computing a percentile the way the limits do.
//! * Errors: [`PlotError`]; image sides must lie in [`MIN_SIDE`]..=[`MAX_SIDE`].

#![deny(missing_docs)]

mod colormap;
mod error;
mod font;
mod heatmap;
mod output;
mod profile;
mod raster;
mod ticks;

pub use colormap::{Colormap, NAN_COLOR};
pub use error::{MAX_SIDE, MIN_SIDE, PlotError};
pub use heatmap::{
    FitComparisonInfo, FitComparisonOptions, HeatmapInfo, HeatmapOptions, PixelRect,
    fit_comparison_file_name, fit_comparison_heatmaps, heatmap,
};
pub use profile::{DiagonalProfileOptions, diagonal_profile, series_color};
pub use raster::{ColorLimits, percentile};
