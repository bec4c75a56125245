//! Integration tests of the PNG plots: files exist, decode as PNGs of the requested
//! size, pixel colours follow the colour maps, NaN cells are grey, errors are clear and
//! no temporary files are left behind.

use homodyne_plot::*;
use image::RgbImage;
use ndarray::{Array1, Array2, Array3};
use std::path::Path;
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

fn times(n: usize, dt: f64) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| i as f64 * dt)
}

fn no_temp_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "leftover temporary file {name}");
    }
}

#[test]
fn heatmap_corners_follow_colormap_and_nan_is_grey() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.png");
    let n = 60;
    // min at (0, 0) (bottom-left), max at (n-1, n-1) (top-right).
    let mut m = Array2::from_shape_fn((n, n), |(i, j)| (i + j) as f64);
    // NaN block at large t1, small t2 (bottom-right).
    for i in n - 10..n {
        for j in 0..10 {
            m[[i, j]] = f64::NAN;
        }
    }
    let t = times(n, 0.1);
    let opts = HeatmapOptions {
        title: "test map".into(),
        limits: ColorLimits::Fixed {
            min: 0.0,
            max: (2 * (n - 1)) as f64,
        },
        ..Default::default()
    };
    let info = heatmap(&path, m.view(), t.view(), t.view(), &opts).unwrap();
    let img = load(&path);
    assert_eq!(img.dimensions(), (opts.width, opts.height));
    let a = info.plot_area;
    assert!(a.x1 - a.x0 > 100 && a.y1 - a.y0 > 100);
    let px = |x: i32, y: i32| *img.get_pixel(x as u32, y as u32);
    let lo = Colormap::Viridis.at(0.0);
    let hi = Colormap::Viridis.at(1.0);
    assert!(
        close(&px(a.x0 + 2, a.y1 - 3), lo, 12),
        "{:?}",
        px(a.x0 + 2, a.y1 - 3)
    );
    assert!(
        close(&px(a.x1 - 3, a.y0 + 2), hi, 12),
        "{:?}",
        px(a.x1 - 3, a.y0 + 2)
    );
    // centre ~ half way
    let mid = px((a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2);
    assert!(close(&mid, Colormap::Viridis.at(0.5), 20), "{mid:?}");
    assert!(close(&px(a.x1 - 3, a.y1 - 3), NAN_COLOR, 0));
    // colour bar: top = vmax, bottom = vmin
    let c = info.colorbar_area;
    let cx = (c.x0 + c.x1) / 2;
    assert!(close(&px(cx, c.y0 + 1), hi, 12));
    assert!(close(&px(cx, c.y1 - 2), lo, 12));
    assert_eq!((info.vmin, info.vmax), (0.0, 118.0));
    no_temp_files(dir.path());
}

#[test]
fn tiny_matrix_is_upsampled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.png");
    let m = ndarray::array![[0.0, 1.0], [2.0, 3.0]];
    let t = times(2, 1.0);
    let opts = HeatmapOptions {
        limits: ColorLimits::Fixed { min: 0.0, max: 3.0 },
        width: 300,
        height: 260,
        ..Default::default()
    };
    let info = heatmap(&path, m.view(), t.view(), t.view(), &opts).unwrap();
    let img = load(&path);
    assert_eq!(img.dimensions(), (300, 260));
    let a = info.plot_area;
    let q = |fx: f64, fy: f64| {
        let x = a.x0 + ((a.x1 - a.x0) as f64 * fx) as i32;
        let y = a.y0 + ((a.y1 - a.y0) as f64 * fy) as i32;
        *img.get_pixel(x as u32, y as u32)
    };
    let cm = Colormap::Viridis;
    assert!(close(&q(0.25, 0.75), cm.at(0.0), 2)); // i=0, j=0
    assert!(close(&q(0.25, 0.25), cm.at(1.0 / 3.0), 2)); // i=0, j=1
    assert!(close(&q(0.75, 0.75), cm.at(2.0 / 3.0), 2)); // i=1, j=0
    assert!(close(&q(0.75, 0.25), cm.at(1.0), 2)); // i=1, j=1
}

