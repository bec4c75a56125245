//! Atomic file output: everything is written to a temporary name in the destination
//! folder and renamed into place, so no reader ever sees a half-written result. This is
//! the only place in the project that creates result files.

use std::path::{Path, PathBuf};

use homodyne_data::NpzWriter;
use ndarray::{ArrayView, ArrayViewD, Dimension};

use crate::error::{OutputError, OutputResult, io_err};
use crate::run::{Temporary, record_file};

/// The temporary name used while `path` is written: `.<name>.tmp-<pid>` beside it.
pub fn temporary_path(path: &Path) -> OutputResult<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        OutputError::Inconsistent(format!("{} is not a file path", path.display()))
    })?;
    Ok(path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Run `write` on a temporary path next to `path`, then rename it to `path`. The
/// temporary file is created empty and registered before `write` runs (an interruption
/// removes it, see [`crate::exit_interrupted`]) and removed when `write` or the rename
/// fails. A written file is recorded for the run in progress ([`crate::record_file`]).
///
/// Test hook: with `HOMODYNE_DEBUG_HOLD_TEMPORARY_MS=<ms>` in the environment, each
/// written temporary file is kept that long before the rename (so that tests can
/// interrupt a run while a temporary file exists).
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> OutputResult<()>,
) -> OutputResult<()> {
    write_atomic_unrecorded(path, write)?;
    record_file(path);
    Ok(())
}

/// [`write_atomic`] without recording the file for the run in progress: scratch files
/// (shard checkpoints) that the run summary does not list.
pub(crate) fn write_atomic_unrecorded(
    path: &Path,
    write: impl FnOnce(&Path) -> OutputResult<()>,
) -> OutputResult<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err("cannot create folder", dir))?;
    }
    let tmp = temporary_path(path)?;
    let guard = Temporary::create(tmp.clone()).map_err(io_err("cannot write", &tmp))?;
    write(&tmp)?;
    hold_for_tests();
    std::fs::rename(&tmp, path).map_err(io_err("cannot move into place", path))?;
    drop(guard);
    Ok(())
}

fn hold_for_tests() {
    if let Some(ms) = std::env::var("HOMODYNE_DEBUG_HOLD_TEMPORARY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Write text atomically.
pub fn write_text(path: &Path, text: &str) -> OutputResult<()> {
    write_atomic(path, |tmp| {
        std::fs::write(tmp, text).map_err(io_err("cannot write", path))
    })
}

/// One array entry of an NPZ file.
pub enum NpzEntry<'a> {
    /// A float64 array of any dimension.
    F64(&'a str, ArrayViewD<'a, f64>),
    /// A 0-d unicode string.
    Text(&'a str, String),
}

impl<'a> NpzEntry<'a> {
    /// A float64 array entry.
    pub fn array<D: Dimension>(name: &'a str, a: ArrayView<'a, f64, D>) -> Self {
        NpzEntry::F64(name, a.into_dyn())
    }
}

/// Write an NPZ archive atomically (no object arrays, readable by numpy); `compress`
/// deflates every entry.
pub fn write_npz(path: &Path, compress: bool, entries: Vec<NpzEntry<'_>>) -> OutputResult<()> {
    write_npz_with(path, compress, |w| {
        for entry in entries {
            match entry {
                NpzEntry::F64(name, a) => w.add_f64(name, a.shape(), a.iter())?,
                NpzEntry::Text(name, text) => w.add_unicode_scalar(name, &text)?,
            }
        }
        Ok(())
    })
}

/// Write an NPZ archive atomically, entries added by `fill` (for arrays computed on the
/// fly into a reused buffer).
pub fn write_npz_with(
    path: &Path,
    compress: bool,
    fill: impl FnOnce(&mut NpzWriter) -> Result<(), homodyne_data::DataError>,
) -> OutputResult<()> {
    let npz = |source| OutputError::Npz {
        path: path.to_path_buf(),
        source,
    };
    write_atomic(path, |tmp| {
        let mut w = NpzWriter::create(tmp, compress).map_err(npz)?;
        fill(&mut w).map_err(npz)?;
        w.finish().map_err(npz)?;
        Ok(())
    })
}
