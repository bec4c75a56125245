//! PNG plots for homodyne-rs: c2 heatmaps with colour bars, the experimental / fitted /
//! residual comparison, diagonal profiles, and posterior (CMC / MCMC) figures.
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
//! * Posterior figures (draws of shape `(chain, draw)` per [`PosteriorParam`], with an
//!   optional reference value ± σ and diagnostics text; each returns a
//!   [`PosteriorPlotInfo`] listing the files written, their pixel sizes and the
//!   non-finite draws skipped per parameter): [`trace_plot`] ([`TraceOptions`]; paged
//!   into `<stem>_1.png`, `<stem>_2.png`, … by [`page_paths`] when there are more
//!   parameters than `rows_per_page`), [`marginal_posteriors`] ([`MarginalOptions`]),
//!   and [`corner_plot`] ([`CornerOptions`]). Fixed layout sizes:
//!   [`TRACE_HEADER_HEIGHT`], [`POSTERIOR_HEADER_HEIGHT`], [`CORNER_LEFT`],
//!   [`CORNER_RIGHT`], [`CORNER_BOTTOM`].
//! * Colours: [`Colormap`], [`NAN_COLOR`], and [`ColorLimits`] (fixed or percentile
//!   limits), with [`percentile`] computing a percentile the way the limits do.
//! * Errors: [`PlotError`]; image sides must lie in [`MIN_SIDE`]..=[`MAX_SIDE`].

#![deny(missing_docs)]

mod colormap;
mod corner;
mod error;
mod font;
mod heatmap;
mod marginal;
mod output;
mod posterior;
mod profile;
mod raster;
mod ticks;
mod trace;

pub use colormap::{Colormap, NAN_COLOR};
pub use corner::{CORNER_BOTTOM, CORNER_LEFT, CORNER_RIGHT, CornerOptions, corner_plot};
pub use error::{MAX_SIDE, MIN_SIDE, PlotError};
pub use heatmap::{
    FitComparisonInfo, FitComparisonOptions, HeatmapInfo, HeatmapOptions, PixelRect,
    fit_comparison_file_name, fit_comparison_heatmaps, heatmap,
};
pub use marginal::{MarginalOptions, POSTERIOR_HEADER_HEIGHT, marginal_posteriors};
pub use posterior::{PosteriorParam, PosteriorPlotInfo, page_paths};
pub use profile::{DiagonalProfileOptions, diagonal_profile, series_color};
pub use raster::{ColorLimits, percentile};
pub use trace::{TRACE_HEADER_HEIGHT, TraceOptions, trace_plot};
