//! Line plots of the c2 diagonal c2(t, t) (and optionally the first off-diagonal
//! c2(t, t + dt)) against time for several scattering angles, with a legend
//! (`experimental_data_diagonal.png`, `simulated_data_diagonal.png`).

use crate::error::PlotError;
use crate::font::FAMILY;
use crate::heatmap::{axis_range, titled};
use crate::output::{de, render_png};
use crate::raster::widen;
use crate::ticks::fmt_tick;
use ndarray::{ArrayView1, ArrayView3};
use plotters::prelude::*;
use std::path::Path;

/// matplotlib's `tab10` cycle.
const TAB10: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Colour of the `k`-th curve.
pub fn series_color(k: usize) -> RGBColor {
    TAB10[k % TAB10.len()]
}

/// Options of [`diagonal_profile`].
#[derive(Clone, Debug)]
pub struct DiagonalProfileOptions {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Title (empty: none).
    pub title: String,
    /// Also draw the first off-diagonal c2(t_i, t_{i+1}) as dashed lines.
    pub include_off_diagonal: bool,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
}

impl Default for DiagonalProfileOptions {
    fn default() -> Self {
        Self {
            width: 900,
            height: 600,
            title: "c₂ diagonal".into(),
            include_off_diagonal: false,
            x_label: "t (s)".into(),
            y_label: "c₂(t, t)".into(),
        }
    }
}

/// Writes the diagonal profile of every angle of `c2` (shape `(n_phi, n, n)`) against
/// `t` (length `n`) to the PNG file `path`; `phi_deg` (length `n_phi`) labels the
/// curves. Non-finite points break the lines. The file is written atomically.
pub fn diagonal_profile(
    path: &Path,
    c2: ArrayView3<f64>,
    t: ArrayView1<f64>,
    phi_deg: ArrayView1<f64>,
    opts: &DiagonalProfileOptions,
) -> Result<(), PlotError> {
    let (n_phi, n1, n2) = c2.dim();
    if n_phi == 0 || n1 == 0 || n2 == 0 {
        return Err(PlotError::EmptyMatrix {
            name: format!("c2 stack ({n_phi} angles)"),
            rows: n1,
            cols: n2,
        });
    }
    if n1 != n2 || t.len() != n1 || phi_deg.len() != n_phi {
        return Err(PlotError::ShapeMismatch(format!(
            "c2 has shape ({n_phi}, {n1}, {n2}); expected square matrices with t of length \
             {n1} (got {}) and phi of length {n_phi} (got {})",
            t.len(),
            phi_deg.len()
        )));
    }
    let xr = axis_range("t", t)?;
    let n = n1;

    // Curves: (angle index, is_off_diagonal, segments of finite points).
    let mut curves: Vec<Curve> = Vec::new();
    for k in 0..n_phi {
        let diag = (0..n).map(|i| (t[i], c2[[k, i, i]]));
        curves.push((k, false, segments(diag)));
        if opts.include_off_diagonal && n > 1 {
            let off = (0..n - 1).map(|i| (t[i], c2[[k, i, i + 1]]));
            curves.push((k, true, segments(off)));
        }
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, _, segs) in &curves {
        for &(_, y) in segs.iter().flatten() {
            lo = lo.min(y);
            hi = hi.max(y);
        }
    }
    let (lo, hi) = widen(lo, hi);
    let pad = 0.05 * (hi - lo);
    let yr = (lo - pad)..(hi + pad);
    let (xspan, yspan) = (xr.end - xr.start, yr.end - yr.start);

    render_png(path, opts.width, opts.height, |root| {
        let area = titled(root, &opts.title, 24)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(xr.clone(), yr.clone())
            .map_err(de)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .x_desc(opts.x_label.as_str())
            .y_desc(opts.y_label.as_str())
            .label_style((FAMILY, 16))
            .axis_desc_style((FAMILY, 18))
            .x_label_formatter(&|v| fmt_tick(*v, xspan))
            .y_label_formatter(&|v| fmt_tick(*v, yspan))
            .draw()
            .map_err(de)?;
        for (k, off, segs) in &curves {
            let color = series_color(*k);
            let style = color.stroke_width(2);
            let mut labelled = false;
            for seg in segs {
                if *off {
                    chart
                        .draw_series(DashedLineSeries::new(seg.iter().copied(), 6, 4, style))
                        .map_err(de)?;
                    continue;
                }
                let anno = chart
                    .draw_series(LineSeries::new(seg.iter().copied(), style))
                    .map_err(de)?;
                if !labelled {
                    labelled = true;
                    anno.label(format!("φ = {:.1}°", phi_deg[*k]))
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                        });
                }
            }
        }
        if opts.include_off_diagonal && n > 1 {
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(de)?
                .label("first off-diagonal (dashed)")
                .legend(|(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (6, 0)], BLACK.stroke_width(2))
                        + PathElement::new(vec![(11, 0), (17, 0)], BLACK.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FAMILY, 15))
            .draw()
            .map_err(de)?;
        Ok(())
    })
}

/// Angle index, whether it is the off-diagonal, polyline segments of finite points.
type Curve = (usize, bool, Vec<Vec<(f64, f64)>>);

/// Splits a polyline at non-finite points.
fn segments(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            cur.push((x, y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
