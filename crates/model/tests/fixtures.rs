//! Parity with the reference's golden arrays (`fixtures/` at the workspace root, made by
//! homodyne 2.23.3).

mod common;
use common::*;
use homodyne_model::diagonal::correct_basic;
use homodyne_model::g2_grid;
use homodyne_model::kernel::g2_grid_generic;

#[test]
fn every_model_fixture_matches_to_1e_12() {
    let cases = model_cases();
    // Every model_*.npz on disk is in the manifest (and so is tested).
    let on_disk = std::fs::read_dir(fixture_path(""))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with("model_") && f.ends_with(".npz"))
        .count();
    assert_eq!(cases.len(), on_disk, "manifest vs files: {cases:?}");
    assert!(cases.len() >= 12);
    for name in cases {
        let case = ModelCase::load(&name);
        let g2 = g2_grid(
            &case.experiment(),
            &case.params,
            &case.contrasts(),
            &case.offsets(),
        )
        .unwrap();
        assert_eq!(g2.shape(), case.g2.shape(), "{name}");
        let err = max_rel_diff(g2.iter(), case.g2.iter());
        assert!(err <= 1e-12, "{name}: max relative difference {err:e}");
    }
}

#[test]
fn generic_kernel_equals_fast_path_bitwise() {
    for name in [
        "laminar_3",
        "static_2",
        "edge_deep_decay",
        "worked_loader_grid",
    ] {
        let case = ModelCase::load(name);
        let fast = g2_grid(
            &case.experiment(),
            &case.params,
            &case.contrasts(),
            &case.offsets(),
        )
        .unwrap();
        let plain = g2_grid_generic(
            &case.experiment().geometry,
            &case.t,
            &case.phi,
            &case.params,
            &case.contrasts(),
            &case.offsets(),
        );
        assert!(
            fast.iter()
                .zip(&plain)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{name}"
        );
    }
}

#[test]
fn grid_starting_at_m_dt_is_a_block_of_the_zero_grid() {
    // A grid starting at m*dt equals the [m:, m:] block of an (n+m)-frame grid from 0.
    let case = ModelCase::load("laminar_3");
    let m = (case.t[0] / case.dt).round() as usize;
    assert!(m >= 1);
    let n = case.t.len() + m;
    let t0: Vec<f64> = (0..n).map(|k| k as f64 * case.dt).collect();
    let mut exp = case.experiment();
    exp.t = t0;
    let full = g2_grid(&exp, &case.params, &case.contrasts(), &case.offsets()).unwrap();
    let block = full.slice(ndarray::s![.., m.., m..]);
    let err = max_rel_diff(block.iter(), case.g2.iter());
    assert!(err <= 1e-12, "block differs by {err:e}");
}

#[test]
fn diagonal_fixtures_match() {
    for k in 0..2 {
        let file = format!("diagonal_{k}.npz");
        let mut c2 = load_matrix(&file, "c2");
        let expected = load_matrix(&file, "basic");
        correct_basic(c2.view_mut());
        let err = max_rel_diff(c2.iter(), expected.iter());
        assert!(err <= 1e-12, "{file}: {err:e}");
    }
}

#[test]
fn quantile_scaling_fixture_matches() {
    use homodyne_model::params::{DEFAULT_CONTRAST_BOUNDS, DEFAULT_OFFSET_BOUNDS};
    use homodyne_model::scaling::quantile_estimates;
    use ndarray::{Array1, Array3};
    use ndarray_npy::NpzReader;
    let mut npz =
        NpzReader::new(std::fs::File::open(fixture_path("quantile_scaling_0.npz")).unwrap())
            .unwrap();
    let c2: Array3<f64> = npz.by_name("c2").unwrap();
    let t: Array1<f64> = npz.by_name("t").unwrap();
    let contrast: Array1<f64> = npz.by_name("contrast").unwrap();
    let offset: Array1<f64> = npz.by_name("offset").unwrap();
    let (c, o) = quantile_estimates(
        c2.view(),
        t.as_slice().unwrap(),
        DEFAULT_CONTRAST_BOUNDS,
        DEFAULT_OFFSET_BOUNDS,
        true,
    );
    assert!(
        max_rel_diff(c.iter(), contrast.iter()) <= 1e-12,
        "{c:?} vs {contrast}"
    );
    assert!(
        max_rel_diff(o.iter(), offset.iter()) <= 1e-12,
        "{o:?} vs {offset}"
    );
}
