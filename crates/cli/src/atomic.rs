//! Atomic file output: everything is written to a temporary name in the destination
//! folder and renamed into place, so no reader ever sees a half-written result.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use homodyne_data::npz::NpzWriter;
use ndarray::{ArrayView, ArrayViewD, Dimension};

/// Run `write` on a temporary path next to `path`, then rename it to `path`.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp: PathBuf = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move {} into place", path.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write text atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |tmp| {
        std::fs::write(tmp, text).with_context(|| format!("cannot write {}", path.display()))
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
    pub fn array<D: Dimension>(name: &'a str, a: ArrayView<'a, f64, D>) -> Self {
        NpzEntry::F64(name, a.into_dyn())
    }
}

/// Write an NPZ archive atomically (no object arrays, readable by numpy).
pub fn write_npz(path: &Path, compress: bool, entries: Vec<NpzEntry<'_>>) -> Result<()> {
    write_atomic(path, |tmp| {
        let mut w = NpzWriter::create(tmp, compress)
            .with_context(|| format!("cannot create {}", path.display()))?;
        for entry in entries {
            match entry {
                NpzEntry::F64(name, a) => w.add_f64(name, a.shape(), a.iter())?,
                NpzEntry::Text(name, text) => w.add_unicode_scalar(name, &text)?,
            }
        }
        w.finish()?;
        Ok(())
    })
}
