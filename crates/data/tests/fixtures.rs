//! Round trips on the small h5py-made fixtures (tests/data/make_fixtures.py): both layouts,
//! empty bins with dynamic_index_mapping, several q rings, float64 + gzip + shuffle,
//! float32 + LZF, frame slicing, wrapped phi ranges, data_filtering.

mod common;

use common::{fixture, fixture_value_f32, fixture_value_f64};
use homodyne_data::{
    DataFilterOptions, Layout, LoadOptions, PhiFilterOptions, PhiRange, SourceKind, ValueRange,
    exclude_t0, load_xpcs_data, read_hdf5,
};

/// Check every element of `c2[k]` against the fixture formula on the frame window.
fn assert_matrix(
    data: &homodyne_data::XpcsData,
    k: usize,
    label: usize,
    start: usize,
    f32_stored: bool,
) {
    let c = data.c2_exp.angle(k).to_f64();
    let m = c.nrows();
    for i in 0..m {
        for j in 0..m {
            let (a, b) = (i.min(j) + start, i.max(j) + start);
            let want = if f32_stored {
                fixture_value_f32(label, a, b)
            } else {
                fixture_value_f64(label, a, b)
            };
            assert_eq!(c[[i, j]], want, "matrix {k} (label {label}) at ({i}, {j})");
        }
    }
}

#[test]
fn aps_u_empty_bins_use_dynamic_index_mapping() {
    let mut opts = LoadOptions::new(fixture("aps_u_mapped_f32_lzf.h5"));
    opts.wavevector_q = 0.0055;
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(data.source.kind, SourceKind::Hdf5(Layout::ApsU));
    // Ring q=0.0054 holds naturals 4, 5, 6, 7; natural 6 is empty (not in the mapping);
    // compacted bin 4 (natural 4) has no matrix. Left: naturals 5 and 7.
    assert_eq!(data.wavevector_q_list.to_vec(), vec![0.0054, 0.0054]);
    assert_eq!(data.phi_angles_list.to_vec(), vec![-60.0, 170.0]);
    assert_eq!(
        data.source.datasets,
        vec![
            "xpcs/twotime/correlation_map/c2_00004",
            "xpcs/twotime/correlation_map/c2_00005"
        ]
    );
    assert_matrix(&data, 0, 5, 0, true);
    assert_matrix(&data, 1, 7, 0, true);
    assert_eq!(data.t1.len(), 20);

    // First ring: naturals 0, 2, 3 (natural 1 empty).
    opts.wavevector_q = 0.0031;
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(data.phi_angles_list.to_vec(), vec![-170.0, 30.0, 170.0]);
    assert_matrix(&data, 0, 0, 0, true);
    assert_matrix(&data, 1, 2, 0, true);
    assert_matrix(&data, 2, 3, 0, true);

    // Third ring, all four angles.
    opts.wavevector_q = 0.0082;
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(
        data.phi_angles_list.to_vec(),
        vec![-170.0, -60.0, 30.0, 170.0]
    );
    for (k, natural) in [8, 9, 10, 11].into_iter().enumerate() {
        assert_matrix(&data, k, natural, 0, true);
    }
}

#[test]
fn aps_u_f64_gzip_shuffle_with_frame_slicing() {
    let mut opts = LoadOptions::new(fixture("aps_u_plain_f64_gzip.h5"));
    opts.wavevector_q = 0.0059;
    opts.start_frame = 3;
    opts.end_frame = 12;
    opts.dt = 0.5;
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(data.c2_exp.dim(), (3, 10, 10));
    assert_eq!(data.wavevector_q_list.to_vec(), vec![0.006; 3]);
    // Raw phi kept by the reader; normalisation happens in the pipeline.
    assert_eq!(data.phi_angles_list.to_vec(), vec![-180.0, 0.0, 200.0]);
    for k in 0..3 {
        assert_matrix(&data, k, 3 + k, 2, false);
    }
    assert_eq!(
        data.t1.to_vec(),
        (0..10).map(|i| i as f64 * 0.5).collect::<Vec<_>>()
    );
    assert_eq!(data.t1, data.t2);

    // Full pipeline: normalised angles (-180 -> 180, 200 -> -160), corrected diagonal.
    let full = load_xpcs_data(&opts).unwrap();
    assert_eq!(full.phi_angles_list.to_vec(), vec![180.0, 0.0, -160.0]);
    let c = full.c2_exp.angle(0).to_f64();
    let raw = data.c2_exp.angle(0).to_f64();
    assert_eq!(c[[0, 0]], raw[[0, 1]]);
    assert_eq!(c[[4, 4]], 0.5 * (raw[[3, 4]] + raw[[4, 5]]));
    assert_eq!(c[[9, 9]], raw[[8, 9]]);

    // Clamped frames: start -5, end 200 -> everything.
    opts.start_frame = -5;
    opts.end_frame = 200;
    assert_eq!(read_hdf5(&opts).unwrap().c2_exp.dim(), (3, 16, 16));
}

