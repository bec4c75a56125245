//! Shared pieces of the posterior (CMC / MCMC) figures: the per-parameter input
//! ([`PosteriorParam`]), what the figures report back ([`PosteriorPlotInfo`]), input
//! validation, summaries of the finite draws, histograms, a binned Gaussian KDE,
//! min/max thinning of trace lines, and the multi-page file names.
//!
//! Non-finite draws (NaN, ±inf) are skipped everywhere and counted; a parameter
//! without any finite draw is drawn as an empty panel with a note, and a figure in
//! which no parameter has a finite draw is an error.

use crate::error::PlotError;
use crate::font::FAMILY;
use crate::output::{Root, de};
use crate::raster::widen;
use ndarray::{ArrayView1, ArrayView2};
use plotters::prelude::*;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Colour of reference markers (NLSQ value / truth) in the marginal and corner plots.
pub(crate) const REF_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);
/// Fill colour of histograms.
pub(crate) const HIST_COLOR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// Colour of notes about skipped draws.
pub(crate) const NOTE_COLOR: RGBColor = RGBColor(0xb0, 0x30, 0x00);

/// One sampled parameter: its name, its draws with shape `(chain, draw)`, and what to
/// mark on top of the posterior.
#[derive(Clone, Debug)]
pub struct PosteriorParam<'a> {
    /// Parameter name (axis labels, panel titles).
    pub name: String,
    /// Draws, shape `(n_chains, n_draws)`. Non-finite draws are skipped and counted.
    pub draws: ArrayView2<'a, f64>,
    /// Reference value to mark (e.g. the NLSQ estimate or the truth); ignored when
    /// `None` or non-finite.
    pub reference: Option<f64>,
    /// One-sigma uncertainty of the reference, drawn as a band `reference ± sigma` in
    /// the marginal plot; ignored when `None`, non-finite or not positive.
    pub reference_sigma: Option<f64>,
    /// Free text appended to the parameter's panel title in the trace plot (e.g.
    /// `"R̂ = 1.003  ESS = 1840"`); `None` or empty: nothing.
    pub diagnostics: Option<String>,
}

impl<'a> PosteriorParam<'a> {
    /// A parameter without reference value or diagnostics.
    pub fn new(name: impl Into<String>, draws: ArrayView2<'a, f64>) -> Self {
        Self {
            name: name.into(),
            draws,
            reference: None,
            reference_sigma: None,
            diagnostics: None,
        }
    }

    /// Sets the reference value and its optional one-sigma uncertainty.
    pub fn with_reference(mut self, value: f64, sigma: Option<f64>) -> Self {
        self.reference = Some(value);
        self.reference_sigma = sigma;
        self
    }

    /// Sets the diagnostics text shown in the trace plot's panel title.
    pub fn with_diagnostics(mut self, text: impl Into<String>) -> Self {
        self.diagnostics = Some(text.into());
        self
    }

    /// The reference value when it is finite.
    pub(crate) fn reference_value(&self) -> Option<f64> {
        self.reference.filter(|v| v.is_finite())
    }

    /// The reference sigma when it is finite and positive (and a reference is set).
    pub(crate) fn reference_band(&self) -> Option<(f64, f64)> {
        let v = self.reference_value()?;
        let s = self.reference_sigma.filter(|s| s.is_finite() && *s > 0.0)?;
        Some((v - s, v + s))
    }
}

/// What a posterior figure wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct PosteriorPlotInfo {
    /// The files written, in page order (one file unless the figure was paged).
    pub files: Vec<PathBuf>,
    /// Pixel size `(width, height)` of each file, in the order of `files`.
    pub sizes: Vec<(u32, u32)>,
    /// Per parameter (input order): the number of non-finite draws skipped.
    pub non_finite: Vec<usize>,
}

