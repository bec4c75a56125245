//! Damage anywhere in an HDF5 file is reported: a warning (kept in
//! `source.damage`) when the loaded matrices do not need the damaged part, an error naming
//! the dataset when they do.

mod common;

use common::fixture;
use homodyne_data::{DataError, LoadOptions, read_hdf5};

/// `aps_u_mapped_f32_lzf.h5` (rings 0.003, 0.0054, 0.008) cut 832 bytes short: the
/// last chunk written (c2_00009, natural 11: q = 0.008, phi = 170) is incomplete.
fn truncated_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let bytes = std::fs::read(fixture("aps_u_mapped_f32_lzf.h5")).unwrap();
    let path = dir.join("cut.h5");
    std::fs::write(&path, &bytes[..bytes.len() - 832]).unwrap();
    path
}

#[test]
fn truncation_past_the_unused_ring_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = LoadOptions::new(truncated_copy(dir.path()));
    opts.wavevector_q = 0.0054;
    let data = read_hdf5(&opts).expect("the 0.0054 ring is complete");
    assert_eq!(data.n_angles(), 2);
    let damage = data.source.damage.join("\n");
    assert_eq!(data.source.damage.len(), 2, "{damage}");
    assert!(damage.contains("cut.h5: the file is truncated"), "{damage}");
    assert!(
        damage.contains("'xpcs/twotime/correlation_map/c2_00009' (q = 0.008, phi = 170; not used"),
        "{damage}"
    );
    // An intact file reports nothing.
    let intact = read_hdf5(&LoadOptions::new(fixture("aps_u_mapped_f32_lzf.h5"))).unwrap();
    assert!(
        intact.source.damage.is_empty(),
        "{:?}",
        intact.source.damage
    );
}

#[test]
fn truncation_inside_the_used_ring_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = LoadOptions::new(truncated_copy(dir.path()));
    opts.wavevector_q = 0.008;
    let e = read_hdf5(&opts).expect_err("c2_00009 is cut");
    assert!(matches!(e, DataError::Hdf5Read { .. }), "{e:?}");
    let msg = e.to_string();
    for part in ["cut.h5", "c2_00009", "the file is truncated"] {
        assert!(msg.contains(part), "{msg} lacks {part}");
    }
}

#[test]
fn a_corrupt_header_of_an_unused_matrix_is_a_warning_and_an_error_when_used() {
    // The object header of c2_00001 (natural 0: q = 0.003, phi = -170) starts at byte 8176
    // (h5py.h5o.get_info(...).addr); version 1 headers start with the byte 1.
    const HEADER: usize = 8176;
    let mut bytes = std::fs::read(fixture("aps_u_mapped_f32_lzf.h5")).unwrap();
    assert_eq!(
        &bytes[HEADER..HEADER + 3],
        &[1, 0, 6],
        "fixture layout changed"
    );
    bytes[HEADER] = 0x7f;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad_header.h5");
    std::fs::write(&path, &bytes).unwrap();

    let mut opts = LoadOptions::new(&path);
    opts.wavevector_q = 0.0054;
    let data = read_hdf5(&opts).expect("the 0.0054 ring does not need c2_00001");
    assert_eq!(data.source.damage.len(), 1, "{:?}", data.source.damage);
    let msg = &data.source.damage[0];
    assert!(
        msg.contains("bad_header.h5: matrix 'xpcs/twotime/correlation_map/c2_00001' (q = 0.003"),
        "{msg}"
    );

    opts.wavevector_q = 0.003;
    let e = read_hdf5(&opts).expect_err("c2_00001 is in the 0.003 ring");
    let msg = e.to_string();
    assert!(
        msg.contains("bad_header.h5") && msg.contains("c2_00001"),
        "{msg}"
    );
}
