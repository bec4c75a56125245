//! Entry points of the homodyne-data fuzz targets, shared with the corpus replay test
//! (`crates/data/tests/fuzz_corpus.rs` includes this file with `#[path]`), so a crash the
//! fuzzer finds replays through exactly the same calls in a normal `cargo test`.
//!
//! Each entry writes the input to a file in `dir` (the loader reads files, not bytes) and
//! drives the public API the CLI uses. Errors are expected and ignored; a panic, an abort
//! or a runaway allocation is a bug.

use std::path::{Path, PathBuf};

use homodyne_data::{
    CacheOptions, H5Source, LoadOptions, NpzReader, XpcsData, check_plausible, detect_layout,
    exclude_t0, frames_in_file, labelled_matrices, load_xpcs_data, read_npz_contents,
};

/// Name of the (never created) data file the `cache_npz` target's cache claims to come
/// from: with the data file gone, a cache is matched on this name only, so a valid cache
/// is used and an invalid one makes the loader fall back to the missing file (an error).
pub const CACHE_SOURCE_NAME: &str = "fuzz_source.hdf";
/// Folder (inside the scratch folder) and file name of the `cache_npz` target's cache.
pub const CACHE_FOLDER: &str = "cache";
/// Cache file name (a template without placeholders).
pub const CACHE_FILE: &str = "cached_c2.npz";

fn write_input(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the fuzz scratch folder");
    }
    std::fs::write(path, bytes).expect("write the fuzz input to the scratch folder");
}

/// What a caller does with loaded data before fitting.
fn use_data(data: &XpcsData) {
    let _ = check_plausible(data);
    let trimmed = exclude_t0(data);
    let _ = (trimmed.n_angles(), trimmed.n_times(), trimmed.q());
}

/// Loader options for fuzzing: the nearest ring whatever its distance (a tolerance no
/// ring can miss), so inputs get past q selection into frame slicing and decoding.
fn any_ring(data_path: PathBuf) -> LoadOptions {
    let mut opts = LoadOptions::new(data_path);
    opts.q_tolerance_fraction = 1e12;
    opts
}

/// `hdf5_loader`: `bytes` as an APS HDF5 file (`<dir>/input.hdf`): `frames_in_file`,
/// layout detection and labelling, then the full `load_xpcs_data` pipeline (all frames,
/// then frames 2..=3 when the first load succeeded).
pub fn hdf5_file(dir: &Path, bytes: &[u8]) {
    let path = dir.join("input.hdf");
    write_input(&path, bytes);
    let _ = frames_in_file(&path);
    if let Ok(src) = H5Source::open(&path)
        && let Ok(layout) = detect_layout(&src)
    {
        let _ = labelled_matrices(&src, layout);
    }
    let mut opts = any_ring(path);
    if let Ok(data) = load_xpcs_data(&opts) {
        use_data(&data);
        opts.start_frame = 2;
        opts.end_frame = 3;
        if let Ok(data) = load_xpcs_data(&opts) {
            use_data(&data);
        }
    }
}

/// `npz_reader`: `bytes` as an NPZ file (`<dir>/input.npz`): `NpzReader` (every entry
/// read as f64 and as a unicode scalar), `read_npz_contents` with and without required
/// metadata, `frames_in_file`, and `load_xpcs_data` of it as an `.npz` data file.
pub fn npz_file(dir: &Path, bytes: &[u8]) {
    let path = dir.join("input.npz");
    write_input(&path, bytes);
    if let Ok(mut reader) = NpzReader::open(&path) {
        let names: Vec<String> = reader.names().map(str::to_owned).collect();
        for name in &names {
            let _ = reader
                .header(name)
                .map(|h| (h.shape.len(), h.fortran_order));
            let _ = reader.read_f64(name);
            let _ = reader.read_unicode_scalar(name);
        }
    }
    let _ = read_npz_contents(&path, true);
    let _ = read_npz_contents(&path, false);
    let _ = frames_in_file(&path);
    if let Ok(data) = load_xpcs_data(&any_ring(path)) {
        use_data(&data);
    }
}

/// Loader options of the `cache_npz` target (also used to write its seeds): the
/// defaults, a missing data file named [`CACHE_SOURCE_NAME`] in `dir`, and a cache
/// `<dir>/cache/cached_c2.npz`.
pub fn cache_load_options(dir: &Path) -> LoadOptions {
    let mut opts = LoadOptions::new(dir.join(CACHE_SOURCE_NAME));
    opts.cache = Some(CacheOptions {
        folder: dir.join(CACHE_FOLDER),
        filename_template: CACHE_FILE.to_string(),
        compression: true,
    });
    opts
}

/// `cache_npz`: `bytes` as the cache file of [`cache_load_options`]: read through the
/// loader's cache path (`load_xpcs_data` with caching on; a stale or unreadable cache
/// falls back to the missing data file, an error), and through `read_npz_contents` with
/// required metadata.
pub fn cache_file(dir: &Path, bytes: &[u8]) {
    let opts = cache_load_options(dir);
    let _ = std::fs::remove_file(&opts.data_path);
    let cache = dir.join(CACHE_FOLDER).join(CACHE_FILE);
    write_input(&cache, bytes);
    let _ = read_npz_contents(&cache, true);
    if let Ok(data) = load_xpcs_data(&opts) {
        use_data(&data);
    }
}
