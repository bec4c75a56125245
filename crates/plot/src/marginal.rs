//! Grid of marginal posterior histograms ([`marginal_posteriors`]): the pooled draws of
//! each parameter with the posterior mean, the central credible interval and, when
//! given, the reference (NLSQ) value with its ± 1σ band.

use crate::error::PlotError;
use crate::font::FAMILY;
use crate::output::{Root, check_size, de, render_png};
use crate::posterior::{
    HIST_COLOR, NOTE_COLOR, PosteriorParam, PosteriorPlotInfo, REF_COLOR, Summary, auto_bins,
    draw_legend, histogram, validate,
};
use crate::ticks::fmt_tick;
use plotters::prelude::*;
use std::path::Path;

/// Height in pixels of the header (title and legend) of the marginal and corner plots.
pub const POSTERIOR_HEADER_HEIGHT: u32 = 72;

/// Options of [`marginal_posteriors`].
#[derive(Clone, Debug)]
pub struct MarginalOptions {
    /// Width of one panel in pixels (at least 160).
    pub panel_width: u32,
    /// Height of one panel in pixels (at least 120).
    pub panel_height: u32,
    /// Panels per row; 0 chooses `ceil(sqrt(n))` capped at 5.
    pub columns: usize,
    /// Figure title (empty: none).
    pub title: String,
    /// Histogram bins; `None` chooses the Rice rule `2 n^(1/3)` rounded up to an odd
    /// count, 5..=61.
    pub bins: Option<usize>,
    /// Probability mass of the central credible interval (default 0.9: the 5th to the
    /// 95th percentile); clamped to `[0, 1]`.
    pub interval: f64,
    /// Legend label of the reference value.
    pub reference_label: String,
}

impl Default for MarginalOptions {
    fn default() -> Self {
        Self {
            panel_width: 420,
            panel_height: 300,
            columns: 0,
            title: "Marginal posteriors".into(),
            bins: None,
            interval: 0.9,
            reference_label: "NLSQ".into(),
        }
    }
}

