//! Corner plot of posterior draws ([`corner_plot`]): 1-D histograms on the diagonal,
//! 2-D histograms of every pair below it, parameter names on the outer axes and the
//! reference point (truth / NLSQ) marked.

use crate::error::PlotError;
use crate::font::FAMILY;
use crate::marginal::POSTERIOR_HEADER_HEIGHT;
use crate::output::{Root, check_size, de, render_png};
use crate::posterior::{
    HIST_COLOR, NOTE_COLOR, PosteriorParam, PosteriorPlotInfo, REF_COLOR, Summary, auto_bins,
    draw_legend, histogram, validate,
};
use crate::ticks::fmt_tick;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// Width in pixels of the label strip left of the corner grid.
pub const CORNER_LEFT: u32 = 96;
/// Height in pixels of the label strip below the corner grid.
pub const CORNER_BOTTOM: u32 = 76;
/// Margin in pixels right of the corner grid.
pub const CORNER_RIGHT: u32 = 18;

/// Dark end of the 2-D histogram colour ramp (white → this).
const DENSE: RGBColor = RGBColor(0x08, 0x30, 0x6b);

/// Options of [`corner_plot`].
#[derive(Clone, Debug)]
pub struct CornerOptions {
    /// Side of one grid cell in pixels (at least 100).
    pub cell_size: u32,
    /// Figure title (empty: none).
    pub title: String,
    /// Bins per axis of the 1-D and 2-D histograms; `None` chooses the Rice rule
    /// `2 n^(1/3)` rounded up to an odd count, 5..=61 (1-D) and 5..=41 (2-D).
    pub bins: Option<usize>,
    /// Probability mass of the central interval marked (dashed) on the diagonal.
    pub interval: f64,
    /// Legend label of the reference point.
    pub reference_label: String,
}

impl Default for CornerOptions {
    fn default() -> Self {
        Self {
            cell_size: 220,
            title: "Posterior corner plot".into(),
            bins: None,
            interval: 0.9,
            reference_label: "NLSQ".into(),
        }
    }
}

