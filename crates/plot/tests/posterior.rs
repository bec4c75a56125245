//! Integration tests of the posterior figures (trace, marginal, corner): files are
//! valid PNGs of the documented size, the content follows the input, paging, and the
//! documented behaviour for constant, non-finite and empty draws.

use homodyne_plot::*;
use image::RgbImage;
use ndarray::Array2;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn load(path: &Path) -> RgbImage {
    let bytes = std::fs::read(path).expect("read png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("decode png")
        .to_rgb8()
}

fn close(px: &image::Rgb<u8>, c: plotters::style::RGBColor, tol: i32) -> bool {
    (i32::from(px[0]) - i32::from(c.0)).abs() <= tol
        && (i32::from(px[1]) - i32::from(c.1)).abs() <= tol
        && (i32::from(px[2]) - i32::from(c.2)).abs() <= tol
}

fn count_close(img: &RgbImage, c: plotters::style::RGBColor, tol: i32) -> usize {
    img.pixels().filter(|p| close(p, c, tol)).count()
}

fn no_temp_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "leftover temporary file {name}");
    }
}

/// Deterministic standard normal draws (xorshift + Box–Muller).
fn normal_draws(chains: usize, draws: usize, seed: u64, mean: f64, sd: f64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    Array2::from_shape_fn((chains, draws), |_| {
        let (u, v) = (uniform(), uniform());
        mean + sd * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    })
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i}")).collect()
}

fn make_params<'a>(draws: &'a [Array2<f64>], names: &[String]) -> Vec<PosteriorParam<'a>> {
    draws
        .iter()
        .zip(names)
        .map(|(d, n)| PosteriorParam::new(n.clone(), d.view()))
        .collect()
}

#[test]
fn trace_single_page_size_colours_and_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.png");
    let draws: Vec<Array2<f64>> = (0..9)
        .map(|k| normal_draws(4, 2000, k, k as f64, 1.0 + k as f64))
        .collect();
    let nm = names(9);
    let params: Vec<PosteriorParam<'_>> = make_params(&draws, &nm)
        .into_iter()
        .enumerate()
        .map(|(k, p)| {
            p.with_reference(k as f64 + 0.5, Some(0.2))
                .with_diagnostics(format!("R̂ = 1.0{k}  ESS = {}", 1000 + k))
        })
        .collect();
    let opts = TraceOptions::default();
    let start = Instant::now();
    let info = trace_plot(&path, &params, &opts).unwrap();
    eprintln!("trace 9x4x2000: {:.3} s", start.elapsed().as_secs_f64());
    assert_eq!(info.files, vec![path.clone()]);
    let expected = (opts.width, TRACE_HEADER_HEIGHT + 9 * opts.row_height);
    assert_eq!(info.sizes, vec![expected]);
    assert_eq!(info.non_finite, vec![0; 9]);
    let img = load(&path);
    assert_eq!(img.dimensions(), expected);
    for c in 0..4 {
        assert!(
            count_close(&img, series_color(c), 40) > 500,
            "chain {c} colour missing"
        );
    }
    no_temp_files(dir.path());
}

