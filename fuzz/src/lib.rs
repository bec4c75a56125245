//! Shared entry points of the fuzz targets (also compiled into the corpus replay tests of
//! homodyne-data and homodyne-config through `#[path]`).

pub mod config_entries;
pub mod data_entries;

use std::path::PathBuf;
use std::sync::OnceLock;

/// A scratch folder for this fuzzer process (`$TMPDIR/homodyne-fuzz-<pid>`): the loaders
/// read files, so each input is written there first.
pub fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("homodyne-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch folder");
        dir
    })
}