#[test]
fn percentile_limits_ignore_outliers_and_nan() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100;
    let mut m = Array2::from_shape_fn((n, n), |(i, j)| 1.0 + 0.001 * ((i * n + j) as f64));
    m[[3, 3]] = 1e6;
    m[[4, 4]] = f64::NAN;
    let t = times(n, 1.0);
    let info = heatmap(
        &dir.path().join("p.png"),
        m.view(),
        t.view(),
        t.view(),
        &HeatmapOptions::default(),
    )
    .unwrap();
    assert!(info.vmin > 1.0 && info.vmin < 1.2);
    assert!(info.vmax < 12.0 && info.vmax > 10.0);
}

#[test]
fn large_matrix_is_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.png");
    let n = 1000;
    let m = Array2::from_shape_fn((n, n), |(i, j)| {
        1.0 + 0.3 * (-((i as f64 - j as f64).abs()) / 50.0).exp()
    });
    let t = times(n, 0.01);
    // warm-up (font registration)
    heatmap(
        &path,
        m.view(),
        t.view(),
        t.view(),
        &HeatmapOptions::default(),
    )
    .unwrap();
    let start = Instant::now();
    heatmap(
        &path,
        m.view(),
        t.view(),
        t.view(),
        &HeatmapOptions::default(),
    )
    .unwrap();
    let el = start.elapsed().as_secs_f64();
    eprintln!("1000x1000 heatmap: {el:.3} s");
    // Generous bound for loaded CI machines; typically ~0.1 s.
    assert!(el < 1.5, "heatmap took {el} s");
    assert_eq!(load(&path).dimensions(), (760, 640));
}

#[test]
fn fit_comparison_has_three_panels_and_symmetric_residual() {
    let dir = tempfile::tempdir().unwrap();
    let name = fit_comparison_file_name(12.345);
    assert_eq!(name, "c2_heatmaps_phi_12.3deg.png");
    assert_eq!(
        fit_comparison_file_name(-0.04),
        "c2_heatmaps_phi_-0.0deg.png"
    );
    let path = dir.path().join(name);
    let n = 80;
    let exp = Array2::from_shape_fn((n, n), |(i, j)| 1.0 + (i + j) as f64 / 1000.0);
    // residual: +0.1 at i < n/2, -0.1 otherwise
    let fit = Array2::from_shape_fn((n, n), |(i, j)| {
        exp[[i, j]] + if i < n / 2 { -0.1 } else { 0.1 }
    });
    let t = times(n, 0.5);
    let opts = FitComparisonOptions {
        phi_deg: 12.345,
        ..Default::default()
    };
    let info =
        fit_comparison_heatmaps(&path, exp.view(), fit.view(), t.view(), t.view(), &opts).unwrap();
    let img = load(&path);
    assert_eq!(img.dimensions(), (1800, 600));
    let (a, b) = info.residual_limits;
    assert!((a + b).abs() < 1e-12 && (b - 0.1).abs() < 1e-9);
    assert_eq!(info.panels[0].vmin, info.panels[1].vmin);
    assert_eq!(info.panels[0].vmax, info.panels[1].vmax);
    // panels are side by side
    assert!(info.panels[0].plot_area.x1 <= info.panels[1].plot_area.x0);
    assert!(info.panels[1].plot_area.x1 <= info.panels[2].plot_area.x0);
    // residual panel: left half +0.1 → top of diverging map (red), right half blue.
    let r = info.panels[2].plot_area;
    let y = ((r.y0 + r.y1) / 2) as u32;
    let left = img.get_pixel((r.x0 + 3) as u32, y);
    let right = img.get_pixel((r.x1 - 4) as u32, y);
    assert!(close(left, Colormap::Diverging.at(1.0), 3), "{left:?}");
    assert!(close(right, Colormap::Diverging.at(0.0), 3), "{right:?}");
    no_temp_files(dir.path());
}