#[test]
fn trace_pages_for_many_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.png");
    let draws: Vec<Array2<f64>> = (0..30).map(|k| normal_draws(2, 300, k, 0.0, 1.0)).collect();
    let nm = names(30);
    let params = make_params(&draws, &nm);
    let opts = TraceOptions {
        row_height: 120,
        ..Default::default()
    };
    let info = trace_plot(&path, &params, &opts).unwrap();
    // 30 rows at most 12 per page: 3 pages of 10.
    let want: Vec<PathBuf> = (1..=3)
        .map(|k| dir.path().join(format!("trace_{k}.png")))
        .collect();
    assert_eq!(info.files, want);
    assert_eq!(info.files, page_paths(&path, 3));
    assert!(!path.exists(), "paged figure must not write {path:?}");
    for (f, &(w, h)) in info.files.iter().zip(&info.sizes) {
        assert_eq!(h, TRACE_HEADER_HEIGHT + 10 * 120);
        assert_eq!(load(f).dimensions(), (w, h));
    }
    // 13 parameters: 2 pages of 7 and 6 rows.
    let info = trace_plot(&path, &params[..13], &opts).unwrap();
    assert_eq!(info.files.len(), 2);
    assert_eq!(
        info.sizes,
        vec![
            (1400, TRACE_HEADER_HEIGHT + 7 * 120),
            (1400, TRACE_HEADER_HEIGHT + 6 * 120)
        ]
    );
    // 60 parameters: 5 pages; exactly rows_per_page: one page, the plain name.
    let draws60: Vec<Array2<f64>> = (0..60).map(|k| normal_draws(3, 50, k, 0.0, 1.0)).collect();
    let nm60 = names(60);
    let info = trace_plot(&path, &make_params(&draws60, &nm60), &opts).unwrap();
    assert_eq!(info.files.len(), 5);
    assert!(info.files.iter().all(|f| f.exists()));
    let info = trace_plot(&path, &params[..12], &opts).unwrap();
    assert_eq!(info.files, vec![path.clone()]);
    assert!(path.exists());
    no_temp_files(dir.path());
}

#[test]
fn long_chains_are_thinned_and_fast_enough() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.png");
    let draws: Vec<Array2<f64>> = (0..3)
        .map(|k| normal_draws(8, 20_000, k, 0.0, 1.0))
        .collect();
    let nm = names(3);
    let start = Instant::now();
    let info = trace_plot(&path, &make_params(&draws, &nm), &TraceOptions::default()).unwrap();
    eprintln!("trace 3x8x20000: {:.3} s", start.elapsed().as_secs_f64());
    assert_eq!(load(&path).dimensions(), info.sizes[0]);
}

