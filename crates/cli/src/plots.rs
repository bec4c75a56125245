//! Thin wrappers over `homodyne-plot` with the CLI's titles and file names.

use std::path::Path;

use anyhow::{Context, Result};
use homodyne_plot::{HeatmapOptions, heatmap};
use ndarray::{ArrayView1, ArrayView2};

/// One c2 heatmap with time axes in seconds.
pub fn c2_heatmap(path: &Path, c2: ArrayView2<f64>, t: ArrayView1<f64>, title: &str) -> Result<()> {
    let opts = HeatmapOptions {
        title: title.to_string(),
        ..HeatmapOptions::default()
    };
    heatmap(path, c2, t, t, &opts)
        .with_context(|| format!("cannot write plot {}", path.display()))?;
    Ok(())
}