/// File names of a figure split over `pages` pages: `[path]` for one page, otherwise
/// `<stem>_1.<ext>`, …, `<stem>_<pages>.<ext>` next to `path` (`trace.png` →
/// `trace_1.png`, `trace_2.png`, …). Zero pages give no names.
pub fn page_paths(path: &Path, pages: usize) -> Vec<PathBuf> {
    if pages <= 1 {
        return if pages == 1 {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    (1..=pages)
        .map(|k| {
            let name = match &ext {
                Some(e) => format!("{stem}_{k}.{e}"),
                None => format!("{stem}_{k}"),
            };
            path.with_file_name(name)
        })
        .collect()
}

/// Summary of the finite draws of one parameter.
pub(crate) struct Summary {
    /// Finite draws of all chains, sorted ascending.
    pub sorted: Vec<f64>,
    /// Number of non-finite draws skipped.
    pub non_finite: usize,
}

impl Summary {
    fn of(draws: ArrayView2<f64>) -> Self {
        let mut sorted: Vec<f64> = draws.iter().copied().filter(|v| v.is_finite()).collect();
        let non_finite = draws.len() - sorted.len();
        sorted.sort_unstable_by(f64::total_cmp);
        Self { sorted, non_finite }
    }

    /// Mean of the finite draws (`None` without any).
    pub fn mean(&self) -> Option<f64> {
        if self.sorted.is_empty() {
            return None;
        }
        // Shifted sum: accurate for draws with a large common offset.
        let c = self.sorted[self.sorted.len() / 2];
        let s: f64 = self.sorted.iter().map(|v| v - c).sum();
        Some(c + s / self.sorted.len() as f64)
    }

    /// Quantile `q` in `[0, 1]` (numpy "linear") of the finite draws.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        quantile_sorted(&self.sorted, q)
    }

    /// Smallest and largest finite draw.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        Some((*self.sorted.first()?, *self.sorted.last()?))
    }

    /// Axis range covering the finite draws and `extra` finite values (the reference),
    /// widened to ±5 % of the value (±0.05 at zero) when degenerate and padded by 5 % on each side; `(0, 1)` when there is
    /// nothing finite at all.
    pub fn axis_range(&self, extra: &[f64]) -> Range<f64> {
        let (mut lo, mut hi) = self.min_max().unwrap_or((f64::INFINITY, f64::NEG_INFINITY));
        for &v in extra.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo.is_finite() && hi.is_finite() && hi - lo <= 1e-12 * lo.abs().max(hi.abs()) {
            // Constant draws: ±5 % of the value (±0.05 around zero), as matplotlib does.
            let c = 0.5 * (lo + hi);
            let d = if c == 0.0 { 0.05 } else { 0.05 * c.abs() };
            lo = c - d;
            hi = c + d;
        }
        let (lo, hi) = widen(lo, hi);
        let pad = 0.05 * (hi - lo);
        let (a, b) = (lo - pad, hi + pad);
        if a.is_finite() && b.is_finite() && b > a {
            a..b
        } else {
            lo..hi
        }
    }

    /// The note drawn on a panel about skipped draws (empty when none were skipped).
    pub fn note(&self) -> String {
        if self.sorted.is_empty() {
            "no finite draws".to_string()
        } else if self.non_finite > 0 {
            let s = if self.non_finite == 1 { "" } else { "s" };
            format!("{} non-finite draw{s} skipped", self.non_finite)
        } else {
            String::new()
        }
    }
}

/// Quantile `q` in `[0, 1]` of a sorted slice (numpy "linear" interpolation).
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !q.is_finite() {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let f = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * f)
}

