//! The real boost-corr result files in shared/data load with the right (q, phi) label for
//! every bin (as listed in the matching *_expected.h5) and with the stored values.
//! They are not in the repository: each test looks in `$HOMODYNE_REFERENCE_DIR/data`, then
//! `../shared/data`, and is skipped (one `skipped:` line on stderr) when neither has them.

mod common;

use common::require_reference;
use hdf5_reader::Hdf5File;
use homodyne_data::{H5Source, Layout, LoadOptions, detect_layout, labelled_matrices, read_hdf5};

fn expected_f64(file: &Hdf5File, name: &str) -> Vec<f64> {
    file.dataset(name)
        .unwrap()
        .read_array::<f64>()
        .unwrap()
        .into_iter()
        .collect()
}

fn expected_i64(file: &Hdf5File, name: &str) -> Vec<i64> {
    file.dataset(name)
        .unwrap()
        .read_array::<i64>()
        .unwrap()
        .into_iter()
        .collect()
}

fn check_labels(kind: &str) {
    let (results, expected) = (
        format!("data/boostcorr_{kind}_results.hdf"),
        format!("data/boostcorr_{kind}_expected.h5"),
    );
    let Some([results, expected]) = require_reference([&results, &expected]) else {
        return;
    };
    let expected = Hdf5File::open(expected).unwrap();
    let q_label = expected_f64(&expected, "q_label");
    let phi_label = expected_f64(&expected, "phi_label");
    let processed = expected_i64(&expected, "processed_bin");

    let src = H5Source::open(&results).unwrap();
    assert_eq!(detect_layout(&src).unwrap(), Layout::ApsU);
    let pairs = labelled_matrices(&src, Layout::ApsU).unwrap();
    assert_eq!(pairs.len(), q_label.len());
    for (i, p) in pairs.iter().enumerate() {
        assert_eq!(
            p.dataset,
            format!("xpcs/twotime/correlation_map/c2_{:05}", i + 1)
        );
        assert_eq!(p.q, q_label[i], "{kind} bin {} q", processed[i]);
        assert_eq!(p.phi, phi_label[i], "{kind} bin {} phi", processed[i]);
    }

    // Loading each q ring gives its 12 angles in file order, labelled as expected.
    let mut rings: Vec<f64> = q_label.clone();
    rings.dedup();
    for q in rings {
        let mut opts = LoadOptions::new(&results);
        opts.wavevector_q = q;
        opts.dt = 0.02;
        let data = read_hdf5(&opts).unwrap();
        let want: Vec<usize> = (0..q_label.len()).filter(|&i| q_label[i] == q).collect();
        assert_eq!(data.n_angles(), want.len());
        for (k, &i) in want.iter().enumerate() {
            assert_eq!(data.wavevector_q_list[k], q);
            assert_eq!(data.phi_angles_list[k], phi_label[i]);
            assert_eq!(data.source.datasets[k], pairs[i].dataset);
        }
        assert_eq!(data.t1.len(), 400);
        assert_eq!(data.t1[1], 0.02);
    }
}

#[test]
fn static_file_labels_match_expectations() {
    check_labels("static");
}

#[test]
fn shear_file_labels_match_expectations() {
    check_labels("shear");
}

/// Stored values (read independently with h5py) and half-matrix sums of three matrices.
#[test]
fn real_matrices_are_rebuilt_from_the_stored_halves() {
    let Some([static_file, shear_file]) = require_reference([
        "data/boostcorr_static_results.hdf",
        "data/boostcorr_shear_results.hdf",
    ]) else {
        return;
    };
    // (file, q ring index, matrix, H[3,10], H[0,399], H[200,200], sum of stored half)
    let cases = [
        (
            "static",
            0,
            1usize,
            1.3998671770095825,
            1.033246397972107,
            1.478421926498413,
            92897.52679032087,
        ),
        (
            "static",
            0,
            7,
            1.4382449388504028,
            1.0212644338607788,
            1.3954241275787354,
            91482.5793491602,
        ),
        (
            "static",
            3,
            48,
            1.2192895412445068,
            1.0214316844940186,
            1.4834812879562378,
            82917.57975709438,
        ),
        (
            "shear",
            0,
            1,
            1.2907135486602783,
            0.9418497085571289,
            1.2935056686401367,
            84781.42548763752,
        ),
        (
            "shear",
            0,
            7,
            1.273792028427124,
            1.045616865158081,
            1.2974063158035278,
            85056.36201995611,
        ),
        (
            "shear",
            3,
            48,
            1.2045834064483643,
            0.977775514125824,
            1.501369595527649,
            81916.52297228575,
        ),
    ];
    let q_rings = [0.00387754, 0.00562621, 0.00737487, 0.00912354];
    for (kind, ring, matrix, h_3_10, h_0_399, h_200, half_sum) in cases {
        let file = if kind == "static" {
            &static_file
        } else {
            &shear_file
        };
        let mut opts = LoadOptions::new(file);
        opts.wavevector_q = q_rings[ring];
        let data = read_hdf5(&opts).unwrap();
        let k = (matrix - 1) % 12;
        let c = data.c2_exp.angle(k).to_f64();
        assert_eq!(c[[3, 10]], h_3_10);
        assert_eq!(c[[10, 3]], h_3_10);
        assert_eq!(c[[0, 399]], h_0_399);
        assert_eq!(c[[399, 0]], h_0_399);
        assert_eq!(c[[200, 200]], h_200);
        let trace: f64 = (0..400).map(|i| c[[i, i]]).sum();
        let full_sum: f64 = c.sum();
        let rebuilt_half = (full_sum + trace) / 2.0;
        assert!(
            (rebuilt_half - half_sum).abs() < 1e-6 * half_sum,
            "{kind} {matrix}"
        );
        // Symmetric everywhere.
        assert_eq!(c, c.t());
    }
}

/// The full pipeline (diagonal correction, phi normalisation) on a real file.
#[test]
fn real_file_full_pipeline() {
    let Some([shear_file]) = require_reference(["data/boostcorr_shear_results.hdf"]) else {
        return;
    };
    let mut opts = LoadOptions::new(shear_file);
    opts.wavevector_q = 0.0054;
    opts.dt = 0.02;
    opts.start_frame = 11;
    opts.end_frame = 210;
    let raw = read_hdf5(&opts).unwrap();
    let data = homodyne_data::load_xpcs_data(&opts).unwrap();
    assert_eq!(data.c2_exp.dim(), (12, 200, 200));
    assert!(data.source.diagonal_corrected);
    let (a, b) = (raw.c2_exp.angle(5).to_f64(), data.c2_exp.angle(5).to_f64());
    for i in 0..200 {
        for j in 0..200 {
            if i != j {
                assert_eq!(a[[i, j]], b[[i, j]]);
            }
        }
    }
    assert_eq!(b[[0, 0]], a[[0, 1]]);
    assert_eq!(b[[5, 5]], 0.5 * (a[[4, 5]] + a[[5, 6]]));
    assert_eq!(b[[199, 199]], a[[198, 199]]);
    assert!(
        data.phi_angles_list
            .iter()
            .all(|&p| p > -180.0 && p <= 180.0)
    );
}
