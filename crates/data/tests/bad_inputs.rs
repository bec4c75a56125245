//! Every kind of bad input gives its own named error (with the file and dataset/key in
//! the message) and never a panic.

mod common;

use common::fixture;
use homodyne_data::{
    CacheOptions, DataError, LoadOptions, load_xpcs_data, read_hdf5, read_npz_contents,
};

fn load_err(opts: &LoadOptions) -> DataError {
    load_xpcs_data(opts).expect_err("load must fail")
}

fn message_has(err: &DataError, parts: &[&str]) {
    let msg = err.to_string();
    for p in parts {
        assert!(msg.contains(p), "'{msg}' lacks '{p}'");
    }
}

#[test]
fn missing_file() {
    let e = load_err(&LoadOptions::new("/nonexistent/dir/data.h5"));
    assert!(matches!(e, DataError::FileNotFound { .. }), "{e:?}");
    message_has(&e, &["/nonexistent/dir/data.h5"]);
}

#[test]
fn not_hdf5_and_truncated_hdf5() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.h5");
    std::fs::write(
        &text,
        "this is not an HDF5 file, just some text padding it out",
    )
    .unwrap();
    let e = load_err(&LoadOptions::new(&text));
    assert!(matches!(e, DataError::NotHdf5 { .. }), "{e:?}");
    message_has(&e, &["notes.h5"]);

    // A real file cut in half: an error, not a panic.
    let bytes = std::fs::read(fixture("aps_u_mapped_f32_lzf.h5")).unwrap();
    for cut in [100, 2000, bytes.len() / 2, bytes.len() - 100] {
        let truncated = dir.path().join(format!("cut_{cut}.h5"));
        std::fs::write(&truncated, &bytes[..cut]).unwrap();
        let mut opts = LoadOptions::new(&truncated);
        opts.wavevector_q = 0.008;
        let e = load_err(&opts);
        assert!(
            matches!(e, DataError::Hdf5Read { .. } | DataError::NotHdf5 { .. }),
            "{e:?}"
        );
        message_has(&e, &[&format!("cut_{cut}.h5")]);
    }
}

#[test]
fn unknown_layout() {
    let e = load_err(&LoadOptions::new(fixture("bad_unknown_layout.h5")));
    assert!(matches!(e, DataError::UnknownLayout { .. }), "{e:?}");
    message_has(&e, &["bad_unknown_layout.h5", "correlation_map", "C2T_all"]);
}

#[test]
fn missing_dataset() {
    let e = load_err(&LoadOptions::new(fixture("bad_missing_processed_bins.h5")));
    assert!(matches!(e, DataError::MissingDataset { .. }), "{e:?}");
    message_has(
        &e,
        &[
            "bad_missing_processed_bins.h5",
            "xpcs/twotime/processed_bins",
        ],
    );
}

#[test]
fn non_square_and_wrong_rank() {
    for (file, shape) in [
        ("bad_non_square.h5", "[4, 5]"),
        ("bad_wrong_rank.h5", "[2, 4, 4]"),
    ] {
        let e = load_err(&LoadOptions::new(fixture(file)));
        assert!(matches!(e, DataError::BadMatrixShape { .. }), "{e:?}");
        message_has(&e, &[file, "correlation_map/c2_00001", shape]);
    }
}

#[test]
fn bins_without_matrices() {
    let e = load_err(&LoadOptions::new(fixture("bad_no_matrices.h5")));
    assert!(
        matches!(e, DataError::NoCorrelationMatrices { n_bins: 2, .. }),
        "{e:?}"
    );
    message_has(&e, &["bad_no_matrices.h5", "xpcs/twotime/correlation_map"]);
}

#[test]
fn nan_and_inf_in_c2() {
    let e = load_err(&LoadOptions::new(fixture("bad_nan.h5")));
    assert!(matches!(e, DataError::NonFinite { count: 4, .. }), "{e:?}");
    message_has(&e, &["bad_nan.h5", "c2_00001"]);
    // A frame window avoiding the bad values loads.
    let mut opts = LoadOptions::new(fixture("bad_nan.h5"));
    opts.start_frame = 4;
    assert!(load_xpcs_data(&opts).is_ok());
}

#[test]
fn frames_out_of_range() {
    let mut opts = LoadOptions::new(fixture("aps_u_plain_f64_gzip.h5"));
    opts.wavevector_q = 0.006;
    opts.start_frame = 17;
    let e = load_err(&opts);
    assert!(
        matches!(e, DataError::FramesOutOfRange { n_frames: 16, .. }),
        "{e:?}"
    );
    message_has(&e, &["aps_u_plain_f64_gzip.h5", "start_frame=17"]);
    opts.start_frame = 10;
    opts.end_frame = 5;
    assert!(matches!(
        load_err(&opts),
        DataError::FramesOutOfRange { .. }
    ));
}

#[test]
fn empty_selection() {
    let mut opts = LoadOptions::new(fixture("aps_old_f64_gzip_shuffle.h5"));
    opts.data_filtering = homodyne_data::DataFilterOptions {
        enabled: true,
        q_range: Some(homodyne_data::ValueRange {
            min: Some(0.0079),
            max: None,
        }),
        ..Default::default()
    };
    let e = load_err(&opts);
    assert!(matches!(e, DataError::EmptySelection { .. }), "{e:?}");
    message_has(&e, &["aps_old_f64_gzip_shuffle.h5", "empty selection"]);
}

