//! Fuzz corpus replay (issue 11): every seed of `fuzz/corpus/<target>/` and every crash
//! input in `fuzz/artifacts/<target>/` (left there by `scripts/fuzz.sh`, not committed)
//! goes through the same entry points as the libFuzzer targets (`fuzz/src/data_entries.rs`,
//! compiled into this test) and must not panic; errors are fine. A crash the fuzzer finds
//! becomes a regression test by copying its input into `fuzz/corpus/<target>/`.
//!
//! The NPZ seeds written by the project's own `NpzWriter` (`rust_*.npz`, `cache_*.npz`)
//! come from the ignored test `write_npz_seeds`:
//! `cargo test --release -p homodyne-data --test fuzz_corpus -- --ignored write_npz_seeds`.

#[path = "../../../fuzz/src/data_entries.rs"]
mod entries;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use homodyne_data::{
    CacheMetadata, LoadOptions, METADATA_KEY, NpzWriter, SourceKind, load_xpcs_data,
    read_npz_contents,
};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Replay every corpus and artifact file of `target` through `entry`, each in a fresh
/// scratch folder; fails listing every input that panicked. `min_seeds` guards against
/// a corpus that silently went missing.
fn replay(target: &str, min_seeds: usize, entry: fn(&Path, &[u8])) {
    let corpus = files_in(&fuzz_dir().join("corpus").join(target));
    assert!(
        corpus.len() >= min_seeds,
        "fuzz/corpus/{target} holds {} files, expected at least {min_seeds}",
        corpus.len()
    );
    let artifacts = files_in(&fuzz_dir().join("artifacts").join(target));
    let mut panicked = Vec::new();
    for file in corpus.iter().chain(&artifacts) {
        let bytes = std::fs::read(file).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        if catch_unwind(AssertUnwindSafe(|| entry(scratch.path(), &bytes))).is_err() {
            panicked.push(file.display().to_string());
        }
    }
    assert!(
        panicked.is_empty(),
        "{} of {} inputs of fuzz target {target} panicked:\n{}",
        panicked.len(),
        corpus.len() + artifacts.len(),
        panicked.join("\n")
    );
}

#[test]
fn hdf5_loader_corpus_replays_without_panic() {
    replay("hdf5_loader", 15, entries::hdf5_file);
}

#[test]
fn npz_reader_corpus_replays_without_panic() {
    replay("npz_reader", 10, entries::npz_file);
}

#[test]
fn cache_npz_corpus_replays_without_panic() {
    replay("cache_npz", 5, entries::cache_file);
}

