//! Load benchmark: an APS-U file of 23 angles x 1000 x 1000 float32 LZF half matrices read
//! into float64 with reconstruction and the 'basic' diagonal correction.
//!
//! Run: `cargo bench -p homodyne-data --bench load`
//! The input (~60-100 MB) is written once to `$HOMODYNE_BENCH_FILE` (default
//! `/tmp/homodyne_bench_aps_u_23x1000.h5`) by `benches/make_bench_file.py` (numpy + h5py).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use homodyne_data::{LoadOptions, apply_diagonal_correction, load_xpcs_data, read_hdf5};

fn main() {
    let path = PathBuf::from(
        std::env::var("HOMODYNE_BENCH_FILE")
            .unwrap_or_else(|_| "/tmp/homodyne_bench_aps_u_23x1000.h5".into()),
    );
    if !path.exists() {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/make_bench_file.py");
        eprintln!("writing {} with {}", path.display(), script.display());
        let status = Command::new("python3")
            .arg(&script)
            .arg(&path)
            .status()
            .expect("python3 must be available to write the benchmark input");
        assert!(
            status.success(),
            "make_bench_file.py failed (needs numpy and h5py)"
        );
    }
    let size_mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let mut opts = LoadOptions::new(&path);
    opts.wavevector_q = 0.0054;
    opts.dt = 0.1;
    println!(
        "input {} ({size_mb:.1} MB), rayon threads: {}",
        path.display(),
        rayon::current_num_threads()
    );

    let reps = 5;
    let mut totals = Vec::new();
    for rep in 0..reps {
        let t0 = Instant::now();
        let mut data = read_hdf5(&opts).expect("load");
        let t_read = t0.elapsed().as_secs_f64();
        apply_diagonal_correction(&mut data);
        let total = t0.elapsed().as_secs_f64();
        totals.push(total);
        println!(
            "rep {rep}: read+decompress+reconstruct {t_read:.3} s, diagonal correction {:.3} s, total {total:.3} s, c2 {:?}",
            total - t_read,
            data.c2_exp.dim()
        );
    }
    let t0 = Instant::now();
    let data = load_xpcs_data(&opts).expect("pipeline");
    println!(
        "load_xpcs_data (with phi normalisation): {:.3} s, {} angles",
        t0.elapsed().as_secs_f64(),
        data.n_angles()
    );
    // Cache write (first load with a cache folder) and cache read (second load).
    let cache_dir = tempfile::tempdir().expect("temp dir");
    for compression in [false, true] {
        let mut cached = opts.clone();
        cached.cache = Some(homodyne_data::CacheOptions {
            folder: cache_dir.path().to_path_buf(),
            filename_template: format!("bench_{compression}.npz"),
            compression,
        });
        let t0 = Instant::now();
        homodyne_data::load_uncorrected(&cached).expect("load + write cache");
        let t_write = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let again = homodyne_data::load_uncorrected(&cached).expect("read cache");
        let t_read = t0.elapsed().as_secs_f64();
        assert_eq!(again.source.kind, homodyne_data::SourceKind::Cache);
        println!(
            "cache (compression {compression}): load + write {t_write:.3} s, read back {t_read:.3} s"
        );
    }

    totals.sort_by(f64::total_cmp);
    println!(
        "load 23 x 1000 x 1000 float32 LZF -> float64: min {:.3} s, median {:.3} s (target <= 3 s)",
        totals[0],
        totals[reps / 2]
    );
}
