//! NPZ cache: written on first load, read back identical, stale / foreign / corrupt caches
//! detected and rebuilt; numpy-written NPZ files readable as data files.

mod common;

use common::fixture;
use homodyne_data::{
    CacheMetadata, CacheOptions, LoadOptions, METADATA_KEY, NpzReader, SourceKind,
    load_uncorrected, load_xpcs_data, read_npz_contents,
};

fn options_with_cache(folder: &std::path::Path) -> LoadOptions {
    let mut opts = LoadOptions::new(fixture("aps_u_mapped_f32_lzf.h5"));
    opts.wavevector_q = 0.0054;
    opts.start_frame = 2;
    opts.end_frame = -1;
    opts.dt = 0.25;
    opts.cache = Some(CacheOptions {
        folder: folder.to_path_buf(),
        filename_template: "cached_c2_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz"
            .into(),
        compression: true,
    });
    opts
}

fn metadata(path: &std::path::Path) -> CacheMetadata {
    let mut r = NpzReader::open(path).unwrap();
    serde_json::from_str(&r.read_unicode_scalar(METADATA_KEY).unwrap()).unwrap()
}

#[test]
fn cache_written_then_read_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options_with_cache(dir.path());
    let first = load_uncorrected(&opts).unwrap();
    assert_eq!(
        first.source.kind,
        SourceKind::Hdf5(homodyne_data::Layout::ApsU)
    );
    let cache_path = dir.path().join("cached_c2_q0.0054_frames_2_-1.npz");
    assert_eq!(
        first.source.cache_path.as_deref(),
        Some(cache_path.as_path())
    );
    assert!(cache_path.exists());
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let meta = metadata(&cache_path);
    assert_eq!(meta.start_frame, 2);
    assert_eq!(meta.end_frame, 20); // -1 resolved to n_t + start - 1 = 19 + 2 - 1
    assert_eq!(meta.requested_end_frame, Some(-1));
    assert_eq!(meta.q_count, 2);
    assert_eq!(meta.phi_count, 2);
    assert_eq!(meta.dt, Some(0.25));
    assert_eq!(meta.cache_version, "2.0");
    assert_eq!(meta.q_variance, Some(0.0));

    let second = load_uncorrected(&opts).unwrap();
    assert_eq!(second.source.kind, SourceKind::Cache);
    assert_eq!(second.c2_exp, first.c2_exp);
    assert_eq!(second.t1, first.t1);
    assert_eq!(second.t2, first.t2);
    assert_eq!(second.wavevector_q_list, first.wavevector_q_list);
    assert_eq!(second.phi_angles_list, first.phi_angles_list);

    // The full pipeline gives the same result from HDF5 and from the cache.
    let no_cache = LoadOptions {
        cache: None,
        ..opts.clone()
    };
    assert_eq!(
        load_xpcs_data(&opts).unwrap().c2_exp,
        load_xpcs_data(&no_cache).unwrap().c2_exp
    );

    // Uncompressed caches work too.
    let mut stored = opts.clone();
    stored.cache.as_mut().unwrap().compression = false;
    stored.cache.as_mut().unwrap().filename_template = "plain_${start_frame}.npz".into();
    load_uncorrected(&stored).unwrap();
    let again = load_uncorrected(&stored).unwrap();
    assert_eq!(again.source.kind, SourceKind::Cache);
    assert_eq!(again.c2_exp, first.c2_exp);
}

