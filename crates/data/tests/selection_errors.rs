//! The loader never swaps what was asked for: a requested q with no ring within
//! `q_tolerance_fraction` and `phi_filtering` ranges that keep no angle are errors that
//! name the file and list what the file holds (the ranges fall back to all angles only
//! when `fallback_to_all` says so).

mod common;

use common::fixture;
use homodyne_data::{
    DataError, LoadOptions, PhiFilterOptions, PhiRange, load_xpcs_data, read_hdf5,
};

fn message_has(err: &DataError, parts: &[&str]) {
    let msg = err.to_string();
    for p in parts {
        assert!(msg.contains(p), "'{msg}' lacks '{p}'");
    }
}

#[test]
fn q_beyond_the_tolerance_is_an_error_listing_the_rings() {
    // APS-U, rings 0.003, 0.0054, 0.008: 0.5 used to load the 0.008 ring silently.
    let mut opts = LoadOptions::new(fixture("aps_u_mapped_f32_lzf.h5"));
    opts.wavevector_q = 0.5;
    let e = load_xpcs_data(&opts).expect_err("q = 0.5 is no ring of this file");
    assert!(
        matches!(e, DataError::QNotInFile { nearest, .. } if nearest == 0.008),
        "{e:?}"
    );
    message_has(
        &e,
        &[
            "aps_u_mapped_f32_lzf.h5",
            "wavevector_q = 0.5",
            "q rings in the file: 0.003, 0.0054, 0.008",
            "within 10 %",
            "q_tolerance_fraction",
        ],
    );
    // Within the tolerance the nearest ring is used; a wider tolerance is honoured.
    opts.wavevector_q = 0.0057;
    assert_eq!(read_hdf5(&opts).unwrap().q(), 0.0054);
    opts.wavevector_q = 0.0072;
    assert!(read_hdf5(&opts).is_err());
    opts.q_tolerance_fraction = 0.25;
    assert_eq!(read_hdf5(&opts).unwrap().q(), 0.008);

    // APS-old: the same rule before the reference's pair selection.
    let mut old = LoadOptions::new(fixture("aps_old_f64_gzip_shuffle.h5"));
    old.wavevector_q = 0.02;
    let e = read_hdf5(&old).expect_err("q = 0.02 is no ring of this file");
    message_has(
        &e,
        &[
            "aps_old_f64_gzip_shuffle.h5",
            "0.0052, 0.0053, 0.0054, 0.0055, 0.0056, 0.008",
        ],
    );
}

#[test]
fn npz_data_at_another_q_is_refused() {
    let mut opts = LoadOptions::new(fixture("numpy_data.npz"));
    assert_eq!(load_xpcs_data(&opts).unwrap().q(), 0.0054);
    opts.wavevector_q = 0.008;
    let e = load_xpcs_data(&opts).expect_err("the NPZ holds q = 0.0054 only");
    message_has(&e, &["numpy_data.npz", "wavevector_q = 0.008", "0.0054"]);
}

fn ranges(list: &[(f64, f64)], fallback_to_all: bool) -> PhiFilterOptions {
    PhiFilterOptions {
        enabled: true,
        target_ranges: list
            .iter()
            .map(|&(min_angle, max_angle)| PhiRange {
                min_angle,
                max_angle,
            })
            .collect(),
        fallback_to_all,
    }
}

#[test]
fn phi_ranges_selecting_nothing_are_an_error_listing_the_angles() {
    let mut opts = LoadOptions::new(fixture("aps_old_f64_gzip_shuffle.h5"));
    opts.phi_filtering = ranges(&[(40.0, 50.0), (-50.0, -40.0)], false);
    let e = load_xpcs_data(&opts).expect_err("no angle in [40, 50] or [-50, -40]");
    assert!(matches!(e, DataError::NoAngleInRanges { .. }), "{e:?}");
    message_has(
        &e,
        &[
            "aps_old_f64_gzip_shuffle.h5",
            "[40, 50], [-50, -40]",
            // normalised angles, in file order (200 -> -160)
            "175, -175, 10, -10, 90, -160 degrees",
            "fallback_to_all_angles",
        ],
    );
    // With the fallback (the reference templates' `fallback_to_all_angles: true`) every
    // angle is kept.
    opts.phi_filtering.fallback_to_all = true;
    assert_eq!(load_xpcs_data(&opts).unwrap().n_angles(), 6);
    // Ranges that match keep only their angles, fallback or not.
    opts.phi_filtering = ranges(&[(80.0, 100.0)], true);
    assert_eq!(
        load_xpcs_data(&opts).unwrap().phi_angles_list.to_vec(),
        vec![90.0]
    );
}
