//! Fit bounds and starts built from the one parameter table (`ParameterSpace`).

mod common;

use common::{STATIC_TRUTH, simulate};
use homodyne_model::params::{AnalysisMode, Bounds, DEFAULT_PHYSICAL_BOUNDS, ParameterSpace};
use homodyne_nlsq::initial_values_from_space;
use homodyne_nlsq::{NlsqOptions, ParameterBounds, fit};

#[test]
fn defaults_match_the_table() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let space = ParameterSpace::defaults(mode);
        let b = ParameterBounds::from(&space);
        assert_eq!(b, ParameterBounds::defaults(mode));
        assert_eq!(
            b.physical,
            DEFAULT_PHYSICAL_BOUNDS[..mode.n_physical()].to_vec()
        );
        assert_eq!(b.contrast, space.contrast().bounds);
        assert_eq!(b.offset, space.offset().bounds);
    }
}

#[test]
fn starts_bounds_and_fixed_flags_come_from_the_table() {
    let case = simulate(&STATIC_TRUTH, vec![0.3; 2], vec![1.0; 2], 20, 7);
    let mut space = ParameterSpace::defaults(AnalysisMode::Static);
    let d0 = space.spec_mut("D0").unwrap();
    d0.bounds = Bounds::new(1e3, 1e5);
    d0.start = 2e4;
    let d_offset = space.spec_mut("D_offset").unwrap();
    d_offset.start = STATIC_TRUTH[2];
    d_offset.fixed = true;
    space.spec_mut("contrast").unwrap().bounds = Bounds::new(0.05, 0.9);
    let (start, bounds) = initial_values_from_space(
        &case.experiment,
        case.c2.view(),
        &space,
        Some((&[0.3], &[1.0])),
    )
    .unwrap();
    assert_eq!(start.physical, vec![2e4, 0.0, STATIC_TRUTH[2]]);
    assert_eq!(start.fixed, vec![false, false, true]);
    assert_eq!(start.contrast, vec![0.3; 2]);
    assert_eq!(bounds.physical[0], Bounds::new(1e3, 1e5));
    assert_eq!(bounds.contrast, Bounds::new(0.05, 0.9));
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        &NlsqOptions::default(),
    )
    .unwrap();
    let (v, _) = r.get("D_offset").unwrap();
    assert_eq!(v, STATIC_TRUTH[2]);
}