/// Writes the corner plot of `params` (intended for the 3–9 physical parameters) to
/// the PNG file `path` (atomically). All parameters must have the same `(chain, draw)`
/// shape: draw `(c, d)` of one parameter is paired with draw `(c, d)` of the others,
/// and pairs with a non-finite member are skipped.
///
/// Size: `CORNER_LEFT + k × cell_size + CORNER_RIGHT` wide and
/// `POSTERIOR_HEADER_HEIGHT + k × cell_size + CORNER_BOTTOM` high for `k` parameters.
/// Cell `(i, j)` with `i > j` is the 2-D histogram of parameter `j` (x) against `i`
/// (y), white for empty bins to dark blue for the fullest (square-root scale); the
/// diagonal holds the 1-D histograms with the central `interval` dashed. Reference
/// values are red lines (and a red dot where both coordinates are known). Axis ranges
/// span the finite draws and the reference value. Skipped non-finite draws are listed
/// in the header.
///
/// Errors as for [`crate::trace_plot`], plus [`PlotError::ShapeMismatch`] when the
/// shapes differ.
pub fn corner_plot(
    path: &Path,
    params: &[PosteriorParam<'_>],
    opts: &CornerOptions,
) -> Result<PosteriorPlotInfo, PlotError> {
    if opts.cell_size < 100 {
        return Err(PlotError::InvalidInput(format!(
            "corner plot: cell_size must be at least 100 pixels (got {})",
            opts.cell_size
        )));
    }
    let summaries = validate(params, true)?;
    let k = params.len();
    let grid = k as u64 * u64::from(opts.cell_size);
    let fit = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    let width = fit(grid + u64::from(CORNER_LEFT + CORNER_RIGHT));
    let height = fit(grid + u64::from(POSTERIOR_HEADER_HEIGHT + CORNER_BOTTOM));
    check_size(width, height)?;
    let interval = if opts.interval.is_finite() {
        opts.interval.clamp(0.0, 1.0)
    } else {
        0.9
    };
    let ranges: Vec<Range<f64>> = params
        .iter()
        .zip(&summaries)
        .map(|(p, s)| s.axis_range(p.reference_value().as_slice()))
        .collect();
    let any_ref = params.iter().any(|p| p.reference_value().is_some());
    let notes: Vec<String> = params
        .iter()
        .zip(&summaries)
        .filter(|(_, s)| s.non_finite > 0)
        .map(|(p, s)| format!("{} ({})", p.name, s.non_finite))
        .collect();
    let cell = opts.cell_size as i32;
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
            ('=', BLACK, format!("{:.0} % interval", interval * 100.0)),
        ];
        if any_ref {
            items.push(('o', REF_COLOR, opts.reference_label.clone()));
        }
        draw_legend(&head, &items, (14, 44), 15)?;
        if !notes.is_empty() {
            let text = format!("non-finite draws skipped: {}", notes.join(", "));
            let style = TextStyle::from((FAMILY, 15).into_font()).color(&NOTE_COLOR);
            let (tw, _) = head.estimate_text_size(&text, &style).map_err(de)?;
            let x = (width as i32 - tw as i32 - 14).max(420);
            head.draw_text(&text, &style, (x, 44)).map_err(de)?;
        }
        let xs: Vec<i32> = (1..k as i32)
            .map(|j| CORNER_LEFT as i32 + j * cell)
            .collect();
        let ys: Vec<i32> = (1..k as i32).map(|i| i * cell).collect();
        let cells = body.split_by_breakpoints(&xs, &ys);
        for i in 0..k {
            for j in 0..=i {
                let spec = CellSpec {
                    left: j == 0,
                    bottom: i == k - 1,
                    right: j == k - 1,
                };
                let area = &cells[i * k + j];
                if i == j {
                    draw_diagonal(
                        area,
                        &params[i],
                        &summaries[i],
                        &ranges[i],
                        opts,
                        interval,
                        spec,
                    )?;
                } else {
                    draw_pair(area, params, &ranges, (i, j), opts, spec)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(PosteriorPlotInfo {
        files: vec![path.to_path_buf()],
        sizes: vec![(width, height)],
        non_finite: summaries.iter().map(|s| s.non_finite).collect(),
    })
}

/// Where a cell sits on the grid's outer edges.
#[derive(Clone, Copy)]
struct CellSpec {
    left: bool,
    bottom: bool,
    right: bool,
}

const PAD: u32 = 4;

fn builder<'a, 'b>(area: &'a Root<'b>, spec: CellSpec) -> ChartBuilder<'a, 'b, BitMapBackend<'b>> {
    let mut b = ChartBuilder::on(area);
    b.margin(PAD)
        .margin_right(PAD + if spec.right { CORNER_RIGHT } else { 0 })
        .x_label_area_size(if spec.bottom { CORNER_BOTTOM } else { 0 })
        .y_label_area_size(if spec.left { CORNER_LEFT } else { 0 });
    b
}

fn draw_diagonal(
    area: &Root<'_>,
    p: &PosteriorParam<'_>,
    s: &Summary,
    xr: &Range<f64>,
    opts: &CornerOptions,
    interval: f64,
    spec: CellSpec,
) -> Result<(), String> {
    let xspan = xr.end - xr.start;
    let nb = auto_bins(s.sorted.len(), opts.bins);
    let counts = histogram(s.sorted.iter().copied(), xr, nb);
    let cmax = counts.iter().copied().fold(0.0, f64::max);
    let ymax = if cmax > 0.0 { cmax * 1.1 } else { 1.0 };
    let bw = xspan / nb as f64;
    let mut chart = builder(area, spec)
        .build_cartesian_2d(xr.clone(), 0.0..ymax)
        .map_err(de)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .x_labels(4)
        .y_labels(0)
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 16))
        .x_desc(if spec.bottom { p.name.as_str() } else { "" })
        .x_label_formatter(&|v| fmt_tick(*v, xspan))
        .draw()
        .map_err(de)?;
    chart
        .draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0.0)
                .map(|(b, c)| {
                    let x0 = xr.start + b as f64 * bw;
                    Rectangle::new([(x0, 0.0), (x0 + bw, *c)], HIST_COLOR.mix(0.55).filled())
                }),
        )
        .map_err(de)?;
    let tail = 0.5 * (1.0 - interval);
    for v in [s.quantile(tail), s.quantile(1.0 - tail)]
        .into_iter()
        .flatten()
    {
        chart
            .draw_series(DashedLineSeries::new(
                [(v, 0.0), (v, ymax)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(de)?;
    }
    if let Some(r) = p.reference_value() {
        chart
            .draw_series(LineSeries::new(
                [(r, 0.0), (r, ymax)],
                REF_COLOR.stroke_width(2),
            ))
            .map_err(de)?;
    }
    if s.sorted.is_empty() {
        chart
            .plotting_area()
            .strip_coord_spec()
            .draw_text(
                "no finite draws",
                &TextStyle::from((FAMILY, 13).into_font()).color(&NOTE_COLOR),
                (4, 4),
            )
            .map_err(de)?;
    }
    Ok(())
}

fn draw_pair(
    area: &Root<'_>,
    params: &[PosteriorParam<'_>],
    ranges: &[Range<f64>],
    (i, j): (usize, usize),
    opts: &CornerOptions,
    spec: CellSpec,
) -> Result<(), String> {
    let (px, py) = (&params[j], &params[i]);
    let (xr, yr) = (&ranges[j], &ranges[i]);
    let (xspan, yspan) = (xr.end - xr.start, yr.end - yr.start);
    let pairs = px
        .draws
        .iter()
        .zip(py.draws.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let n_pairs = pairs.clone().count();
    let nb = match opts.bins {
        Some(b) if b > 0 => b.min(400),
        _ => auto_bins(n_pairs, None).min(41),
    };
    let mut grid = vec![0u32; nb * nb];
    for (&x, &y) in pairs {
        let fx = (x - xr.start) / xspan;
        let fy = (y - yr.start) / yspan;
        if (0.0..=1.0).contains(&fx) && (0.0..=1.0).contains(&fy) {
            let bx = ((fx * nb as f64) as usize).min(nb - 1);
            let by = ((fy * nb as f64) as usize).min(nb - 1);
            grid[by * nb + bx] += 1;
        }
    }
    let gmax = f64::from(grid.iter().copied().max().unwrap_or(0).max(1));
    let mut chart = builder(area, spec)
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(de)?;
    let (bwx, bwy) = (xspan / nb as f64, yspan / nb as f64);
    chart
        .draw_series(
            grid.iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(k, &c)| {
                    let (bx, by) = (k % nb, k / nb);
                    let f = (f64::from(c) / gmax).sqrt();
                    let mix = |w: u8, d: u8| {
                        (f64::from(w) + (f64::from(d) - f64::from(w)) * f).round() as u8
                    };
                    let color = RGBColor(mix(255, DENSE.0), mix(255, DENSE.1), mix(255, DENSE.2));
                    let x0 = xr.start + bx as f64 * bwx;
                    let y0 = yr.start + by as f64 * bwy;
                    Rectangle::new([(x0, y0), (x0 + bwx, y0 + bwy)], color.filled())
                }),
        )
        .map_err(de)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .x_labels(4)
        .y_labels(4)
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 16))
        .x_desc(if spec.bottom { px.name.as_str() } else { "" })
        .y_desc(if spec.left { py.name.as_str() } else { "" })
        .x_label_formatter(&|v| fmt_tick(*v, xspan))
        .y_label_formatter(&|v| fmt_tick(*v, yspan))
        .draw()
        .map_err(de)?;
    let style = REF_COLOR.stroke_width(1);
    let (rx, ry) = (px.reference_value(), py.reference_value());
    if let Some(r) = rx {
        chart
            .draw_series(LineSeries::new([(r, yr.start), (r, yr.end)], style))
            .map_err(de)?;
    }
    if let Some(r) = ry {
        chart
            .draw_series(LineSeries::new([(xr.start, r), (xr.end, r)], style))
            .map_err(de)?;
    }
    if let (Some(x), Some(y)) = (rx, ry) {
        chart
            .draw_series(std::iter::once(Circle::new((x, y), 4, REF_COLOR.filled())))
            .map_err(de)?;
    }
    Ok(())
}