/// Writes a grid of histograms of each parameter's pooled finite draws (all chains) to
/// the PNG file `path` (atomically).
///
/// Size: `columns × panel_width` wide and [`POSTERIOR_HEADER_HEIGHT`] +
/// `ceil(n / columns) × panel_height` high. Each panel shows the histogram (normalised
/// to a density; the y axis carries no ticks), the posterior mean (solid black), the
/// central `interval` (dashed black), and the reference value (solid red) with its
/// ± 1σ band (shaded red, clipped to the axis) when given. The axis spans the finite
/// draws and the reference value (not the band). The panel title gives the mean and
/// interval; skipped non-finite draws are noted inside the panel.
///
/// Constant draws get a small axis range around their value. Errors as for
/// [`crate::trace_plot`].
pub fn marginal_posteriors(
    path: &Path,
    params: &[PosteriorParam<'_>],
    opts: &MarginalOptions,
) -> Result<PosteriorPlotInfo, PlotError> {
    if opts.panel_width < 160 || opts.panel_height < 120 {
        return Err(PlotError::InvalidInput(format!(
            "marginal posteriors: panels must be at least 160x120 pixels (got {}x{})",
            opts.panel_width, opts.panel_height
        )));
    }
    let summaries = validate(params, false)?;
    let n = params.len();
    let cols = if opts.columns == 0 {
        ((n as f64).sqrt().ceil() as usize).clamp(1, 5)
    } else {
        opts.columns.min(n)
    };
    let rows = n.div_ceil(cols);
    let side = |count: usize, each: u32, extra: u32| {
        u32::try_from(count as u64 * u64::from(each) + u64::from(extra)).unwrap_or(u32::MAX)
    };
    let width = side(cols, opts.panel_width, 0);
    let height = side(rows, opts.panel_height, POSTERIOR_HEADER_HEIGHT);
    check_size(width, height)?;
    let interval = if opts.interval.is_finite() {
        opts.interval.clamp(0.0, 1.0)
    } else {
        0.9
    };
    let any_ref = params.iter().any(|p| p.reference_value().is_some());
    let any_band = params.iter().any(|p| p.reference_band().is_some());
    render_png(path, width, height, |root| {
        let (head, body) = root.split_vertically(POSTERIOR_HEADER_HEIGHT);
        if !opts.title.is_empty() {
            head.draw_text(
                &opts.title,
                &TextStyle::from((FAMILY, 24).into_font()).color(&BLACK),
                (12, 8),
            )
            .map_err(de)?;
        }
        let mut items = vec![
            ('#', HIST_COLOR, "posterior".to_string()),
            ('-', BLACK, "mean".to_string()),
            ('=', BLACK, format!("{:.0} % interval", interval * 100.0)),
        ];
        if any_ref {
            items.push(('-', REF_COLOR, opts.reference_label.clone()));
        }
        if any_band {
            items.push(('#', REF_COLOR, format!("{} ± 1σ", opts.reference_label)));
        }
        draw_legend(&head, &items, (14, 44), 15)?;
        let cells = body.split_evenly((rows, cols));
        for ((cell, p), s) in cells.iter().zip(params).zip(&summaries) {
            draw_panel(cell, p, s, opts.bins, interval)?;
        }
        Ok(())
    })?;
    Ok(PosteriorPlotInfo {
        files: vec![path.to_path_buf()],
        sizes: vec![(width, height)],
        non_finite: summaries.iter().map(|s| s.non_finite).collect(),
    })
}

fn draw_panel(
    area: &Root<'_>,
    p: &PosteriorParam<'_>,
    s: &Summary,
    bins: Option<usize>,
    interval: f64,
) -> Result<(), String> {
    let reference = p.reference_value();
    let xr = s.axis_range(reference.as_slice());
    let xspan = xr.end - xr.start;
    let nb = auto_bins(s.sorted.len(), bins);
    let counts = histogram(s.sorted.iter().copied(), &xr, nb);
    let bw = xspan / nb as f64;
    let total = s.sorted.len().max(1) as f64;
    let dens: Vec<f64> = counts.iter().map(|c| c / (total * bw)).collect();
    let dmax = dens.iter().copied().fold(0.0, f64::max);
    let ymax = if dmax > 0.0 && dmax.is_finite() {
        dmax * 1.1
    } else {
        1.0
    };

    let mean = s.mean();
    let tail = 0.5 * (1.0 - interval);
    let lo = s.quantile(tail);
    let hi = s.quantile(1.0 - tail);
    let f = |v: f64| fmt_tick(v, xspan / 20.0);
    let caption = match (mean, lo, hi) {
        (Some(m), Some(a), Some(b)) => format!("{}: {} [{}, {}]", p.name, f(m), f(a), f(b)),
        _ => p.name.clone(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&caption, (FAMILY, 15))
        .margin(8)
        .margin_right(14)
        .x_label_area_size(28)
        .y_label_area_size(0)
        .build_cartesian_2d(xr.clone(), 0.0..ymax)
        .map_err(de)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .x_labels(5)
        .y_labels(0)
        .label_style((FAMILY, 12))
        .x_label_formatter(&|v| fmt_tick(*v, xspan))
        .draw()
        .map_err(de)?;
    if let Some((a, b)) = p.reference_band() {
        let (a, b) = (a.max(xr.start), b.min(xr.end));
        if b > a {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, 0.0), (b, ymax)],
                    REF_COLOR.mix(0.15).filled(),
                )))
                .map_err(de)?;
        }
    }
    chart
        .draw_series(
            dens.iter()
                .enumerate()
                .filter(|(_, d)| **d > 0.0)
                .map(|(k, d)| {
                    let x0 = xr.start + k as f64 * bw;
                    Rectangle::new([(x0, 0.0), (x0 + bw, *d)], HIST_COLOR.mix(0.55).filled())
                }),
        )
        .map_err(de)?;
    for v in [lo, hi].into_iter().flatten() {
        chart
            .draw_series(DashedLineSeries::new(
                [(v, 0.0), (v, ymax)],
                6,
                4,
                BLACK.stroke_width(2),
            ))
            .map_err(de)?;
    }
    if let Some(m) = mean {
        chart
            .draw_series(LineSeries::new(
                [(m, 0.0), (m, ymax)],
                BLACK.stroke_width(2),
            ))
            .map_err(de)?;
    }
    if let Some(r) = reference {
        chart
            .draw_series(LineSeries::new(
                [(r, 0.0), (r, ymax)],
                REF_COLOR.stroke_width(2),
            ))
            .map_err(de)?;
    }
    let note = s.note();
    if !note.is_empty() {
        let pa = chart.plotting_area().strip_coord_spec();
        pa.draw_text(
            &note,
            &TextStyle::from((FAMILY, 13).into_font()).color(&NOTE_COLOR),
            (4, 4),
        )
        .map_err(de)?;
    }
    Ok(())
}
