//! Heatmaps of two-time correlation matrices: a single c2(t1, t2) map with colour bar
//! ([`heatmap`]) and the experimental / fitted / residual comparison used for
//! `c2_heatmaps_phi_<φ>deg.png` ([`fit_comparison_heatmaps`]). Matrices are
//! block-averaged onto the pixel grid of the plot area and painted pixel by pixel.

use crate::colormap::Colormap;
use crate::error::PlotError;
use crate::font::FAMILY;
use crate::output::{Root, de, render_png};
use crate::raster::{ColorLimits, downsample, resolve_limits, symmetric_limits};
use crate::ticks::fmt_tick;
use ndarray::{Array2, ArrayView1, ArrayView2, Zip};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// Width of the colour-bar column next to each heatmap, in pixels.
const CBAR_W: u32 = 120;
/// Width of the colour bar itself.
const BAR_W: u32 = 22;

/// Options of [`heatmap`].
#[derive(Clone, Debug)]
pub struct HeatmapOptions {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Title drawn above the map (empty: none).
    pub title: String,
    /// Colour limits (fixed or percentiles of the finite values).
    pub limits: ColorLimits,
    /// Colour map.
    pub colormap: Colormap,
    /// Label of the x axis (first matrix index, `t1`).
    pub x_label: String,
    /// Label of the y axis (second matrix index, `t2`).
    pub y_label: String,
    /// Label drawn along the colour bar.
    pub colorbar_label: String,
}

impl Default for HeatmapOptions {
    fn default() -> Self {
        Self {
            width: 760,
            height: 640,
            title: String::new(),
            limits: ColorLimits::default(),
            colormap: Colormap::Viridis,
            x_label: "t₁ (s)".into(),
            y_label: "t₂ (s)".into(),
            colorbar_label: "c₂".into(),
        }
    }
}

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

/// What a heatmap call drew: the colour limits used and where the map and colour bar
/// landed in the image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatmapInfo {
    /// Lower colour limit.
    pub vmin: f64,
    /// Upper colour limit.
    pub vmax: f64,
    /// Pixel rectangle of the matrix image (x grows with t1, y grows downwards, i.e.
    /// the top row is the largest t2).
    pub plot_area: PixelRect,
    /// Pixel rectangle of the colour gradient (top = `vmax`).
    pub colorbar_area: PixelRect,
}

/// Options of [`fit_comparison_heatmaps`].
#[derive(Clone, Debug)]
pub struct FitComparisonOptions {
    /// Image width in pixels (three panels side by side).
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Scattering angle in degrees, shown in the title.
    pub phi_deg: f64,
    /// Title; `None` gives `"c₂ fit comparison, φ = <phi:.1>°"`.
    pub title: Option<String>,
    /// Limits shared by the experimental and fitted panels; percentiles are taken over
    /// the experimental matrix (the fitted one if the experiment has no finite value).
    pub limits: ColorLimits,
    /// Residual limits: always symmetric `[-q, q]`; with percentiles `q` is the `high`
    /// percentile of |exp − fit|.
    pub residual_limits: ColorLimits,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
}

impl Default for FitComparisonOptions {
    fn default() -> Self {
        Self {
            width: 1800,
            height: 600,
            phi_deg: 0.0,
            title: None,
            limits: ColorLimits::default(),
            residual_limits: ColorLimits::default(),
            x_label: "t₁ (s)".into(),
            y_label: "t₂ (s)".into(),
        }
    }
}

/// What [`fit_comparison_heatmaps`] drew (panels: experimental, fitted, residual).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitComparisonInfo {
    /// Colour limits of the experimental and fitted panels.
    pub data_limits: (f64, f64),
    /// Symmetric colour limits of the residual panel.
    pub residual_limits: (f64, f64),
    /// Per-panel layout and limits.
    pub panels: [HeatmapInfo; 3],
}

/// File name the CLI uses for a fit comparison: `c2_heatmaps_phi_<phi:.1f>deg.png`.
pub fn fit_comparison_file_name(phi_deg: f64) -> String {
    format!("c2_heatmaps_phi_{phi_deg:.1}deg.png")
}