#[test]
fn diagonal_profile_writes_png() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("diag.png");
    let (n_phi, n) = (3, 50);
    let c2 = Array3::from_shape_fn((n_phi, n, n), |(k, i, j)| {
        1.0 + 0.1 * (k + 1) as f64 * (-((i + j) as f64) / 30.0).exp()
    });
    let mut c2 = c2;
    c2[[1, 10, 10]] = f64::NAN; // breaks the line, must not fail
    let t = times(n, 0.1);
    let phi = Array1::from(vec![0.0, 45.0, 90.0]);
    let opts = DiagonalProfileOptions {
        include_off_diagonal: true,
        ..Default::default()
    };
    diagonal_profile(&path, c2.view(), t.view(), phi.view(), &opts).unwrap();
    assert_eq!(load(&path).dimensions(), (900, 600));
    // Some pixels carry the first series colour.
    let img = load(&path);
    assert!(img.pixels().any(|p| close(p, series_color(0), 10)));
    // single-point data still works
    let c1 = Array3::from_elem((1, 1, 1), 1.0);
    let t1 = times(1, 1.0);
    diagonal_profile(
        &path,
        c1.view(),
        t1.view(),
        phi.slice(ndarray::s![..1]),
        &opts,
    )
    .unwrap();
    no_temp_files(dir.path());
}

#[test]
fn errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.png");
    let empty = Array2::<f64>::zeros((0, 0));
    let t0 = times(0, 1.0);
    let err = heatmap(
        &path,
        empty.view(),
        t0.view(),
        t0.view(),
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::EmptyMatrix { .. })), "{err:?}");

    let m = Array2::<f64>::zeros((3, 3));
    let t2 = times(2, 1.0);
    let t3 = times(3, 1.0);
    let err = heatmap(&path, m.view(), t2.view(), t3.view(), &Default::default());
    assert!(matches!(err, Err(PlotError::ShapeMismatch(_))), "{err:?}");

    let mut tn = times(3, 1.0);
    tn[1] = f64::NAN;
    let err = heatmap(&path, m.view(), tn.view(), t3.view(), &Default::default());
    assert!(matches!(err, Err(PlotError::InvalidInput(_))), "{err:?}");

    let small = HeatmapOptions {
        width: 10,
        ..Default::default()
    };
    let err = heatmap(&path, m.view(), t3.view(), t3.view(), &small);
    assert!(matches!(err, Err(PlotError::InvalidSize { .. })), "{err:?}");

    // Folder that does not exist.
    let missing = dir.path().join("nope").join("x.png");
    let err = heatmap(
        &missing,
        m.view(),
        t3.view(),
        t3.view(),
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::Io { .. })), "{err:?}");
    assert!(err.unwrap_err().to_string().contains("nope"));

    // "Folder" that is a file.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = heatmap(
        &file.join("x.png"),
        m.view(),
        t3.view(),
        t3.view(),
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::Io { .. })), "{err:?}");

    // Read-only folder (only meaningful when not running as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let writable = std::fs::write(ro.join("probe"), b"x").is_ok();
        let res = heatmap(
            &ro.join("x.png"),
            m.view(),
            t3.view(),
            t3.view(),
            &Default::default(),
        );
        if !writable {
            assert!(matches!(res, Err(PlotError::Io { .. })), "{res:?}");
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let c3 = Array3::<f64>::zeros((2, 3, 3));
    let phi1 = Array1::from(vec![0.0]);
    let err = diagonal_profile(
        &path,
        c3.view(),
        t3.view(),
        phi1.view(),
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::ShapeMismatch(_))), "{err:?}");
    let c0 = Array3::<f64>::zeros((0, 3, 3));
    let err = diagonal_profile(
        &path,
        c0.view(),
        t3.view(),
        phi1.view(),
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::EmptyMatrix { .. })), "{err:?}");

    let fit = Array2::<f64>::zeros((3, 2));
    let err = fit_comparison_heatmaps(
        &path,
        m.view(),
        fit.view(),
        t3.view(),
        t3.view(),
        &Default::default(),
    );
    assert!(matches!(err, Err(PlotError::ShapeMismatch(_))), "{err:?}");
    assert!(!path.exists());
    no_temp_files(dir.path());
}

#[test]
fn overwrites_existing_file_and_all_nan_matrix_is_grey() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.png");
    std::fs::write(&path, b"old").unwrap();
    let m = Array2::from_elem((5, 5), f64::NAN);
    let t = times(5, 1.0);
    let info = heatmap(&path, m.view(), t.view(), t.view(), &Default::default()).unwrap();
    let img = load(&path);
    let a = info.plot_area;
    let p = img.get_pixel(((a.x0 + a.x1) / 2) as u32, ((a.y0 + a.y1) / 2) as u32);
    assert!(close(p, NAN_COLOR, 0));
    no_temp_files(dir.path());
}