#[test]
fn invalid_options() {
    let mut opts = LoadOptions::new(fixture("aps_old_f64_gzip_shuffle.h5"));
    opts.dt = 0.0;
    assert!(matches!(
        read_hdf5(&opts),
        Err(DataError::InvalidOption { .. })
    ));
}

#[test]
fn unreadable_and_truncated_npz() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.npz");
    std::fs::write(&garbage, b"definitely not a zip archive").unwrap();
    let e = load_err(&LoadOptions::new(&garbage));
    assert!(matches!(e, DataError::BadNpz { .. }), "{e:?}");
    message_has(&e, &["garbage.npz"]);

    let bytes = std::fs::read(fixture("numpy_data.npz")).unwrap();
    for cut in [10, bytes.len() / 3, bytes.len() - 30] {
        let truncated = dir.path().join(format!("cut_{cut}.npz"));
        std::fs::write(&truncated, &bytes[..cut]).unwrap();
        let e = read_npz_contents(&truncated, false).expect_err("truncated npz");
        assert!(matches!(e, DataError::BadNpz { .. }), "{e:?}");
        message_has(&e, &[&format!("cut_{cut}.npz")]);
    }
    // Flip a byte inside the compressed data: CRC or inflate failure, not garbage values.
    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x55;
    let path = dir.path().join("corrupt.npz");
    std::fs::write(&path, &corrupt).unwrap();
    assert!(read_npz_contents(&path, false).is_err());
}

#[test]
fn npz_with_object_arrays_is_refused() {
    let e = load_err(&LoadOptions::new(fixture("numpy_object_metadata.npz")));
    assert!(matches!(e, DataError::NpzObjectArray { .. }), "{e:?}");
    message_has(&e, &["numpy_object_metadata.npz", "cache_metadata"]);
}

#[test]
fn npz_with_meshgrid_time_is_refused() {
    let e = load_err(&LoadOptions::new(fixture("numpy_meshgrid_t.npz")));
    assert!(matches!(e, DataError::BadNpz { .. }), "{e:?}");
    message_has(&e, &["numpy_meshgrid_t.npz", "t1"]);
}

#[test]
fn cache_template_escaping_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    for template in ["../escape_${start_frame}.npz", "sub/dir.npz", "/etc/passwd"] {
        let mut opts = LoadOptions::new(fixture("aps_u_plain_f64_gzip.h5"));
        opts.cache = Some(CacheOptions {
            folder: dir.path().to_path_buf(),
            filename_template: template.into(),
            compression: true,
        });
        let e = load_err(&opts);
        assert!(matches!(e, DataError::BadCacheTemplate { .. }), "{e:?}");
        message_has(&e, &[template]);
    }
}

#[test]
fn non_finite_labels_name_the_file_and_dataset() {
    let dir = tempfile::tempdir().unwrap();
    // NPZ data: t1[0] = inf, then phi[1] = NaN.
    for (entry, bad_t, bad_phi, want) in [
        ("t1", f64::INFINITY, 10.0, "t1[0] = inf is not finite"),
        (
            "phi_angles_list",
            0.0,
            f64::NAN,
            "phi_angles_list[1] = NaN is not finite",
        ),
    ] {
        let path = dir.path().join(format!("bad_{entry}.npz"));
        let mut w = homodyne_data::NpzWriter::create(&path, false).unwrap();
        let t = [bad_t, 0.1, 0.2];
        w.add_f64("wavevector_q_list", &[2], [0.0054, 0.0054].iter())
            .unwrap();
        w.add_f64("phi_angles_list", &[2], [0.0, bad_phi].iter())
            .unwrap();
        w.add_f64("t1", &[3], t.iter()).unwrap();
        w.add_f64("t2", &[3], [0.0, 0.1, 0.2].iter()).unwrap();
        w.add_f64("c2_exp", &[2, 3, 3], [1.1f64; 18].iter())
            .unwrap();
        w.finish().unwrap();
        let e = load_err(&LoadOptions::new(&path));
        message_has(&e, &[&format!("bad_{entry}.npz"), entry, want]);
    }

    // HDF5: the phi label of a selected matrix is NaN (patched into the fixture's float64
    // phi list [-170, -60, 30, 170]).
    let mut bytes = std::fs::read(fixture("aps_u_mapped_f32_lzf.h5")).unwrap();
    let pattern = (-170.0f64).to_le_bytes();
    let at: Vec<usize> = bytes
        .windows(8)
        .enumerate()
        .filter(|(_, w)| *w == pattern)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "fixture layout changed");
    bytes[at[0]..at[0] + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let path = dir.path().join("nan_phi.h5");
    std::fs::write(&path, &bytes).unwrap();
    let mut opts = LoadOptions::new(&path);
    opts.wavevector_q = 0.008;
    let e = load_err(&opts);
    assert!(matches!(e, DataError::BadLabels { .. }), "{e:?}");
    message_has(
        &e,
        &[
            "nan_phi.h5",
            "xpcs/qmap/dynamic_v_list_dim1",
            "correlation_map/c2_00006",
            "phi = NaN",
        ],
    );
    // The 0.0054 ring does not use the NaN label.
    opts.wavevector_q = 0.0054;
    assert!(load_xpcs_data(&opts).is_ok());
}