/// Writes a heatmap of `c2` (shape `(t1.len(), t2.len())`) to the PNG file `path`.
///
/// The first index runs along x (`t1`), the second along y (`t2`, upwards). Cells with
/// no finite value are grey. The file is written atomically.
pub fn heatmap(
    path: &Path,
    c2: ArrayView2<f64>,
    t1: ArrayView1<f64>,
    t2: ArrayView1<f64>,
    opts: &HeatmapOptions,
) -> Result<HeatmapInfo, PlotError> {
    check_matrix("c2", c2, t1, t2)?;
    let xr = axis_range("t1", t1)?;
    let yr = axis_range("t2", t2)?;
    let (vmin, vmax) = resolve_limits(c2, opts.limits);
    let labels = Labels {
        x: &opts.x_label,
        y: &opts.y_label,
        cbar: &opts.colorbar_label,
    };
    render_png(path, opts.width, opts.height, |root| {
        let area = titled(root, &opts.title, 26)?;
        draw_panel(
            &area,
            c2,
            xr.clone(),
            yr.clone(),
            (vmin, vmax),
            opts.colormap,
            "",
            &labels,
        )
    })
}

/// Writes the three-panel comparison experimental / fitted / residual (`exp − fit`)
/// to the PNG file `path`. Both matrices have shape `(t1.len(), t2.len())`.
pub fn fit_comparison_heatmaps(
    path: &Path,
    exp: ArrayView2<f64>,
    fit: ArrayView2<f64>,
    t1: ArrayView1<f64>,
    t2: ArrayView1<f64>,
    opts: &FitComparisonOptions,
) -> Result<FitComparisonInfo, PlotError> {
    check_matrix("experimental", exp, t1, t2)?;
    check_matrix("fitted", fit, t1, t2)?;
    let xr = axis_range("t1", t1)?;
    let yr = axis_range("t2", t2)?;
    let mut residual = Array2::<f64>::zeros(exp.dim());
    Zip::from(&mut residual)
        .and(exp)
        .and(fit)
        .for_each(|r, &e, &f| *r = e - f);
    let data_limits = if exp.iter().any(|v| v.is_finite()) {
        resolve_limits(exp, opts.limits)
    } else {
        resolve_limits(fit, opts.limits)
    };
    let residual_limits = symmetric_limits(residual.view(), opts.residual_limits);
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("c₂ fit comparison, φ = {:.1}°", opts.phi_deg));
    let labels = Labels {
        x: &opts.x_label,
        y: &opts.y_label,
        cbar: "",
    };
    let panels = render_png(path, opts.width, opts.height, |root| {
        let area = titled(root, &title, 28)?;
        let cols = area.split_evenly((1, 3));
        let specs: [PanelSpec<'_>; 3] = [
            (exp, data_limits, Colormap::Viridis, "Experimental"),
            (fit, data_limits, Colormap::Viridis, "Fitted"),
            (
                residual.view(),
                residual_limits,
                Colormap::Diverging,
                "Residual (exp − fit)",
            ),
        ];
        let mut infos = Vec::with_capacity(3);
        for (panel, (m, lim, cmap, caption)) in cols.iter().zip(specs) {
            infos.push(draw_panel(
                panel,
                m,
                xr.clone(),
                yr.clone(),
                lim,
                cmap,
                caption,
                &labels,
            )?);
        }
        <[HeatmapInfo; 3]>::try_from(infos).map_err(|_| "panel layout failed".to_string())
    })?;
    Ok(FitComparisonInfo {
        data_limits,
        residual_limits,
        panels,
    })
}

/// Matrix, colour limits, colour map and caption of one panel.
type PanelSpec<'a> = (ArrayView2<'a, f64>, (f64, f64), Colormap, &'a str);

struct Labels<'a> {
    x: &'a str,
    y: &'a str,
    cbar: &'a str,
}

fn check_matrix(
    name: &str,
    m: ArrayView2<f64>,
    t1: ArrayView1<f64>,
    t2: ArrayView1<f64>,
) -> Result<(), PlotError> {
    let (r, c) = m.dim();
    if r == 0 || c == 0 {
        return Err(PlotError::EmptyMatrix {
            name: name.to_string(),
            rows: r,
            cols: c,
        });
    }
    if t1.len() != r || t2.len() != c {
        return Err(PlotError::ShapeMismatch(format!(
            "{name} matrix is {r}x{c} but t1 has {} and t2 has {} points",
            t1.len(),
            t2.len()
        )));
    }
    Ok(())
}

/// Axis range `[min(t), max(t)]`, widened when degenerate; `t` must be finite.
pub(crate) fn axis_range(name: &str, t: ArrayView1<f64>) -> Result<Range<f64>, PlotError> {
    if t.iter().any(|v| !v.is_finite()) {
        return Err(PlotError::InvalidInput(format!(
            "time axis {name} contains non-finite values"
        )));
    }
    let lo = t.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return Err(PlotError::InvalidInput(format!(
            "time axis {name} is empty"
        )));
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        let d = (lo.abs() * 0.05).max(0.5);
        (lo - d, hi + d)
    };
    Ok(lo..hi)
}