#[test]
fn figures_differ_for_different_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let a: Vec<Array2<f64>> = (0..4).map(|k| normal_draws(4, 1000, k, 0.0, 1.0)).collect();
    let b: Vec<Array2<f64>> = (0..4)
        .map(|k| normal_draws(4, 1000, k + 10, 0.0, 1.0).mapv(|v| v * v * v))
        .collect();
    let nm = names(4);
    let (pa, pb) = (make_params(&a, &nm), make_params(&b, &nm));
    type Plot = fn(&Path, &[PosteriorParam<'_>]) -> PosteriorPlotInfo;
    let plots: [(&str, Plot); 3] = [
        ("trace", |p, x| {
            trace_plot(p, x, &Default::default()).unwrap()
        }),
        ("marg", |p, x| {
            marginal_posteriors(p, x, &Default::default()).unwrap()
        }),
        ("corner", |p, x| {
            corner_plot(p, x, &Default::default()).unwrap()
        }),
    ];
    for (name, plot) in plots {
        let fa = dir.path().join(format!("{name}_a.png"));
        let fb = dir.path().join(format!("{name}_b.png"));
        let ia = plot(&fa, &pa);
        let ib = plot(&fb, &pb);
        assert_eq!(ia.sizes, ib.sizes);
        let (ma, mb) = (load(&fa), load(&fb));
        assert_eq!(ma.dimensions(), ia.sizes[0]);
        let differing = ma.pixels().zip(mb.pixels()).filter(|(x, y)| x != y).count();
        assert!(differing > 1000, "{name}: only {differing} pixels differ");
        // Same input twice: identical image.
        plot(&fb, &pa);
        assert_eq!(load(&fb), ma, "{name} is not deterministic");
    }
    no_temp_files(dir.path());
}

#[test]
fn marginal_marks_reference_only_when_given() {
    let dir = tempfile::tempdir().unwrap();
    let draws: Vec<Array2<f64>> = (0..5).map(|k| normal_draws(4, 2000, k, 1.0, 0.1)).collect();
    let nm = names(5);
    let plain = make_params(&draws, &nm);
    let p1 = dir.path().join("plain.png");
    let info = marginal_posteriors(&p1, &plain, &Default::default()).unwrap();
    // 5 parameters: 3 columns, 2 rows.
    assert_eq!(
        info.sizes,
        vec![(3 * 420, POSTERIOR_HEADER_HEIGHT + 2 * 300)]
    );
    let img = load(&p1);
    assert_eq!(img.dimensions(), info.sizes[0]);
    let red = plotters::style::RGBColor(0xd6, 0x27, 0x28);
    assert_eq!(count_close(&img, red, 10), 0);

    let with_ref: Vec<PosteriorParam<'_>> = plain
        .iter()
        .cloned()
        .map(|p| p.with_reference(1.05, Some(0.05)))
        .collect();
    let p2 = dir.path().join("ref.png");
    let info = marginal_posteriors(
        &p2,
        &with_ref,
        &MarginalOptions {
            columns: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(info.sizes, vec![(5 * 420, POSTERIOR_HEADER_HEIGHT + 300)]);
    let img = load(&p2);
    assert!(
        count_close(&img, red, 10) > 5 * 200,
        "reference lines missing"
    );
}

#[test]
fn corner_size_and_reference_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corner.png");
    let draws: Vec<Array2<f64>> = (0..7)
        .map(|k| normal_draws(4, 2000, k, 10f64.powi(k as i32 - 3), 0.1))
        .collect();
    let nm = names(7);
    let params: Vec<PosteriorParam<'_>> = make_params(&draws, &nm)
        .into_iter()
        .map(|p| p.with_reference(0.0, None))
        .collect();
    let opts = CornerOptions::default();
    let start = Instant::now();
    let info = corner_plot(&path, &params, &opts).unwrap();
    eprintln!("corner 7x4x2000: {:.3} s", start.elapsed().as_secs_f64());
    let side = 7 * opts.cell_size;
    let want = (
        CORNER_LEFT + side + CORNER_RIGHT,
        POSTERIOR_HEADER_HEIGHT + side + CORNER_BOTTOM,
    );
    assert_eq!(info.sizes, vec![want]);
    let img = load(&path);
    assert_eq!(img.dimensions(), want);
    let red = plotters::style::RGBColor(0xd6, 0x27, 0x28);
    assert!(count_close(&img, red, 10) > 1000);
    // Upper triangle stays blank: the centre of the top-right cell is white.
    let cx = CORNER_LEFT + 6 * opts.cell_size + opts.cell_size / 2;
    let cy = POSTERIOR_HEADER_HEIGHT + opts.cell_size / 2;
    assert_eq!(img.get_pixel(cx, cy), &image::Rgb([255, 255, 255]));
    // Single parameter: just its histogram.
    let info = corner_plot(&path, &params[..1], &opts).unwrap();
    assert_eq!(load(&path).dimensions(), info.sizes[0]);
    no_temp_files(dir.path());
}

#[test]
fn constant_and_non_finite_draws() {
    let dir = tempfile::tempdir().unwrap();
    let constant = Array2::from_elem((4, 500), 3.5);
    let zero = Array2::from_elem((4, 500), 0.0);
    let mut holes = normal_draws(4, 500, 7, 0.0, 1.0);
    holes[[0, 3]] = f64::NAN;
    holes[[2, 100]] = f64::INFINITY;
    holes[[3, 499]] = f64::NEG_INFINITY;
    let all_nan = Array2::from_elem((4, 500), f64::NAN);
    let params = vec![
        PosteriorParam::new("const", constant.view()).with_reference(3.5, Some(0.0)),
        PosteriorParam::new("zero", zero.view()),
        PosteriorParam::new("holes", holes.view()).with_reference(f64::NAN, Some(1.0)),
        PosteriorParam::new("nan", all_nan.view()),
    ];
    let want = vec![0, 0, 3, 2000];
    let t = trace_plot(&dir.path().join("t.png"), &params, &Default::default()).unwrap();
    let m = marginal_posteriors(&dir.path().join("m.png"), &params, &Default::default()).unwrap();
    let c = corner_plot(&dir.path().join("c.png"), &params, &Default::default()).unwrap();
    for info in [&t, &m, &c] {
        assert_eq!(info.non_finite, want);
        assert_eq!(load(&info.files[0]).dimensions(), info.sizes[0]);
    }
    // The skipped draws are noted on the figure (note colour present).
    let note = plotters::style::RGBColor(0xb0, 0x30, 0x00);
    for info in [&t, &m, &c] {
        assert!(count_close(&load(&info.files[0]), note, 30) > 20);
    }

    // Nothing finite anywhere: a clear error, no file.
    let only_nan = [PosteriorParam::new("nan", all_nan.view())];
    let p = dir.path().join("none.png");
    for err in [
        trace_plot(&p, &only_nan, &Default::default()).map(|_| ()),
        marginal_posteriors(&p, &only_nan, &Default::default()).map(|_| ()),
        corner_plot(&p, &only_nan, &Default::default()).map(|_| ()),
    ] {
        assert!(matches!(err, Err(PlotError::InvalidInput(_))), "{err:?}");
    }
    assert!(!p.exists());
    no_temp_files(dir.path());
}

#[test]
fn empty_and_invalid_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("e.png");
    let none: [PosteriorParam<'_>; 0] = [];
    let err = trace_plot(&p, &none, &Default::default());
    assert!(matches!(err, Err(PlotError::InvalidInput(_))), "{err:?}");
    let err = marginal_posteriors(&p, &none, &Default::default());
    assert!(matches!(err, Err(PlotError::InvalidInput(_))), "{err:?}");
    let err = corner_plot(&p, &none, &Default::default());
    assert!(matches!(err, Err(PlotError::InvalidInput(_))), "{err:?}");

    let empty_draws = Array2::<f64>::zeros((4, 0));
    let no_chains = Array2::<f64>::zeros((0, 10));
    for d in [&empty_draws, &no_chains] {
        let ps = [PosteriorParam::new("x", d.view())];
        let err = trace_plot(&p, &ps, &Default::default());
        assert!(matches!(err, Err(PlotError::EmptyMatrix { .. })), "{err:?}");
        assert!(err.unwrap_err().to_string().contains('x'));
        let err = marginal_posteriors(&p, &ps, &Default::default());
        assert!(matches!(err, Err(PlotError::EmptyMatrix { .. })), "{err:?}");
        let err = corner_plot(&p, &ps, &Default::default());
        assert!(matches!(err, Err(PlotError::EmptyMatrix { .. })), "{err:?}");
    }

    // Corner needs equal shapes; trace and marginal do not.
    let a = normal_draws(4, 100, 1, 0.0, 1.0);
    let b = normal_draws(2, 100, 2, 0.0, 1.0);
    let ps = [
        PosteriorParam::new("a", a.view()),
        PosteriorParam::new("b", b.view()),
    ];
    let err = corner_plot(&p, &ps, &Default::default());
    assert!(matches!(err, Err(PlotError::ShapeMismatch(_))), "{err:?}");
    trace_plot(&p, &ps, &Default::default()).unwrap();
    marginal_posteriors(&p, &ps, &Default::default()).unwrap();

    // Bad options.
    let bad = TraceOptions {
        rows_per_page: 0,
        ..Default::default()
    };
    assert!(matches!(
        trace_plot(&p, &ps, &bad),
        Err(PlotError::InvalidInput(_))
    ));
    let tall = TraceOptions {
        rows_per_page: 100,
        row_height: 1000,
        ..Default::default()
    };
    let many: Vec<PosteriorParam<'_>> = (0..20).map(|_| ps[0].clone()).collect();
    assert!(matches!(
        trace_plot(&p, &many, &tall),
        Err(PlotError::InvalidSize { .. })
    ));
    let small = CornerOptions {
        cell_size: 10,
        ..Default::default()
    };
    assert!(matches!(
        corner_plot(&p, &ps[..1], &small),
        Err(PlotError::InvalidInput(_))
    ));
    let err = marginal_posteriors(
        &dir.path().join("no/such/dir.png"),
        &ps,
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::Io { .. })), "{err:?}");
    no_temp_files(dir.path());
}