/// Checks the inputs of a posterior figure and summarises every parameter.
/// `same_shape`: all parameters must have the same `(chain, draw)` shape.
pub(crate) fn validate(
    params: &[PosteriorParam<'_>],
    same_shape: bool,
) -> Result<Vec<Summary>, PlotError> {
    if params.is_empty() {
        return Err(PlotError::InvalidInput("no parameters to plot".into()));
    }
    for p in params {
        let (c, d) = p.draws.dim();
        if c == 0 || d == 0 {
            return Err(PlotError::EmptyMatrix {
                name: format!("draws of `{}` (chains x draws)", p.name),
                rows: c,
                cols: d,
            });
        }
    }
    if same_shape {
        let first = params[0].draws.dim();
        if let Some(p) = params.iter().find(|p| p.draws.dim() != first) {
            return Err(PlotError::ShapeMismatch(format!(
                "draws of `{}` have shape {:?} but draws of `{}` have {:?}; all parameters \
                 need the same (chain, draw) shape",
                p.name,
                p.draws.dim(),
                params[0].name,
                first
            )));
        }
    }
    let summaries: Vec<Summary> = params.iter().map(|p| Summary::of(p.draws)).collect();
    if summaries.iter().all(|s| s.sorted.is_empty()) {
        return Err(PlotError::InvalidInput(
            "no parameter has a finite draw (all draws are NaN or infinite)".into(),
        ));
    }
    Ok(summaries)
}

/// Counts of `values` in `bins` equal bins over `range` (values outside are dropped,
/// the upper edge belongs to the last bin).
pub(crate) fn histogram(
    values: impl IntoIterator<Item = f64>,
    range: &Range<f64>,
    bins: usize,
) -> Vec<f64> {
    let mut counts = vec![0.0; bins.max(1)];
    let n = counts.len();
    let (lo, w) = (range.start, range.end - range.start);
    if !(w > 0.0 && w.is_finite()) {
        return counts;
    }
    for v in values {
        let f = (v - lo) / w;
        if (0.0..=1.0).contains(&f) {
            let k = ((f * n as f64) as usize).min(n - 1);
            counts[k] += 1.0;
        }
    }
    counts
}

/// Default number of histogram bins for `n` values: the Rice rule `2 n^(1/3)` rounded
/// up to an odd number (so constant draws, centred on the axis, fill the middle bin),
/// 5..=61. A requested count is used as given (at most 1000).
pub(crate) fn auto_bins(n: usize, requested: Option<usize>) -> usize {
    match requested {
        Some(b) if b > 0 => b.min(1000),
        _ => ((2.0 * (n as f64).cbrt()).ceil() as usize).clamp(5, 60) | 1,
    }
}

/// Number of grid points of [`kde`].
pub(crate) const KDE_GRID: usize = 200;

/// Gaussian kernel density estimate of the finite values of `values` on [`KDE_GRID`]
/// points spanning `range` (linear binning, Silverman's bandwidth, at least one grid
/// step). Returns `(x, density)` points; empty when no value is finite.
pub(crate) fn kde(values: ArrayView1<f64>, range: &Range<f64>) -> Vec<(f64, f64)> {
    let g = KDE_GRID;
    let (lo, w) = (range.start, range.end - range.start);
    if !(w > 0.0 && w.is_finite()) {
        return Vec::new();
    }
    let dx = w / (g - 1) as f64;
    let mut grid = vec![0.0; g];
    let mut finite: Vec<f64> = Vec::with_capacity(values.len());
    for &v in values.iter().filter(|v| v.is_finite()) {
        finite.push(v);
        let pos = (v - lo) / dx;
        if pos < 0.0 || pos > (g - 1) as f64 {
            continue;
        }
        let i = (pos.floor() as usize).min(g - 2);
        let f = pos - i as f64;
        grid[i] += 1.0 - f;
        grid[i + 1] += f;
    }
    let n = finite.len();
    if n == 0 {
        return Vec::new();
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    finite.sort_unstable_by(f64::total_cmp);
    let iqr = quantile_sorted(&finite, 0.75).unwrap_or(0.0)
        - quantile_sorted(&finite, 0.25).unwrap_or(0.0);
    let sd = var.sqrt();
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let h = (0.9 * spread * (n as f64).powf(-0.2)).max(dx);
    let h_bins = h / dx;
    let reach = ((4.0 * h_bins).ceil() as usize).min(g);
    let kernel: Vec<f64> = (0..=reach)
        .map(|k| (-0.5 * (k as f64 / h_bins).powi(2)).exp())
        .collect();
    let mut dens = vec![0.0; g];
    for (i, &c) in grid.iter().enumerate() {
        if c == 0.0 {
            continue;
        }
        let a = i.saturating_sub(reach);
        let b = (i + reach).min(g - 1);
        for (j, d) in dens.iter_mut().enumerate().take(b + 1).skip(a) {
            *d += c * kernel[i.abs_diff(j)];
        }
    }
    let total: f64 = dens.iter().sum::<f64>() * dx;
    let scale = if total > 0.0 { 1.0 / total } else { 0.0 };
    dens.iter()
        .enumerate()
        .map(|(i, d)| (lo + i as f64 * dx, d * scale))
        .collect()
}

/// Points `(draw index, value)` of one chain's trace, thinned to at most `max_points`
/// (at least 2) by keeping each bucket's minimum and maximum in draw order, so spikes
/// survive the thinning. Non-finite draws are skipped.
pub(crate) fn thin_trace(chain: ArrayView1<f64>, max_points: usize) -> Vec<(f64, f64)> {
    let n = chain.len();
    let max_points = max_points.max(2);
    if n <= max_points {
        return chain
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (i as f64, v))
            .collect();
    }
    let buckets = max_points / 2;
    let mut out = Vec::with_capacity(2 * buckets);
    for b in 0..buckets {
        let (s, e) = (b * n / buckets, ((b + 1) * n / buckets).min(n));
        let mut min: Option<(usize, f64)> = None;
        let mut max: Option<(usize, f64)> = None;
        for i in s..e {
            let v = chain[i];
            if !v.is_finite() {
                continue;
            }
            if min.is_none_or(|(_, m)| v < m) {
                min = Some((i, v));
            }
            if max.is_none_or(|(_, m)| v > m) {
                max = Some((i, v));
            }
        }
        match (min, max) {
            (Some(a), Some(b)) if a.0 == b.0 => out.push((a.0 as f64, a.1)),
            (Some(a), Some(b)) => {
                let (first, second) = if a.0 < b.0 { (a, b) } else { (b, a) };
                out.push((first.0 as f64, first.1));
                out.push((second.0 as f64, second.1));
            }
            _ => {}
        }
    }
    out
}

/// Draws a one-line legend of `(glyph, colour, label)` items at `(x, y)` (top-left) of
/// `area`. Glyphs: `'-'` a line, `'='` a dashed line, `'#'` a filled box, `'o'` a dot.
pub(crate) fn draw_legend(
    area: &Root<'_>,
    items: &[(char, RGBColor, String)],
    (x, y): (i32, i32),
    size: u32,
) -> Result<(), String> {
    let style = TextStyle::from((FAMILY, size).into_font()).color(&BLACK);
    let h = size as i32;
    let mut x = x;
    for (glyph, color, label) in items {
        let (gx, gy) = (x, y + h / 2);
        match glyph {
            '#' => {
                area.draw(&Rectangle::new(
                    [(gx, gy - h / 3), (gx + 20, gy + h / 3)],
                    color.mix(0.45).filled(),
                ))
                .map_err(de)?;
            }
            'o' => {
                area.draw(&Circle::new((gx + 10, gy), 4, color.filled()))
                    .map_err(de)?;
            }
            '=' => {
                for k in 0..3 {
                    area.draw(&PathElement::new(
                        vec![(gx + 8 * k, gy), (gx + 8 * k + 5, gy)],
                        color.stroke_width(2),
                    ))
                    .map_err(de)?;
                }
            }
            _ => {
                area.draw(&PathElement::new(
                    vec![(gx, gy), (gx + 20, gy)],
                    color.stroke_width(2),
                ))
                .map_err(de)?;
            }
        }
        area.draw_text(label, &style, (x + 26, y)).map_err(de)?;
        let (w, _) = area.estimate_text_size(label, &style).map_err(de)?;
        x += 26 + w as i32 + 22;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, array};

    #[test]
    fn page_names() {
        let p = Path::new("/out/trace.png");
        assert_eq!(page_paths(p, 1), vec![PathBuf::from("/out/trace.png")]);
        assert_eq!(
            page_paths(p, 3),
            vec![
                PathBuf::from("/out/trace_1.png"),
                PathBuf::from("/out/trace_2.png"),
                PathBuf::from("/out/trace_3.png")
            ]
        );
        assert!(page_paths(p, 0).is_empty());
        assert_eq!(page_paths(Path::new("t"), 2)[1], PathBuf::from("t_2"));
    }

    #[test]
    fn summary_skips_non_finite_and_ranges_are_never_degenerate() {
        let d = array![[1.0, f64::NAN, 3.0], [2.0, f64::INFINITY, 4.0]];
        let s = Summary::of(d.view());
        assert_eq!(s.sorted, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.non_finite, 2);
        assert_eq!(s.mean(), Some(2.5));
        assert_eq!(s.quantile(0.5), Some(2.5));
        assert!(s.note().contains('2'));
        let r = s.axis_range(&[10.0, f64::NAN]);
        assert!(r.start < 1.0 && r.end > 10.0);
        let c = Summary::of(array![[5.0, 5.0]].view());
        let r = c.axis_range(&[]);
        assert!(r.start < 4.8 && r.end > 5.2 && ((r.start + r.end) / 2.0 - 5.0).abs() < 1e-12);
        let z = Summary::of(array![[0.0, 0.0]].view());
        assert!(z.axis_range(&[]).end > 0.05);
        let e = Summary::of(array![[f64::NAN]].view());
        assert_eq!(e.mean(), None);
        assert_eq!(e.axis_range(&[]), -0.05..1.05);
    }

    #[test]
    fn thinning_keeps_extremes_and_bounds_points() {
        let mut x = Array1::from_shape_fn(20_000, |i| (i as f64 * 0.01).sin());
        x[12_345] = 50.0;
        x[100] = f64::NAN;
        let pts = thin_trace(x.view(), 2000);
        assert!(pts.len() <= 2000 && pts.len() > 1000);
        assert!(pts.iter().any(|p| p.1 == 50.0 && p.0 == 12_345.0));
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(pts.iter().all(|p| p.1.is_finite()));
        let short = thin_trace(array![1.0, f64::NAN, 2.0].view(), 2000);
        assert_eq!(short, vec![(0.0, 1.0), (2.0, 2.0)]);
    }

    #[test]
    fn kde_integrates_to_one() {
        let x = Array1::from_shape_fn(4000, |i| ((i * 7919) % 1000) as f64 / 1000.0);
        let d = kde(x.view(), &(-0.5..1.5));
        assert_eq!(d.len(), KDE_GRID);
        let dx = d[1].0 - d[0].0;
        let total: f64 = d.iter().map(|p| p.1).sum::<f64>() * dx;
        assert!((total - 1.0).abs() < 1e-9);
        // constant values: a spike, still finite
        let c = kde(array![2.0, 2.0, 2.0].view(), &(1.9..2.1));
        assert!(c.iter().all(|p| p.1.is_finite()));
        assert!(kde(array![f64::NAN].view(), &(0.0..1.0)).is_empty());
    }

    #[test]
    fn histogram_counts() {
        let h = histogram([0.0, 0.5, 1.0, 2.0, f64::NAN], &(0.0..1.0), 2);
        assert_eq!(h, vec![1.0, 2.0]);
        assert_eq!(auto_bins(8000, None), 41);
        assert_eq!(auto_bins(3, None), 5);
        assert_eq!(auto_bins(3, Some(12)), 12);
    }
}