#[test]
fn aps_old_tolerance_selection_and_wrapped_phi_ranges() {
    let mut opts = LoadOptions::new(fixture("aps_old_f64_gzip_shuffle.h5"));
    opts.wavevector_q = 0.0054;
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(data.source.kind, SourceKind::Hdf5(Layout::ApsOld));
    assert_eq!(data.n_angles(), 6);
    assert_eq!(
        data.phi_angles_list.to_vec(),
        vec![175.0, -175.0, 10.0, -10.0, 90.0, 200.0]
    );
    for k in 0..6 {
        assert_matrix(&data, k, k, 0, false);
    }

    // Wrapped range [170, -170] keeps 175, -175 (and not 0); [-15, 15] adds ±10.
    opts.phi_filtering = PhiFilterOptions {
        enabled: true,
        target_ranges: vec![PhiRange {
            min_angle: 170.0,
            max_angle: -170.0,
        }],
        fallback_to_all: false,
    };
    let wrapped = load_xpcs_data(&opts).unwrap();
    assert_eq!(wrapped.phi_angles_list.to_vec(), vec![175.0, -175.0]);
    assert_eq!(wrapped.c2_exp.dim().0, 2);
    opts.phi_filtering.target_ranges.push(PhiRange {
        min_angle: -15.0,
        max_angle: 15.0,
    });
    let two = load_xpcs_data(&opts).unwrap();
    assert_eq!(
        two.phi_angles_list.to_vec(),
        vec![175.0, -175.0, 10.0, -10.0]
    );
    // The matrices follow their angles.
    let raw_order = read_hdf5(&opts).unwrap();
    assert_eq!(
        two.c2_exp.angle(3).to_f64()[[0, 5]],
        raw_order.c2_exp.angle(3).to_f64()[[0, 5]]
    );

    // Second ring.
    opts.wavevector_q = 0.0079;
    opts.phi_filtering = PhiFilterOptions::default();
    let ring2 = read_hdf5(&opts).unwrap();
    assert_eq!(ring2.wavevector_q_list.to_vec(), vec![0.008; 6]);
    assert_matrix(&ring2, 2, 8, 0, false);
}

#[test]
fn aps_old_data_filtering_intersects_the_q_selection() {
    let mut opts = LoadOptions::new(fixture("aps_old_f64_gzip_shuffle.h5"));
    opts.data_filtering = DataFilterOptions {
        enabled: true,
        phi_range: Some(ValueRange {
            min: Some(170.0),
            max: Some(-170.0),
        }),
        ..Default::default()
    };
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(data.phi_angles_list.to_vec(), vec![175.0, -175.0, 200.0]);
    assert_matrix(&data, 2, 5, 0, false);
}

#[test]
fn aps_old_sparse_rings_take_the_ten_closest() {
    let mut opts = LoadOptions::new(fixture("aps_old_f32_lzf_sparse.h5"));
    opts.start_frame = 2;
    opts.end_frame = -1;
    let data = read_hdf5(&opts).unwrap();
    assert_eq!(data.n_angles(), 3);
    assert_eq!(data.c2_exp.dim(), (3, 11, 11));
    for k in 0..3 {
        assert_matrix(&data, k, k, 1, true);
    }
}

#[test]
fn t0_exclusion_drops_first_row_and_column() {
    let mut opts = LoadOptions::new(fixture("aps_u_plain_f64_gzip.h5"));
    opts.wavevector_q = 0.006;
    let data = load_xpcs_data(&opts).unwrap();
    let cut = exclude_t0(&data);
    assert_eq!(cut.c2_exp.dim(), (3, 15, 15));
    assert_eq!(cut.t1.to_vec(), data.t1.to_vec()[1..].to_vec());
    assert_eq!(cut.t2.len(), 15);
    assert_eq!(
        cut.c2_exp.to_f64()[[1, 0, 3]],
        data.c2_exp.to_f64()[[1, 1, 4]]
    );
    assert_eq!(cut.wavevector_q_list, data.wavevector_q_list);
    let single = data.select_angles(&[0]);
    let mut tiny = single.clone();
    tiny.t1 = tiny.t1.slice(ndarray::s![..1]).to_owned();
    assert_eq!(exclude_t0(&tiny), tiny);
}

#[test]
fn frames_in_file_without_loading() {
    assert_eq!(
        homodyne_data::frames_in_file(&fixture("aps_u_mapped_f32_lzf.h5")).unwrap(),
        20
    );
    assert_eq!(
        homodyne_data::frames_in_file(&fixture("aps_old_f32_lzf_sparse.h5")).unwrap(),
        12
    );
    assert_eq!(
        homodyne_data::frames_in_file(&fixture("numpy_data.npz")).unwrap(),
        5
    );
    assert!(homodyne_data::frames_in_file(&fixture("bad_unknown_layout.h5")).is_err());
}

#[test]
fn large_float32_stacks_stay_float32() {
    // Below the threshold float32 files are widened (the reference's f64 data); at or
    // above it they stay float32: the same values, the diagonal correction rounded once.
    let mut opts = LoadOptions::new(fixture("aps_u_mapped_f32_lzf.h5"));
    opts.wavevector_q = 0.0055;
    let wide = homodyne_data::load_xpcs_data(&opts).unwrap();
    assert!(!wide.c2_exp.is_f32());
    opts.float32_min_values = 0;
    let narrow = homodyne_data::load_xpcs_data(&opts).unwrap();
    assert!(narrow.c2_exp.is_f32());
    assert_eq!(narrow.c2_exp.precision(), "float32");
    let (w, n) = (wide.c2_exp.to_f64(), narrow.c2_exp.to_f64());
    let n = &n;
    assert_eq!(w.dim(), n.dim());
    for ((a, i, j), &v) in w.indexed_iter() {
        if i == j {
            assert_eq!(n[[a, i, j]], f64::from(v as f32), "diagonal ({a}, {i})");
        } else {
            assert_eq!(n[[a, i, j]], v, "({a}, {i}, {j})");
        }
    }
    let (w0, n0) = (
        homodyne_data::exclude_t0(&wide),
        homodyne_data::exclude_t0(&narrow),
    );
    assert!(n0.c2_exp.is_f32());
    assert_eq!(n0.c2_exp.to_f64()[[0, 0, 3]], w0.c2_exp.to_f64()[[0, 0, 3]]);
    assert_eq!(n0.c2_exp.get([1, 4, 2]), n[[1, 5, 3]]);
    assert!(homodyne_data::check_plausible(&narrow).is_ok());
}
