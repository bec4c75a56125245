//! Data that cannot be fitted are refused before the fit, per angle, with the file, the
//! angle, where the matrix came from and why.

mod common;

use common::fixture;
use homodyne_data::{DataError, LoadOptions, check_plausible, exclude_t0, load_xpcs_data};
use ndarray::{Axis, s};

#[test]
fn plausible_fixture_passes_and_bad_angles_are_named() {
    let mut opts = LoadOptions::new(fixture("aps_u_mapped_f32_lzf.h5"));
    opts.wavevector_q = 0.008;
    let data = exclude_t0(&load_xpcs_data(&opts).unwrap());
    check_plausible(&data).expect("fixture values are about 2");
    assert_eq!(data.n_angles(), 4);

    let mut bad = data.clone();
    bad.c2_exp.make_f64().index_axis_mut(Axis(0), 1).fill(0.0);
    bad.c2_exp.make_f64().index_axis_mut(Axis(0), 3).fill(1.0);
    let e = check_plausible(&bad).expect_err("zero and constant matrices");
    assert!(
        matches!(e, DataError::ImplausibleData { n_angles: 4, ref problems, .. } if problems.len() == 2),
        "{e:?}"
    );
    let msg = e.to_string();
    for part in [
        "aps_u_mapped_f32_lzf.h5",
        "2 of 4 angles",
        "phi = -60 degrees (dataset 'xpcs/twotime/correlation_map/c2_00007'): every value is zero",
        "phi = 170 degrees (dataset 'xpcs/twotime/correlation_map/c2_00009'): every value equals 1",
    ] {
        assert!(msg.contains(part), "{msg} lacks {part}");
    }

    // Raw detector counts instead of a normalised correlation.
    let mut counts = data.clone();
    counts
        .c2_exp
        .make_f64()
        .slice_mut(s![0, .., ..])
        .mapv_inplace(|v| 5000.0 * v);
    let msg = check_plausible(&counts).unwrap_err().to_string();
    assert!(
        msg.contains("phi = -170 degrees") && msg.contains("[0.5, 3]"),
        "{msg}"
    );

    // Mostly NaN (possible in NPZ input; HDF5 windows with NaN are refused when read).
    let mut holes = data.clone();
    holes
        .c2_exp
        .make_f64()
        .slice_mut(s![2, .., 2..])
        .fill(f64::NAN);
    let msg = check_plausible(&holes).unwrap_err().to_string();
    assert!(
        msg.contains("phi = 30 degrees") && msg.contains("NaN or infinite"),
        "{msg}"
    );
}