/// Draws `title` on top of `root` (if non-empty) and returns the area below.
pub(crate) fn titled<'a>(root: &Root<'a>, title: &str, size: u32) -> Result<Root<'a>, String> {
    if title.is_empty() {
        Ok(root.clone())
    } else {
        root.titled(title, (FAMILY, size)).map_err(de)
    }
}

fn rect(x: &Range<i32>, y: &Range<i32>) -> PixelRect {
    PixelRect {
        x0: x.start,
        y0: y.start,
        x1: x.end,
        y1: y.end,
    }
}

/// Draws one heatmap with its colour bar into `area`.
#[allow(clippy::too_many_arguments)]
fn draw_panel(
    area: &Root<'_>,
    m: ArrayView2<f64>,
    xr: Range<f64>,
    yr: Range<f64>,
    (vmin, vmax): (f64, f64),
    cmap: Colormap,
    caption: &str,
    labels: &Labels<'_>,
) -> Result<HeatmapInfo, String> {
    const TOO_SMALL: &str = "image too small for the plot layout";
    let (aw, _) = area.dim_in_pixel();
    if aw <= CBAR_W + 40 {
        return Err(TOO_SMALL.into());
    }
    let (main, cbar) = area.split_horizontally(aw - CBAR_W);
    let (xspan, yspan) = (xr.end - xr.start, yr.end - yr.start);

    let mut builder = ChartBuilder::on(&main);
    if !caption.is_empty() {
        builder.caption(caption, (FAMILY, 20));
    }
    let mut chart = builder
        .margin(8)
        .x_label_area_size(48)
        .y_label_area_size(70)
        .build_cartesian_2d(xr, yr)
        .map_err(de)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    let (w, h) = (px.end - px.start, py.end - py.start);
    if w < 2 || h < 2 {
        return Err(TOO_SMALL.into());
    }
    let (w, h) = (w as usize, h as usize);
    let grid = downsample(m, w, h);
    let plot = chart.plotting_area().strip_coord_spec();
    for (k, &v) in grid.iter().enumerate() {
        let c = cmap.map(v, vmin, vmax);
        plot.draw_pixel(((k % w) as i32, (k / w) as i32), &c)
            .map_err(de)?;
    }
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .x_labels(6)
        .y_labels(6)
        .label_style((FAMILY, 16))
        .axis_desc_style((FAMILY, 18))
        .x_label_formatter(&|v| fmt_tick(*v, xspan))
        .y_label_formatter(&|v| fmt_tick(*v, yspan))
        .draw()
        .map_err(de)?;

    // Colour bar aligned with the plot area vertically.
    let (_, cy) = cbar.get_pixel_range();
    let top = (py.start - cy.start).max(0) as u32;
    let bottom = (cy.end - py.end).max(0) as u32;
    let mut cchart = ChartBuilder::on(&cbar)
        .margin_top(top)
        .margin_bottom(bottom)
        .margin_left(8)
        .margin_right(0)
        .set_label_area_size(LabelAreaPosition::Right, CBAR_W - BAR_W - 8)
        .build_cartesian_2d(0f64..1f64, vmin..vmax)
        .map_err(de)?;
    let (bx, by) = cchart.plotting_area().get_pixel_range();
    let (bw, bh) = (bx.end - bx.start, by.end - by.start);
    if bw < 1 || bh < 2 {
        return Err(TOO_SMALL.into());
    }
    let bar = cchart.plotting_area().strip_coord_spec();
    for r in 0..bh {
        let f = f64::from(bh - 1 - r) / f64::from(bh - 1);
        let c = cmap.at(f);
        for x in 0..bw {
            bar.draw_pixel((x, r), &c).map_err(de)?;
        }
    }
    let vspan = vmax - vmin;
    let cbar_fmt = |v: &f64| fmt_tick(*v, vspan);
    let mut mesh = cchart.configure_mesh();
    mesh.disable_mesh()
        .disable_x_axis()
        .set_tick_mark_size(LabelAreaPosition::Right, 6)
        .y_labels(7)
        .label_style((FAMILY, 16))
        .axis_desc_style((FAMILY, 18))
        .y_label_formatter(&cbar_fmt);
    if !labels.cbar.is_empty() {
        mesh.y_desc(labels.cbar);
    }
    mesh.draw().map_err(de)?;
    bar.draw(&Rectangle::new(
        [(0, 0), (bw - 1, bh - 1)],
        BLACK.stroke_width(1),
    ))
    .map_err(de)?;

    Ok(HeatmapInfo {
        vmin,
        vmax,
        plot_area: rect(&px, &py),
        colorbar_area: rect(&bx, &by),
    })
}