#[test]
fn stale_caches_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options_with_cache(dir.path());
    load_uncorrected(&opts).unwrap();
    let cache_path = dir.path().join("cached_c2_q0.0054_frames_2_-1.npz");

    // A template without q or frames in the name: every change must be caught by metadata.
    let mut blind = opts.clone();
    blind.cache.as_mut().unwrap().filename_template = "cache.npz".into();
    load_uncorrected(&blind).unwrap();
    assert_eq!(
        load_uncorrected(&blind).unwrap().source.kind,
        SourceKind::Cache
    );

    let mut other_dt = blind.clone();
    other_dt.dt = 0.5;
    let rebuilt = load_uncorrected(&other_dt).unwrap();
    assert_eq!(
        rebuilt.source.kind,
        SourceKind::Hdf5(homodyne_data::Layout::ApsU)
    );
    assert_eq!(rebuilt.t1[1], 0.5);
    assert_eq!(metadata(&dir.path().join("cache.npz")).dt, Some(0.5));
    assert_eq!(
        load_uncorrected(&other_dt).unwrap().source.kind,
        SourceKind::Cache
    );

    let mut other_frames = other_dt.clone();
    other_frames.end_frame = 10;
    let rebuilt = load_uncorrected(&other_frames).unwrap();
    assert!(matches!(rebuilt.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(rebuilt.c2_exp.dim(), (2, 9, 9));

    let mut other_start = other_frames.clone();
    other_start.start_frame = 1;
    assert!(matches!(
        load_uncorrected(&other_start).unwrap().source.kind,
        SourceKind::Hdf5(_)
    ));

    let mut other_q = other_start.clone();
    other_q.wavevector_q = 0.008;
    let rebuilt = load_uncorrected(&other_q).unwrap();
    assert!(matches!(rebuilt.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(rebuilt.wavevector_q_list[0], 0.008);

    let mut other_filter = other_q.clone();
    other_filter.data_filtering.enabled = true;
    other_filter.data_filtering.phi_range = Some(homodyne_data::ValueRange {
        min: Some(0.0),
        max: None,
    });
    let rebuilt = load_uncorrected(&other_filter).unwrap();
    assert!(matches!(rebuilt.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(rebuilt.phi_angles_list.to_vec(), vec![30.0, 170.0]);

    // A cache built from another data file with the same name template (and the same
    // settings: 0.0058 is within 10 % of a ring of both files).
    let mut shared_q = other_filter.clone();
    shared_q.data_filtering = Default::default();
    shared_q.wavevector_q = 0.0058;
    let mapped = load_uncorrected(&shared_q).unwrap();
    assert!(matches!(mapped.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(
        load_uncorrected(&shared_q).unwrap().source.kind,
        SourceKind::Cache
    );
    let mut other_file = shared_q.clone();
    other_file.data_path = fixture("aps_u_plain_f64_gzip.h5");
    let rebuilt = load_uncorrected(&other_file).unwrap();
    assert!(matches!(rebuilt.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(rebuilt.c2_exp.dim(), (3, 10, 10));

    // The first cache was left alone and is still valid.
    assert_eq!(
        load_uncorrected(&opts).unwrap().source.kind,
        SourceKind::Cache
    );
    assert!(cache_path.exists());
}

#[test]
fn corrupt_or_foreign_caches_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options_with_cache(dir.path());
    let cache_path = dir.path().join("cached_c2_q0.0054_frames_2_-1.npz");
    let reference = load_uncorrected(&opts).unwrap();

    // Truncated.
    let bytes = std::fs::read(&cache_path).unwrap();
    std::fs::write(&cache_path, &bytes[..bytes.len() / 2]).unwrap();
    let rebuilt = load_uncorrected(&opts).unwrap();
    assert!(matches!(rebuilt.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(rebuilt.c2_exp, reference.c2_exp);
    assert_eq!(
        load_uncorrected(&opts).unwrap().source.kind,
        SourceKind::Cache
    );

    // Garbage.
    std::fs::write(&cache_path, b"garbage").unwrap();
    assert!(matches!(
        load_uncorrected(&opts).unwrap().source.kind,
        SourceKind::Hdf5(_)
    ));

    // Written by the reference (no dt / provenance in the metadata): foreign, rebuilt.
    std::fs::copy(fixture("numpy_data.npz"), &cache_path).unwrap();
    let rebuilt = load_uncorrected(&opts).unwrap();
    assert!(matches!(rebuilt.source.kind, SourceKind::Hdf5(_)));
    assert_eq!(rebuilt.c2_exp, reference.c2_exp);

    // Legacy pickled metadata: refused, rebuilt.
    std::fs::copy(fixture("numpy_object_metadata.npz"), &cache_path).unwrap();
    assert!(matches!(
        load_uncorrected(&opts).unwrap().source.kind,
        SourceKind::Hdf5(_)
    ));
    assert_eq!(
        load_uncorrected(&opts).unwrap().source.kind,
        SourceKind::Cache
    );
}

#[test]
fn numpy_npz_as_data_file() {
    let mut opts = LoadOptions::new(fixture("numpy_data.npz"));
    opts.dt = 0.1;
    let raw = load_uncorrected(&opts).unwrap();
    assert_eq!(raw.source.kind, SourceKind::NpzData);
    assert_eq!(raw.c2_exp.dim(), (3, 5, 5));
    // float32 in the file, widened exactly.
    assert_eq!(
        raw.c2_exp.to_f64()[[1, 0, 2]],
        common::fixture_value_f32(1, 0, 2)
    );
    assert_eq!(
        raw.c2_exp.to_f64()[[1, 2, 0]],
        common::fixture_value_f32(1, 0, 2)
    );
    assert_eq!(
        raw.t1.to_vec(),
        vec![0.0, 0.1, 0.2, 0.30000000000000004, 0.4]
    );
    let contents = read_npz_contents(&fixture("numpy_data.npz"), true).unwrap();
    let meta = contents.metadata.unwrap();
    assert_eq!(meta.config_wavevector_q, 0.0054);
    assert_eq!(meta.dt, None);
    let full = load_xpcs_data(&opts).unwrap();
    assert!(full.source.diagonal_corrected);
    assert_eq!(
        full.c2_exp.to_f64()[[0, 0, 0]],
        raw.c2_exp.to_f64()[[0, 0, 1]]
    );
}

#[test]
fn own_cache_is_a_valid_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options_with_cache(dir.path());
    let first = load_uncorrected(&opts).unwrap();
    let as_data = LoadOptions::new(first.source.cache_path.clone().unwrap());
    let data = load_uncorrected(&LoadOptions {
        dt: 0.25,
        ..as_data
    })
    .unwrap();
    assert_eq!(data.c2_exp, first.c2_exp);
}

/// Writes a cache to $HOMODYNE_DATA_KEEP_CACHE (when set) for checking with numpy.
#[test]
fn keep_cache_for_numpy_check() {
    let Ok(folder) = std::env::var("HOMODYNE_DATA_KEEP_CACHE") else {
        return;
    };
    let opts = options_with_cache(std::path::Path::new(&folder));
    load_uncorrected(&opts).unwrap();
}

#[test]
fn cache_outlives_a_deleted_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_copy = dir.path().join("run.h5");
    std::fs::copy(fixture("aps_u_mapped_f32_lzf.h5"), &data_copy).unwrap();
    let mut opts = options_with_cache(dir.path());
    opts.data_path = data_copy.clone();
    let first = load_uncorrected(&opts).unwrap();
    std::fs::remove_file(&data_copy).unwrap();
    let cached = load_uncorrected(&opts).unwrap();
    assert_eq!(cached.source.kind, SourceKind::Cache);
    assert_eq!(cached.c2_exp, first.c2_exp);
    // A different dt still invalidates it; with the file gone that is a missing-file error.
    opts.dt = 1.0;
    assert!(matches!(
        load_uncorrected(&opts),
        Err(homodyne_data::DataError::FileNotFound { .. })
    ));
}
