//! Trace plot of posterior draws ([`trace_plot`]): one row per parameter with every
//! chain's trace on the left and every chain's marginal density (Gaussian KDE) on the
//! right, one colour per chain ([`crate::series_color`]). Many parameters are split
//! over several pages (files).

use crate::error::PlotError;
use crate::font::FAMILY;
use crate::output::{check_size, de, render_png};
use crate::posterior::{
    NOTE_COLOR, PosteriorParam, PosteriorPlotInfo, Summary, draw_legend, kde, page_paths,
    thin_trace, validate,
};
use crate::profile::series_color;
use crate::ticks::fmt_tick;
use plotters::prelude::*;
use std::path::Path;

/// Height in pixels of the header (title and chain legend) of every trace page.
pub const TRACE_HEADER_HEIGHT: u32 = 72;

/// Options of [`trace_plot`].
#[derive(Clone, Debug)]
pub struct TraceOptions {
    /// Image width in pixels (at least 400).
    pub width: u32,
    /// Height of one parameter row in pixels (at least 100). A page is
    /// [`TRACE_HEADER_HEIGHT`] + rows × `row_height` pixels high.
    pub row_height: u32,
    /// Most parameter rows on one page (at least 1). More parameters are split over
    /// `ceil(n / rows_per_page)` pages with as equal row counts as possible (earlier
    /// pages take the extra row).
    pub rows_per_page: usize,
    /// Title of every page (page `k/N` is appended when paged; empty: only that).
    pub title: String,
    /// Most points drawn per chain line (at least 2); longer chains are thinned by
    /// keeping each bucket's minimum and maximum.
    pub max_points_per_chain: usize,
    /// Legend label of the reference marker (dashed black line).
    pub reference_label: String,
}

impl Default for TraceOptions {
    fn default() -> Self {
        Self {
            width: 1400,
            row_height: 220,
            rows_per_page: 12,
            title: "Posterior traces".into(),
            max_points_per_chain: 2000,
            reference_label: "NLSQ".into(),
        }
    }
}