/// The valid cache seeds must be taken by the loader's cache path (else the fuzzer never
/// gets past the metadata check): when this fails, the cache schema or the selection
/// key changed, and the seeds need writing again (see the module docs).
#[test]
fn valid_cache_seeds_are_used_as_caches() {
    for name in ["cache_valid.npz", "cache_valid_stored.npz"] {
        let scratch = tempfile::tempdir().unwrap();
        let opts = entries::cache_load_options(scratch.path());
        let cache = scratch
            .path()
            .join(entries::CACHE_FOLDER)
            .join(entries::CACHE_FILE);
        std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
        std::fs::copy(fuzz_dir().join("corpus/cache_npz").join(name), &cache).unwrap();
        let data = load_xpcs_data(&opts).unwrap_or_else(|e| {
            panic!("seed {name} is no longer a usable cache ({e}): write the seeds again")
        });
        assert_eq!(data.source.kind, SourceKind::Cache, "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Seed writer (ignored: run by hand when the cache schema changes).

type Array<'a> = (&'a str, Vec<usize>, Vec<f64>);

fn write_npz(path: &Path, compress: bool, arrays: &[Array<'_>], metadata: Option<&str>) {
    let mut w = NpzWriter::create(path, compress).unwrap();
    for (name, shape, values) in arrays {
        w.add_f64(name, shape, values.iter()).unwrap();
    }
    if let Some(text) = metadata {
        w.add_unicode_scalar(METADATA_KEY, text).unwrap();
    }
    w.finish().unwrap();
}

fn truncate_copy(src: &Path, dst: &Path, keep_fraction: f64) {
    let bytes = std::fs::read(src).unwrap();
    let keep = (bytes.len() as f64 * keep_fraction) as usize;
    std::fs::write(dst, &bytes[..keep]).unwrap();
}

/// Symmetric `(n_phi, n, n)` matrices with c2 ≈ 1.
fn c2_values(n_phi: usize, n: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(n_phi * n * n);
    for k in 0..n_phi {
        for i in 0..n {
            for j in 0..n {
                v.push(1.0 + 0.01 * k as f64 + 0.001 * i.abs_diff(j) as f64);
            }
        }
    }
    v
}

#[test]
#[ignore = "writes fuzz/corpus/{npz_reader,cache_npz}/: run by hand"]
fn write_npz_seeds() {
    let npz_dir = fuzz_dir().join("corpus/npz_reader");
    let cache_dir = fuzz_dir().join("corpus/cache_npz");
    std::fs::create_dir_all(&npz_dir).unwrap();
    std::fs::create_dir_all(&cache_dir).unwrap();

    // --- npz_reader: `.npz` data files, valid and broken ---
    let (n_phi, n) = (2, 3);
    let t: Vec<f64> = (0..n).map(|i| 0.1 * i as f64).collect();
    let valid = |c2: Vec<f64>, t1: Vec<f64>| -> Vec<Array<'static>> {
        vec![
            ("wavevector_q_list", vec![n_phi], vec![0.0054; n_phi]),
            ("phi_angles_list", vec![n_phi], vec![-10.0, 100.0]),
            ("t1", vec![n], t1),
            ("t2", vec![n], t.clone()),
            ("c2_exp", vec![n_phi, n, n], c2),
        ]
    };
    let meta = CacheMetadata {
        config_wavevector_q: 0.0054,
        actual_wavevector_q: Some(0.0054),
        q_variance: Some(0.0),
        q_count: n_phi,
        start_frame: 1,
        end_frame: n as i64,
        phi_count: n_phi,
        cache_version: "2.0".into(),
        selective_q_caching: true,
        dt: Some(0.1),
        requested_end_frame: Some(-1),
        source_file: Some("x.hdf".into()),
        source_size_bytes: Some(1),
        selection_key: Some("{}".into()),
    };
    let meta_json = serde_json::to_string(&meta).unwrap();
    let p = |name: &str| npz_dir.join(name);
    write_npz(
        &p("rust_data_compressed.npz"),
        true,
        &valid(c2_values(n_phi, n), t.clone()),
        Some(&meta_json),
    );
    write_npz(
        &p("rust_data_stored_no_metadata.npz"),
        false,
        &valid(c2_values(n_phi, n), t.clone()),
        None,
    );
    let mut arrays = valid(c2_values(n_phi, n), t.clone());
    arrays[2] = ("t1", vec![n, n], vec![0.0; n * n]);
    write_npz(&p("rust_meshgrid_t1.npz"), false, &arrays, None);
    let mut arrays = valid(c2_values(n_phi, n), t.clone());
    arrays[4] = (
        "c2_exp",
        vec![n_phi, n, n + 1],
        vec![1.0; n_phi * n * (n + 1)],
    );
    write_npz(&p("rust_c2_not_square.npz"), false, &arrays, None);
    let mut arrays = valid(c2_values(n_phi, n), t.clone());
    arrays[0] = ("wavevector_q_list", vec![5], vec![0.0054; 2]);
    write_npz(&p("rust_declared_size_mismatch.npz"), false, &arrays, None);
    let mut c2 = c2_values(n_phi, n);
    c2[4] = f64::NAN;
    c2[7] = f64::INFINITY;
    write_npz(
        &p("rust_c2_nonfinite.npz"),
        false,
        &valid(c2, t.clone()),
        None,
    );
    let mut t1 = t.clone();
    t1[1] = f64::NEG_INFINITY;
    write_npz(
        &p("rust_t1_nonfinite.npz"),
        false,
        &valid(c2_values(n_phi, n), t1),
        None,
    );
    write_npz(
        &p("rust_metadata_malformed.npz"),
        false,
        &valid(c2_values(n_phi, n), t.clone()),
        Some("{\"config_wavevector_q\": \"x\", "),
    );
    write_npz(
        &p("rust_zero_c2.npz"),
        false,
        &valid(vec![0.0; n_phi * n * n], t.clone()),
        None,
    );
    write_npz(&p("rust_metadata_only.npz"), false, &[], Some(&meta_json));
    write_npz(&p("rust_empty_archive.npz"), false, &[], None);
    truncate_copy(
        &p("rust_data_compressed.npz"),
        &p("rust_data_compressed_truncated.npz"),
        0.6,
    );

    // --- cache_npz: a cache the loader wrote from the hdf5_loader seed, and variants ---
    let scratch = tempfile::tempdir().unwrap();
    let opts: LoadOptions = entries::cache_load_options(scratch.path());
    std::fs::copy(
        fuzz_dir().join("corpus/hdf5_loader/aps_u_plain_f64.h5"),
        &opts.data_path,
    )
    .unwrap();
    let loaded = load_xpcs_data(&opts).unwrap();
    assert!(matches!(loaded.source.kind, SourceKind::Hdf5(_)));
    let written = loaded.source.cache_path.clone().expect("cache written");
    let c = |name: &str| cache_dir.join(name);
    std::fs::copy(&written, c("cache_valid.npz")).unwrap();
    let contents = read_npz_contents(&written, true).unwrap();
    let meta = contents.metadata.clone().unwrap();
    let arrays = |t1: &[f64]| -> Vec<Array<'_>> {
        vec![
            (
                "wavevector_q_list",
                vec![contents.wavevector_q_list.len()],
                contents.wavevector_q_list.to_vec(),
            ),
            (
                "phi_angles_list",
                vec![contents.phi_angles_list.len()],
                contents.phi_angles_list.to_vec(),
            ),
            ("t1", vec![t1.len()], t1.to_vec()),
            ("t2", vec![contents.t2.len()], contents.t2.to_vec()),
            (
                "c2_exp",
                contents.c2_exp.shape().to_vec(),
                contents.c2_exp.iter().copied().collect(),
            ),
        ]
    };
    let t1 = contents.t1.to_vec();
    let with = |m: &CacheMetadata| serde_json::to_string(m).unwrap();
    write_npz(
        &c("cache_valid_stored.npz"),
        false,
        &arrays(&t1),
        Some(&with(&meta)),
    );
    let mut m = meta.clone();
    m.config_wavevector_q = 0.008;
    write_npz(
        &c("cache_stale_q.npz"),
        false,
        &arrays(&t1),
        Some(&with(&m)),
    );
    let mut m = meta.clone();
    (m.dt, m.requested_end_frame, m.source_file) = (None, None, None);
    (m.source_size_bytes, m.selection_key) = (None, None);
    write_npz(
        &c("cache_foreign.npz"),
        false,
        &arrays(&t1),
        Some(&with(&m)),
    );
    let mut m = meta.clone();
    m.source_file = Some("other.hdf".into());
    write_npz(
        &c("cache_other_source.npz"),
        false,
        &arrays(&t1),
        Some(&with(&m)),
    );
    let stretched: Vec<f64> = t1.iter().map(|v| 3.0 * v).collect();
    write_npz(
        &c("cache_time_spacing.npz"),
        false,
        &arrays(&stretched),
        Some(&with(&meta)),
    );
    write_npz(
        &c("cache_malformed_metadata.npz"),
        false,
        &arrays(&t1),
        Some("[1, 2"),
    );
    write_npz(&c("cache_no_metadata.npz"), false, &arrays(&t1), None);
    truncate_copy(&written, &c("cache_valid_truncated.npz"), 0.7);
}