/// Writes the trace plot of `params` (each with draws of shape `(chain, draw)`; the
/// shapes may differ between parameters).
///
/// Paging: with at most `opts.rows_per_page` parameters the figure is the single file
/// `path`; otherwise it is split over `N = ceil(n / rows_per_page)` files named by
/// [`page_paths`] (`trace.png` → `trace_1.png` … `trace_N.png`) and `path` itself is
/// neither written nor removed. [`PosteriorPlotInfo::files`] lists what was written.
///
/// Each row's title is the parameter name and its [`PosteriorParam::diagnostics`] text;
/// skipped non-finite draws are noted inside the trace panel. The reference
/// value, when set, is a dashed horizontal line in the trace and a dashed vertical line
/// in the density panel.
///
/// Errors: no parameter ([`PlotError::InvalidInput`]), a parameter without chains or
/// draws ([`PlotError::EmptyMatrix`]), no finite draw in any parameter
/// ([`PlotError::InvalidInput`]; a single parameter without finite draws is drawn as an
/// empty row with the note "no finite draws"), invalid sizes or options, I/O.
pub fn trace_plot(
    path: &Path,
    params: &[PosteriorParam<'_>],
    opts: &TraceOptions,
) -> Result<PosteriorPlotInfo, PlotError> {
    if opts.rows_per_page == 0 {
        return Err(PlotError::InvalidInput(
            "trace plot: rows_per_page must be at least 1".into(),
        ));
    }
    if opts.width < 400 || opts.row_height < 100 {
        return Err(PlotError::InvalidInput(format!(
            "trace plot: width must be at least 400 and row_height at least 100 pixels \
             (got {} and {})",
            opts.width, opts.row_height
        )));
    }
    let summaries = validate(params, false)?;
    let n = params.len();
    let pages = n.div_ceil(opts.rows_per_page);
    let per_page = n.div_ceil(pages);
    let max_rows = per_page as u64;
    let tallest = u64::from(TRACE_HEADER_HEIGHT) + max_rows * u64::from(opts.row_height);
    check_size(opts.width, u32::try_from(tallest).unwrap_or(u32::MAX))?;
    let files = page_paths(path, pages);
    let mut sizes = Vec::with_capacity(pages);
    for (k, file) in files.iter().enumerate() {
        let start = k * per_page;
        let end = ((k + 1) * per_page).min(n);
        let rows = end - start;
        let height = TRACE_HEADER_HEIGHT + rows as u32 * opts.row_height;
        let title = if pages > 1 {
            let sep = if opts.title.is_empty() { "" } else { " — " };
            format!("{}{sep}page {}/{pages}", opts.title, k + 1)
        } else {
            opts.title.clone()
        };
        draw_page(
            file,
            &params[start..end],
            &summaries[start..end],
            opts,
            &title,
            height,
        )?;
        sizes.push((opts.width, height));
    }
    Ok(PosteriorPlotInfo {
        files,
        sizes,
        non_finite: summaries.iter().map(|s| s.non_finite).collect(),
    })
}

fn draw_page(
    path: &Path,
    params: &[PosteriorParam<'_>],
    summaries: &[Summary],
    opts: &TraceOptions,
    title: &str,
    height: u32,
) -> Result<(), PlotError> {
    let max_chains = params.iter().map(|p| p.draws.nrows()).max().unwrap_or(0);
    let any_ref = params.iter().any(|p| p.reference_value().is_some());
    render_png(path, opts.width, height, |root| {
        let (head, body) = root.split_vertically(TRACE_HEADER_HEIGHT);
        head.draw_text(
            title,
            &TextStyle::from((FAMILY, 24).into_font()).color(&BLACK),
            (12, 8),
        )
        .map_err(de)?;
        let mut items: Vec<(char, RGBColor, String)> = (0..max_chains)
            .map(|c| ('-', series_color(c), format!("chain {}", c + 1)))
            .collect();
        if any_ref {
            items.push(('=', BLACK, opts.reference_label.clone()));
        }
        draw_legend(&head, &items, (14, 44), 15)?;
        let rows = body.split_evenly((params.len(), 1));
        for ((area, p), s) in rows.iter().zip(params).zip(summaries) {
            draw_row(area, p, s, opts)?;
        }
        Ok(())
    })
}

fn draw_row(
    area: &crate::output::Root<'_>,
    p: &PosteriorParam<'_>,
    s: &Summary,
    opts: &TraceOptions,
) -> Result<(), String> {
    let (w, _) = area.dim_in_pixel();
    let (left, right) = area.split_horizontally(w * 68 / 100);
    let reference = p.reference_value();
    let yr = s.axis_range(reference.as_slice());
    let yspan = yr.end - yr.start;
    let (n_chains, n_draws) = p.draws.dim();
    let xr = 0.0..(n_draws.max(2) - 1) as f64;
    let xspan = xr.end - xr.start;

    let mut caption = p.name.clone();
    if let Some(d) = p.diagnostics.as_deref().filter(|d| !d.is_empty()) {
        caption.push_str("    ");
        caption.push_str(d);
    }
    let caption_style = (FAMILY, 16);

    let mut chart = ChartBuilder::on(&left)
        .caption(&caption, caption_style)
        .margin(6)
        .margin_left(10)
        .x_label_area_size(26)
        .y_label_area_size(74)
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(de)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.1))
        .x_labels(8)
        .y_labels(4)
        .label_style((FAMILY, 12))
        .x_label_formatter(&|v| fmt_tick(*v, xspan))
        .y_label_formatter(&|v| fmt_tick(*v, yspan))
        .draw()
        .map_err(de)?;
    for c in 0..n_chains {
        let pts = thin_trace(p.draws.row(c), opts.max_points_per_chain);
        if pts.is_empty() {
            continue;
        }
        let style = series_color(c).mix(0.75).stroke_width(1);
        if pts.len() == 1 {
            chart
                .draw_series(std::iter::once(Circle::new(pts[0], 2, style.filled())))
                .map_err(de)?;
        } else {
            chart.draw_series(LineSeries::new(pts, style)).map_err(de)?;
        }
    }
    if let Some(r) = reference {
        chart
            .draw_series(DashedLineSeries::new(
                [(xr.start, r), (xr.end, r)],
                8,
                5,
                BLACK.stroke_width(2),
            ))
            .map_err(de)?;
    }

    let note = s.note();
    if !note.is_empty() {
        chart
            .plotting_area()
            .strip_coord_spec()
            .draw_text(
                &note,
                &TextStyle::from((FAMILY, 13).into_font()).color(&NOTE_COLOR),
                (6, 4),
            )
            .map_err(de)?;
    }

    // Per-chain densities on the same value range.
    let densities: Vec<Vec<(f64, f64)>> = (0..n_chains).map(|c| kde(p.draws.row(c), &yr)).collect();
    let dmax = densities
        .iter()
        .flatten()
        .map(|d| d.1)
        .filter(|d| d.is_finite())
        .fold(0.0, f64::max);
    let dmax = if dmax > 0.0 { dmax * 1.08 } else { 1.0 };
    let mut dchart = ChartBuilder::on(&right)
        .caption("density", caption_style)
        .margin(6)
        .margin_right(14)
        .x_label_area_size(26)
        .y_label_area_size(0)
        .build_cartesian_2d(yr.clone(), 0.0..dmax)
        .map_err(de)?;
    dchart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.1))
        .x_labels(5)
        .y_labels(0)
        .label_style((FAMILY, 12))
        .x_label_formatter(&|v| fmt_tick(*v, yspan))
        .draw()
        .map_err(de)?;
    for (c, d) in densities.into_iter().enumerate() {
        if d.is_empty() {
            continue;
        }
        dchart
            .draw_series(LineSeries::new(d, series_color(c).stroke_width(2)))
            .map_err(de)?;
    }
    if let Some(r) = reference {
        dchart
            .draw_series(DashedLineSeries::new(
                [(r, 0.0), (r, dmax)],
                8,
                5,
                BLACK.stroke_width(2),
            ))
            .map_err(de)?;
    }
    Ok(())
}
